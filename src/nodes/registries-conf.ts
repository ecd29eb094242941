// MINIMAL STAND-IN written on the runtimes branch for the real-runtime e2e; the nodes branch owns this file
// (same signature) and replaces it at merge.
import { NodeRegistryHost } from './node-registry-host';

/** A containers-registries.conf(5) v2 drop-in for `/etc/containers/registries.conf.d/`: one `[[registry]]` per host. */
export function registriesConfDropIn(hosts: NodeRegistryHost[]): string {
  return hosts.map((host) => {
    const endpoint = new URL(host.endpoint);
    const lines = ['[[registry]]', `prefix = ${JSON.stringify(host.imageHost)}`, `location = ${JSON.stringify(host.upstreamUrl !== undefined ? host.imageHost : endpoint.host)}`];
    if (host.upstreamUrl !== undefined) {
      lines.push('', '[[registry.mirror]]', `location = ${JSON.stringify(endpoint.host)}`);
    }
    if (endpoint.protocol === 'http:' || host.insecureSkipVerify) lines.push('insecure = true');
    return `${lines.join('\n')}\n`;
  }).join('\n');
}
