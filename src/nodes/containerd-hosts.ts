// MINIMAL STAND-IN written on the runtimes branch for the real-runtime e2e; the nodes branch owns this file
// (same signatures) and replaces it at merge.
import { NodeRegistryHost } from './node-registry-host';

/** The folder under `/etc/containerd/certs.d` for a host: containerd uses the host (with `:port`) verbatim. */
export function containerdHostsDirectory(host: NodeRegistryHost): string {
  return host.imageHost;
}

/** The text of `/etc/containerd/certs.d/<imageHost>/hosts.toml`: the mirror first, the upstream as fallback. */
export function containerdHostsToml(host: NodeRegistryHost): string {
  const lines: string[] = [];
  if (host.upstreamUrl !== undefined) lines.push(`server = ${JSON.stringify(host.upstreamUrl)}`, '');
  lines.push(`[host.${JSON.stringify(host.endpoint)}]`, '  capabilities = ["pull", "resolve"]');
  if (host.insecureSkipVerify) lines.push('  skip_verify = true');
  return `${lines.join('\n')}\n`;
}
