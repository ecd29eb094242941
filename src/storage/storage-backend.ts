import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { RegistryVersion } from '../config/registry-version';
import { RegistryMount } from '../registry-mount';

/**
 * What a storage backend is told when it is bound to a registry.
 */
export interface StorageBindContext {
  /** The registry release that will run, which decides the config keys to render. */
  readonly version: RegistryVersion;
}

/**
 * What a storage backend contributes to the registry: its config fragment, its environment and
 * its volumes.
 */
export interface StorageBinding {
  /** The storage driver's name, the key under `storage:` in config.yml (`filesystem`, `s3`, ...). */
  readonly driver: string;

  /**
   * The driver's parameters, rendered under `storage.<driver>` in config.yml.
   * Never a credential: those go in `env` as Secret references.
   */
  readonly parameters: { [key: string]: any };

  /**
   * Environment variables of the registry container, such as `REGISTRY_STORAGE_S3_ACCESSKEY`
   * read from a Secret.
   * @default - none
   */
  readonly env?: { [name: string]: kplus.EnvValue };

  /**
   * Volumes the registry container mounts (the data volume of a filesystem backend, a key file).
   * @default - none
   */
  readonly mounts?: RegistryMount[];

  /**
   * Set when the backend cannot be shared by more than one replica; says why. The registry then
   * runs one replica and rolls out with `Recreate`.
   * @default - any number of replicas may share the backend
   */
  readonly singleReplicaReason?: string;

  /**
   * Annotations for the registry's ServiceAccount (for example an IAM role for IRSA).
   * @default - none
   */
  readonly serviceAccountAnnotations?: { [key: string]: string };
}

/**
 * Where the registry keeps its blobs and manifests.
 *
 * Use a static factory, such as `StorageBackend.persistentVolumeClaim()` or
 * `StorageBackend.s3()`. Each backend renders its own part of config.yml for the registry
 * version in use, and adds the environment and volumes it needs.
 */
export abstract class StorageBackend {
  /**
   * Filesystem storage on a new PersistentVolumeClaim created with the registry.
   */
  public static persistentVolumeClaim(options: PersistentVolumeClaimStorageOptions = {}): StorageBackend {
    return new PersistentVolumeClaimStorage(options);
  }

  /**
   * Filesystem storage on a PersistentVolumeClaim that already exists in the namespace.
   */
  public static existingClaim(claimName: string, options: ExistingClaimStorageOptions = {}): StorageBackend {
    return new ExistingClaimStorage(claimName, options);
  }

  /**
   * Filesystem storage on an emptyDir volume. Every image is lost when the pod is deleted,
   * rescheduled or evicted: for caches and throw-away environments only.
   */
  public static emptyDir(options: EmptyDirStorageOptions = {}): StorageBackend {
    return new EmptyDirStorage(options);
  }

  /**
   * The `inmemory` driver: everything is held in the registry process and lost when it stops.
   * Meant for tests only.
   */
  public static inMemory(): StorageBackend {
    return new InMemoryStorage();
  }

  protected constructor() {
  }

  /** The storage driver's name (`filesystem`, `s3`, `swift`, ...), used to check it against the registry version. */
  public abstract get driver(): string;

  /**
   * Renders the backend for a registry. Called once per registry, at construction.
   * @param scope the registry construct; objects the backend creates (a PVC, a Secret) go under it
   */
  public abstract bind(scope: Construct, context: StorageBindContext): StorageBinding;
}

// These imports come last: the variants extend StorageBackend, which must be defined first.
/* eslint-disable import/order */
import { EmptyDirStorage, EmptyDirStorageOptions } from './empty-dir-storage';
import { ExistingClaimStorage, ExistingClaimStorageOptions } from './existing-claim-storage';
import { InMemoryStorage } from './in-memory-storage';
import { PersistentVolumeClaimStorage, PersistentVolumeClaimStorageOptions } from './persistent-volume-claim-storage';
