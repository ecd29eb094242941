import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { filesystemBinding, readWriteOnceReason } from './filesystem-binding';
import { StorageBackend, StorageBindContext, StorageBinding } from './storage-backend';
import { propError, requireDns1123Subdomain } from '../util/validation';

/**
 * Options for `StorageBackend.existingClaim()`.
 */
export interface ExistingClaimStorageOptions {
  /**
   * The claim's access mode, which the library cannot read from the cluster. Say
   * ReadWriteMany to run several replicas on a shared volume.
   * @default kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE - one replica, `Recreate` rollouts
   */
  readonly accessMode?: kplus.PersistentVolumeAccessMode;

  /**
   * A folder inside the claim to keep the registry's data in.
   * @default - the root of the claim
   */
  readonly subPath?: string;
}

/**
 * Filesystem storage on a PersistentVolumeClaim managed outside the chart.
 */
export class ExistingClaimStorage extends StorageBackend {
  public constructor(private readonly claimName: string, private readonly options: ExistingClaimStorageOptions) {
    super();
  }

  public get driver(): string {
    return 'filesystem';
  }

  /** Refused: every registry would mount the one claim and write into the same root. */
  public partition(scope: IConstruct, key: string): StorageBackend {
    throw propError(scope, 'storage', `(StorageBackend.existingClaim(${JSON.stringify(this.claimName)})) cannot be shared by several registries: each (${key} included) `
      + 'would mount the same claim and write into the same root, mixing their repositories (two pull-through caches also overwrite each other\'s '
      + 'scheduler-state.json). Use StorageBackend.persistentVolumeClaim() (a new claim per registry) or an object store (a key prefix per registry)');
  }

  public bind(scope: Construct, _context: StorageBindContext): StorageBinding {
    requireDns1123Subdomain(scope, 'storage.claimName', this.claimName);
    const accessMode = this.options.accessMode ?? kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE;
    if (accessMode === kplus.PersistentVolumeAccessMode.READ_ONLY_MANY) {
      throw propError(scope, 'storage.accessMode', `(${accessMode}) cannot hold a registry: use ReadWriteOnce or ReadWriteMany`);
    }
    const subPath = this.options.subPath;
    if (subPath !== undefined && (subPath === '' || subPath.startsWith('/') || subPath.split('/').includes('..'))) {
      throw propError(scope, 'storage.subPath', `(${JSON.stringify(subPath)}) must be a relative path inside the claim, without '..'`);
    }
    const claim = kplus.PersistentVolumeClaim.fromClaimName(scope, 'Data', this.claimName);
    const volume = kplus.Volume.fromPersistentVolumeClaim(scope, 'DataVolume', claim, { name: 'data' });
    return filesystemBinding(volume, readWriteOnceReason(accessMode), subPath, { podLocal: false, claim, accessMode });
  }
}
