import * as kplus from 'cdk8s-plus-27';
import { StorageBinding, StorageDataVolume } from './storage-backend';

/** Where filesystem backends mount their volume; also the upstream image's declared VOLUME. */
export const FILESYSTEM_ROOT = '/var/lib/registry';

/**
 * The binding shared by every filesystem backend: the `filesystem` driver rooted at the
 * data volume, mounted writable.
 */
export function filesystemBinding(volume: kplus.Volume, singleReplicaReason: string | undefined, subPath?: string,
  data: Omit<StorageDataVolume, 'volume' | 'path'> = { podLocal: false }): StorageBinding {
  return {
    driver: 'filesystem',
    parameters: { rootdirectory: FILESYSTEM_ROOT },
    mounts: [{ volume, path: FILESYSTEM_ROOT, subPath, readOnly: false }],
    singleReplicaReason,
    dataVolume: { volume, path: FILESYSTEM_ROOT, ...data },
  };
}

/** Why a volume that only one node can mount limits the registry to one replica. */
export function readWriteOnceReason(accessMode: kplus.PersistentVolumeAccessMode): string | undefined {
  switch (accessMode) {
    case kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE:
      return 'the data volume is ReadWriteOnce: only one node can mount it, so a second replica would never start and a RollingUpdate would deadlock';
    case kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE_POD:
      return 'the data volume is ReadWriteOncePod: only one pod can mount it';
    default:
      return undefined;
  }
}
