/**
 * How the container runtime of a node reaches one registry host: a mirror of an upstream (a pull-through cache),
 * or a private registry of the cluster's own. The node-side configuration (containerd `hosts.toml`, a CRI-O
 * `registries.conf.d` drop-in, OpenShift mirror sets) is rendered from a list of these.
 */
export interface NodeRegistryHost {
  /**
   * The registry host as image references name it: `docker.io`, `ghcr.io`, `quay.io`, `registry.k8s.io`, or a
   * private registry's `registry.example.com` / `registry.example.com:5000`. No scheme, no path.
   */
  readonly imageHost: string;

  /**
   * Where the node's runtime sends its requests, as the node reaches it: a scheme, a host and an optional port,
   * such as `http://localhost:30500` (a NodePort) or `https://mirror.example.com` (an Ingress).
   */
  readonly endpoint: string;

  /**
   * The upstream's own API URL, which the runtime falls back to when the mirror fails (`server` in containerd's
   * `hosts.toml`; the `location` in CRI-O's drop-in): `https://registry-1.docker.io` for `docker.io`.
   * @default - no upstream: `endpoint` is the registry itself (a private registry), no fallback
   */
  readonly upstreamUrl?: string;

  /**
   * A PEM CA certificate (public, not a secret) the runtime must trust for `endpoint`, when its certificate is
   * not signed by a CA the nodes already trust.
   * @default - the node's system trust store
   */
  readonly caCertificate?: string;

  /**
   * Whether the runtime skips verifying `endpoint`'s certificate. Only for tests and closed networks.
   * @default false
   */
  readonly insecureSkipVerify?: boolean;

  /**
   * Whether pulls need a credential (the registry has htpasswd or token auth). The credential never goes into a
   * node file: pods name a pull Secret (`imagePullSecrets`), which the kubelet hands to the runtime.
   * @default false
   */
  readonly requiresPullSecret?: boolean;
}

/** Something that knows the registry hosts nodes should reach: a mirror set, or a private registry's way in. */
export interface INodeRegistrySource {
  /** The registry hosts, in a stable order. */
  readonly nodeRegistryHosts: NodeRegistryHost[];
}
