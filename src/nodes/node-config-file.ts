/** A file of the node-side configuration: its path on the node (relative to `/`) and its text. */
export interface NodeConfigFile {
  /** The path on the node, without the leading `/`, such as `etc/containerd/certs.d/docker.io/hosts.toml`. */
  readonly path: string;
  /** The file's text (UTF-8). */
  readonly content: string;
}

/** The name of the CA file written beside `hosts.toml` and in `/etc/containers/certs.d/<host:port>/`. */
export const NODE_CA_FILE_NAME = 'ca.crt';
