import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { filesystemBinding, readWriteOnceReason } from './filesystem-binding';
import { StorageBackend, StorageBindContext, StorageBinding } from './storage-backend';
import { propError, requireDns1123Subdomain, wholeMebibytes } from '../util/validation';

/**
 * Options for `StorageBackend.persistentVolumeClaim()`.
 */
export interface PersistentVolumeClaimStorageOptions {
  /**
   * Size of the claim.
   * @default Size.gibibytes(10)
   */
  readonly size?: Size;

  /**
   * The StorageClass to provision the volume from.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;

  /**
   * Access mode of the claim. ReadWriteOnce limits the registry to one replica rolled out with
   * `Recreate`; ReadWriteMany (NFS, CephFS, EFS) allows several replicas.
   * @default kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE
   */
  readonly accessMode?: kplus.PersistentVolumeAccessMode;
}

/**
 * Filesystem storage on a PersistentVolumeClaim created with the registry.
 */
export class PersistentVolumeClaimStorage extends StorageBackend {
  public constructor(private readonly options: PersistentVolumeClaimStorageOptions) {
    super();
  }

  public get driver(): string {
    return 'filesystem';
  }

  public bind(scope: Construct, _context: StorageBindContext): StorageBinding {
    const size = this.options.size ?? Size.gibibytes(10);
    wholeMebibytes(scope, 'storage.size', size, 1);
    if (this.options.storageClassName !== undefined) {
      requireDns1123Subdomain(scope, 'storage.storageClassName', this.options.storageClassName);
    }
    const accessMode = this.options.accessMode ?? kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE;
    if (accessMode === kplus.PersistentVolumeAccessMode.READ_ONLY_MANY) {
      throw propError(scope, 'storage.accessMode', `(${accessMode}) cannot hold a registry: use ReadWriteOnce or ReadWriteMany`);
    }
    const claim = new kplus.PersistentVolumeClaim(scope, 'Data', {
      storage: size,
      storageClassName: this.options.storageClassName,
      accessModes: [accessMode],
    });
    const volume = kplus.Volume.fromPersistentVolumeClaim(scope, 'DataVolume', claim, { name: 'data' });
    return filesystemBinding(volume, readWriteOnceReason(accessMode));
  }
}
