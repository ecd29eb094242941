import { NODE_CA_FILE_NAME, NodeConfigFile } from './node-config-file';
import { caFileContent, endpointParts, requireValidHost, tomlString } from './node-host-parts';
import { NodeRegistryHost } from './node-registry-host';

/** Where CRI-O, podman and skopeo read drop-ins of containers-registries.conf(5) from (no leading `/`). */
export const REGISTRIES_CONF_DIRECTORY = 'etc/containers/registries.conf.d';

/** Where containers/image reads the CA of a registry it connects to: `<this>/<host:port>/*.crt` (no leading `/`). */
export const CONTAINERS_CERTS_DIRECTORY = 'etc/containers/certs.d';

/** Whether the runtime must accept plain http or an unverified certificate for an endpoint. */
function insecure(host: NodeRegistryHost, url: string): boolean {
  return url.startsWith('http://') || (host.insecureSkipVerify ?? false);
}

/**
 * A containers-registries.conf(5) version 2 drop-in for `/etc/containers/registries.conf.d/` (CRI-O, podman,
 * skopeo, buildah), one `[[registry]]` per host, sorted by host so the text does not depend on the order given.
 *
 * A mirror (a host with `upstreamUrl`): `prefix` is the image host, `location` the upstream's `host[:port]` (what
 * the runtime falls back to), and the endpoint a `[[registry.mirror]]` (pulls by tag and by digest: the default
 * `pull-from-mirror = "all"`). A private registry (no `upstreamUrl`): `location` is the endpoint. `insecure = true`
 * where the endpoint is plain http or its certificate is not verified. A CA is not named here: containers/image
 * reads it from `/etc/containers/certs.d/<host:port>/` (see `containersCertificateFiles`).
 */
export function registriesConfDropIn(hosts: NodeRegistryHost[]): string {
  hosts.forEach(requireValidHost);
  const sorted = [...hosts].sort((a, b) => (a.imageHost < b.imageHost ? -1 : a.imageHost > b.imageHost ? 1 : 0));
  const twin = sorted.find((h, i) => i > 0 && sorted[i - 1].imageHost === h.imageHost);
  if (twin) throw new Error(`NodeRegistryHost ${JSON.stringify(twin.imageHost)} is given twice: one [[registry]] per prefix`);
  const blocks = sorted.map((host) => {
    const endpoint = endpointParts(host.endpoint);
    const lines = ['[[registry]]', `prefix = ${tomlString(host.imageHost)}`];
    if (host.upstreamUrl !== undefined) {
      const upstream = endpointParts(host.upstreamUrl, 'upstreamUrl');
      lines.push(`location = ${tomlString(upstream.location)}`);
      if (upstream.scheme === 'http') lines.push('insecure = true');
      lines.push('', '[[registry.mirror]]', `location = ${tomlString(endpoint.location)}`);
      if (insecure(host, host.endpoint)) lines.push('insecure = true');
    } else {
      lines.push(`location = ${tomlString(endpoint.location)}`);
      if (insecure(host, host.endpoint)) lines.push('insecure = true');
    }
    return lines.join('\n') + '\n';
  });
  return ['# containers-registries.conf(5) v2 drop-in: rendered by cdk8s-registry, edits are overwritten\n', ...blocks].join('\n');
}

/**
 * The CA files containers/image reads for the hosts' endpoints: `etc/containers/certs.d/<host:port>/ca.crt`, one
 * per endpoint that has a CA. Two hosts that reach one endpoint with different CAs are an error.
 */
export function containersCertificateFiles(hosts: NodeRegistryHost[]): NodeConfigFile[] {
  hosts.forEach(requireValidHost);
  const byLocation = new Map<string, string>();
  for (const host of hosts) {
    if (host.caCertificate === undefined) continue;
    const location = endpointParts(host.endpoint).location;
    const content = caFileContent(host.caCertificate);
    const earlier = byLocation.get(location);
    if (earlier !== undefined && earlier !== content) {
      throw new Error(`NodeRegistryHost ${JSON.stringify(host.imageHost)}: endpoint ${location} is given another CA by an earlier host: containers/image reads one certs.d directory per host:port`);
    }
    byLocation.set(location, content);
  }
  return [...byLocation.keys()].sort().map((location) => ({
    path: `${CONTAINERS_CERTS_DIRECTORY}/${location}/${NODE_CA_FILE_NAME}`,
    content: byLocation.get(location)!,
  }));
}
