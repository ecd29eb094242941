import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { RegistryVersion } from '../config/registry-version';
import { RegistryMount } from '../registry-mount';

/**
 * What a storage backend is told when it is bound to a registry.
 */
export interface StorageBindContext {
  /** The registry release that will run, which decides the config keys to render. */
  readonly version: RegistryVersion;

  /**
   * The registry's base name, when the user gave one: objects the backend creates are named from it, so that
   * renaming construct ids or charts does not rename them.
   * @default - no name: objects are named by cdk8s from the construct path
   */
  readonly name?: string;

  /**
   * The `app.kubernetes.io/*` labels of the registry's objects: an object the backend creates (a claim) carries
   * them, with its own `app.kubernetes.io/component`.
   * @default - no labels
   */
  readonly labels?: { [key: string]: string };
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
   * Never a credential: those go in `env` as Secret references. Keys whose value is undefined are
   * left out of config.yml by the renderer, so backends need not filter them.
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

  /**
   * Labels for the registry's pods (for example `azure.workload.identity/use`, which AKS workload
   * identity needs on the pod). Never used in the Deployment's selector.
   * @default - none
   */
  readonly podLabels?: { [key: string]: string };

  /**
   * The volume holding the images, for filesystem backends: a fact for parts and jobs that must reach it
   * (garbage collection), so that none has to find it in the rendered pod.
   * @default - the images are not on a volume of the pod (object storage, in memory)
   */
  readonly dataVolume?: StorageDataVolume;
}

/**
 * The volume a filesystem backend keeps the images on.
 */
export interface StorageDataVolume {
  /** The volume. */
  readonly volume: kplus.Volume;

  /** Where the registry container mounts it (`storage.filesystem.rootdirectory`). */
  readonly path: string;

  /** Whether only the registry's own pod can see it (an emptyDir). */
  readonly podLocal: boolean;

  /**
   * The claim it is on, if any.
   * @default - not on a claim
   */
  readonly claim?: kplus.IPersistentVolumeClaim;

  /**
   * The claim's access mode, as created or declared.
   * @default - not on a claim
   */
  readonly accessMode?: kplus.PersistentVolumeAccessMode;
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

  /**
   * Amazon S3, or any S3-compatible store through `regionEndpoint`, with keys from a Secret or an
   * IAM role (IRSA). Renders each registry version's own keys (path style, `forcepathstyle`).
   */
  public static s3(options: S3StorageOptions): StorageBackend {
    return new S3Storage(options);
  }

  /**
   * DigitalOcean Spaces: the region slug (`ams3`) becomes the endpoint `https://ams3.digitaloceanspaces.com`.
   */
  public static digitalOceanSpaces(options: DigitalOceanSpacesStorageOptions): StorageBackend {
    return new DigitalOceanSpacesStorage(options);
  }

  /**
   * MinIO, Ceph RGW or another self-hosted S3-compatible store: a custom endpoint with path-style addressing.
   */
  public static minio(options: MinioStorageOptions): StorageBackend {
    return new MinioStorage(options);
  }

  /**
   * SAP BTP Object Store, from its service binding Secret alone (AWS-backed instances; GCP- and
   * Azure-backed ones fail at synth time with the reason).
   */
  public static btpObjectStore(options: BtpObjectStoreStorageOptions): StorageBackend {
    return new BtpObjectStoreStorage(options);
  }

  /**
   * OpenStack Swift, or IBM SoftLayer Object Storage with v1 auth. The swift driver exists in
   * registry 2.8 only, which is picked when no version is given.
   */
  public static swift(options: SwiftStorageOptions): StorageBackend {
    return new SwiftStorage(options);
  }

  /**
   * Microsoft Azure Blob Storage, with a shared key from a Secret (Kyma's Secret layout works as is), or on
   * registry 3.x a client secret or workload identity. Renders each version's keys (`credentials.type` on 3.x).
   */
  public static azure(options: AzureStorageOptions): StorageBackend {
    return new AzureStorage(options);
  }

  /**
   * Google Cloud Storage, with a service account key file mounted from a Secret, or GKE Workload Identity.
   */
  public static gcs(options: GcsStorageOptions): StorageBackend {
    return new GcsStorage(options);
  }

  /**
   * Aliyun (Alibaba Cloud) OSS with an AccessKey pair from a Secret. The oss driver exists in registry 2.8
   * only, which is picked when no version is given.
   */
  public static oss(options: OssStorageOptions): StorageBackend {
    return new OssStorage(options);
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

  /**
   * This storage for one of several registries configured alike that must not share their keys, such as the
   * mirrors of a `RegistryMirrorSet` (two pull-through caches in one root would mix their repositories and overwrite
   * each other's `scheduler-state.json`). Object stores put the registry's keys under `<rootDirectory>/<key>`; a
   * backend that makes its own volume for each registry (a new claim, an emptyDir, in memory) is returned as it is.
   * Refused where neither holds, such as an existing claim that every registry would mount.
   * @param scope the construct asking, which errors name
   * @param key the registry's own segment of the key prefix, such as `docker-io`
   */
  public partition(scope: IConstruct, key: string): StorageBackend {
    throw propError(scope, 'storage', `(${this.driver}) cannot be split between several registries: it has no key prefix the library can give each of them. `
      + `Give each registry (${key} included) a storage of its own`);
  }
}

// These imports come last: the variants extend StorageBackend, which must be defined first.
/* eslint-disable import/order */
import { EmptyDirStorage, EmptyDirStorageOptions } from './empty-dir-storage';
import { ExistingClaimStorage, ExistingClaimStorageOptions } from './existing-claim-storage';
import { InMemoryStorage } from './in-memory-storage';
import { PersistentVolumeClaimStorage, PersistentVolumeClaimStorageOptions } from './persistent-volume-claim-storage';
import { S3Storage, S3StorageOptions } from './s3-storage';
import { DigitalOceanSpacesStorage, DigitalOceanSpacesStorageOptions } from './digital-ocean-spaces-storage';
import { MinioStorage, MinioStorageOptions } from './minio-storage';
import { BtpObjectStoreStorage, BtpObjectStoreStorageOptions } from './btp-object-store-storage';
import { SwiftStorage, SwiftStorageOptions } from './swift-storage';
import { AzureStorage, AzureStorageOptions } from './azure-storage';
import { GcsStorage, GcsStorageOptions } from './gcs-storage';
import { OssStorage, OssStorageOptions } from './oss-storage';
import { propError } from '../util/validation';
