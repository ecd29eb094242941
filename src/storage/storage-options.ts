import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { goDuration, requireOneOf } from '../util/validation';

/**
 * Cache of blob descriptors (`storage.cache.blobdescriptor`).
 */
export enum BlobDescriptorCache {
  /** An in-process cache: fast, per replica. */
  INMEMORY = 'inmemory',
  /**
   * Redis, shared by replicas. Its door is the `RedisBlobDescriptorCache` part, which sets it; given in
   * `StorageOptions` it only restates the part (the same key, merged: equal values agree), and without the part it
   * is an error.
   */
  REDIS = 'redis',
  /** No cache. */
  NONE = 'none',
}

/**
 * Removal of upload folders left behind by interrupted pushes (`storage.maintenance.uploadpurging`).
 */
export interface UploadPurgingOptions {
  /**
   * Whether to purge at all.
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * Uploads older than this are removed.
   * @default Duration.hours(168)
   */
  readonly age?: Duration;

  /**
   * How often to look.
   * @default Duration.hours(24)
   */
  readonly interval?: Duration;

  /**
   * Only log what would be removed.
   * @default false
   */
  readonly dryRun?: boolean;
}

/**
 * Storage settings shared by every backend.
 */
export interface StorageOptions {
  /**
   * Enable the delete API for blobs and manifests (`storage.delete.enabled`); deleted content is
   * reclaimed by `registry garbage-collect`.
   * @default false
   */
  readonly deleteEnabled?: boolean;

  /**
   * Serve blobs through the registry instead of redirecting clients to the storage backend
   * (`storage.redirect.disable`). Needed when clients cannot reach the object store directly.
   * @default false - clients are redirected where the driver supports it
   */
  readonly redirectDisabled?: boolean;

  /**
   * Purging of abandoned uploads.
   * @default - the registry's own default: enabled, age 168h, interval 24h
   */
  readonly uploadPurging?: UploadPurgingOptions;

  /**
   * Reject pushes and deletes (`storage.maintenance.readonly`), for example during garbage collection.
   * @default false
   */
  readonly readOnly?: boolean;

  /**
   * Blob descriptor cache: the door for in memory or none. Redis comes with its part, `RedisBlobDescriptorCache`,
   * which sets this key itself; `REDIS` here restates it (through the same key and merge rule as the part's).
   * @default - BlobDescriptorCache.INMEMORY, or REDIS when a `RedisBlobDescriptorCache` part is added
   */
  readonly blobDescriptorCache?: BlobDescriptorCache;
}

/** The storage section keys that `StorageOptions` render, checked for `scope`. */
export interface RenderedStorageOptions {
  readonly deleteEnabled?: boolean;
  readonly redirectDisabled?: boolean;
  readonly maintenance?: { [key: string]: any };
  readonly blobDescriptorCache?: string;
  /** Config applied only where nothing else (a part) set a value, such as the in-memory blob descriptor cache. */
  readonly defaults?: { [key: string]: any };
}

/** Validates the options and renders them into the storage section. */
export function renderStorageOptions(scope: IConstruct, options: StorageOptions = {}): RenderedStorageOptions {
  const purging = options.uploadPurging;
  let maintenance: { [key: string]: any } | undefined;
  if (purging) {
    const age = purging.age ?? Duration.hours(168);
    const interval = purging.interval ?? Duration.hours(24);
    maintenance = {
      uploadpurging: {
        enabled: purging.enabled ?? true,
        age: goDuration(scope, 'storageOptions.uploadPurging.age', age, 60),
        interval: goDuration(scope, 'storageOptions.uploadPurging.interval', interval, 60),
        dryrun: purging.dryRun ?? false,
      },
    };
  }
  if (options.readOnly) {
    maintenance = { ...maintenance, readonly: { enabled: true } };
  }
  const cache = options.blobDescriptorCache !== undefined
    ? requireOneOf(scope, 'storageOptions.blobDescriptorCache', options.blobDescriptorCache, Object.values(BlobDescriptorCache))
    : undefined;
  return {
    deleteEnabled: options.deleteEnabled,
    redirectDisabled: options.redirectDisabled,
    maintenance,
    blobDescriptorCache: cache === BlobDescriptorCache.NONE ? undefined : cache,
    // Not chosen: in-memory, unless a part (such as a redis cache) sets it.
    defaults: cache === undefined ? { storage: { cache: { blobdescriptor: BlobDescriptorCache.INMEMORY } } } : undefined,
  };
}
