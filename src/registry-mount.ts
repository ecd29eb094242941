import * as kplus from 'cdk8s-plus-27';

/**
 * A volume that a storage backend, an auth method or TLS adds to the registry container.
 */
export interface RegistryMount {
  /** The volume to add to the pod. */
  readonly volume: kplus.Volume;

  /** The absolute path in the registry container where the volume is mounted. */
  readonly path: string;

  /**
   * Mount only this key or folder of the volume.
   * @default - the whole volume is mounted at `path`
   */
  readonly subPath?: string;

  /**
   * Mount the volume read-only.
   * @default true - only data volumes are writable
   */
  readonly readOnly?: boolean;
}
