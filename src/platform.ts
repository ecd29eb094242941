/**
 * The kind of cluster the manifests are written for.
 */
export enum Platform {
  /**
   * Plain Kubernetes: the pod runs with a fixed numeric UID, GID and fsGroup, as the
   * Pod Security Standards "restricted" profile needs for an image that runs as root by default.
   */
  KUBERNETES = 'kubernetes',

  /**
   * OpenShift: no UID, GID or fsGroup is written, because the `restricted-v2` SCC assigns
   * them from the namespace's range and rejects pods that ask for others.
   */
  OPENSHIFT = 'openshift',
}
