import { NODE_CA_FILE_NAME, NodeConfigFile } from './node-config-file';
import { caFileContent, requireValidHost, tomlString } from './node-host-parts';
import { NodeRegistryHost } from './node-registry-host';

/** Where containerd's CRI plugin reads registry hosts from, as most distributions set `config_path` (no leading `/`). */
export const CONTAINERD_CERTS_DIRECTORY = 'etc/containerd/certs.d';

/**
 * The directory under containerd's `certs.d` that holds the `hosts.toml` of a registry host: the host as image
 * references name it, with its port verbatim (`docker.io`, `registry.example.com:5000`). containerd 1.6 looks up
 * `<host>_<port>_`, then `<host>:<port>`, then `_default` on Unix; the second is the one its docs show.
 */
export function containerdHostsDirectory(host: NodeRegistryHost): string {
  requireValidHost(host);
  return host.imageHost;
}

/**
 * The text of `/etc/containerd/certs.d/<imageHost>/hosts.toml` for one host (containerd 1.5 and later).
 *
 * A mirror (a host with `upstreamUrl`): `server` is the upstream, which containerd falls back to, and the endpoint is
 * a `[host."..."]` with `capabilities = ["pull", "resolve"]` (a private mirror: trusted to resolve tags, never pushed
 * to). A private registry (no `upstreamUrl`): the endpoint is the `server` (no fallback elsewhere) and its one
 * `[host."..."]`, with pull, resolve and push (containerd 1.6 needs a `[host]` table in every hosts.toml). A CA
 * is named as `ca = "ca.crt"`, a path relative to the `hosts.toml` (containerd resolves it against the file's
 * directory): `containerdHostsFiles` gives that file too.
 */
export function containerdHostsToml(host: NodeRegistryHost): string {
  requireValidHost(host);
  const tls: string[] = [];
  if (host.caCertificate !== undefined) tls.push(`ca = ${tomlString(NODE_CA_FILE_NAME)}`);
  if (host.insecureSkipVerify) tls.push('skip_verify = true');
  const lines = [`# containerd registry host ${host.imageHost}: rendered by cdk8s-registry, edits are overwritten`];
  if (host.upstreamUrl !== undefined) {
    lines.push(`server = ${tomlString(host.upstreamUrl)}`, '', `[host.${tomlString(host.endpoint)}]`,
      '  capabilities = ["pull", "resolve"]', ...tls.map((l) => `  ${l}`));
  } else {
    // containerd 1.6 refuses a hosts.toml without a [host] table ("invalid `host` tree"): the endpoint is both the
    // server (no fallback elsewhere) and the one host, with the same TLS settings.
    lines.push(`server = ${tomlString(host.endpoint)}`, ...tls, '', `[host.${tomlString(host.endpoint)}]`,
      '  capabilities = ["pull", "resolve", "push"]', ...tls.map((l) => `  ${l}`));
  }
  return lines.join('\n') + '\n';
}

/**
 * The files containerd needs for one host, paths as on the node: the `hosts.toml`, and the CA beside it when the
 * host has one.
 */
export function containerdHostsFiles(host: NodeRegistryHost): NodeConfigFile[] {
  const dir = `${CONTAINERD_CERTS_DIRECTORY}/${containerdHostsDirectory(host)}`;
  const files: NodeConfigFile[] = [{ path: `${dir}/hosts.toml`, content: containerdHostsToml(host) }];
  if (host.caCertificate !== undefined) files.push({ path: `${dir}/${NODE_CA_FILE_NAME}`, content: caFileContent(host.caCertificate) });
  return files;
}
