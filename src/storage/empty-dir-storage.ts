import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { filesystemBinding } from './filesystem-binding';
import { StorageBackend, StorageBindContext, StorageBinding } from './storage-backend';
import { wholeMebibytes } from '../util/validation';

/**
 * Options for `StorageBackend.emptyDir()`.
 */
export interface EmptyDirStorageOptions {
  /**
   * Most the volume may hold before the pod is evicted (and its images lost).
   * @default - no limit beyond the node's ephemeral storage
   */
  readonly sizeLimit?: Size;
}

/**
 * Filesystem storage on an emptyDir volume: every image is lost with the pod.
 */
export class EmptyDirStorage extends StorageBackend {
  public constructor(private readonly options: EmptyDirStorageOptions) {
    super();
  }

  public get driver(): string {
    return 'filesystem';
  }

  /** Each registry binds its own emptyDir volume: nothing is shared. */
  public partition(_scope: IConstruct, _key: string): StorageBackend {
    return this;
  }

  public bind(scope: Construct, _context: StorageBindContext): StorageBinding {
    if (this.options.sizeLimit !== undefined) {
      wholeMebibytes(scope, 'storage.sizeLimit', this.options.sizeLimit, 1);
    }
    const volume = kplus.Volume.fromEmptyDir(scope, 'DataVolume', 'data', { sizeLimit: this.options.sizeLimit });
    return filesystemBinding(volume, 'each replica would get its own emptyDir, so pulls would miss images pushed to another replica', undefined, { podLocal: true });
  }
}
