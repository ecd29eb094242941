/**
 * Checks of addresses the registry listens on, shared by every route that can set one (the props, a part's
 * config, a `REGISTRY_HTTP_*` variable).
 */

/** The port of a Go listen address (`:5000`, `0.0.0.0:5000`, `[::]:5000`, `localhost:5000`), or undefined. */
export function listenPort(address: string): number | undefined {
  const match = /^(?:\[[0-9a-fA-F:.]*\]|[^:[\]]*):(\d{1,5})$/.exec(address.trim());
  return match ? Number(match[1]) : undefined;
}

/**
 * Why the debug server cannot listen at `address` (given as `setting`), or undefined: on the registry's own port one of the two
 * listeners fails, and the registry exits at start (registry/registry.go of 2.8.2, 3.0.0 and 3.1.1: the debug
 * server's failure is `Fatalf("error listening on debug interface")`, the main server's ends `serve`).
 */
export function debugAddressProblem(address: unknown, registryPort: number, setting: string): string | undefined {
  if (typeof address !== 'string' || listenPort(address) !== registryPort) return undefined;
  return `puts the debug server (${setting} ${JSON.stringify(address)}) on the registry's own port ${registryPort}: the two cannot both listen there, `
    + 'and the registry exits at start ("error listening on debug interface"). Use another port, such as ":5001", or the metrics prop, which serves /metrics there';
}
