import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { requireRootDirectory, sizeInBytes, keyPrefix } from './object-store-validation';
import { StorageBackend, StorageBindContext, StorageBinding } from './storage-backend';
import { RegistryMount } from '../registry-mount';
import { secretVolume } from '../util/secret-env';
import { propError, requireProp } from '../util/validation';

/** The gcs driver's chunk granularity and minimum: 256 KiB (`minChunkSize`, registry/storage/driver/gcs/gcs.go, v2.8.3 and v3.0.0). */
export const GCS_CHUNK_SIZE_UNIT = 256 * 1024;

/** The gcs driver's lower bound of `maxconcurrency` (`minConcurrency`, gcs.go, v2.8.3 and v3.0.0). */
const GCS_MIN_CONCURRENCY = 25;

/** Where a key file Secret is mounted in the registry container. */
export const GCS_KEY_FILE_DIR = '/etc/registry/gcs';

/** The file name of the mounted key, whatever its key in the Secret. */
const GCS_KEY_FILE_NAME = 'key.json';

/** ServiceAccount annotation GKE Workload Identity reads for the Google service account to act as. */
export const GKE_WORKLOAD_IDENTITY_ANNOTATION = 'iam.gke.io/gcp-service-account';

/**
 * Options of `GcsCredentials.fromKeyFileSecret()`.
 */
export interface GcsKeyFileOptions {
  /**
   * The key of the Secret holding the service account key (JSON).
   * @default 'key.json'
   */
  readonly key?: string;
}

/**
 * What GCS credentials add to the registry: config keys, a mounted key file, ServiceAccount annotations.
 */
export interface GcsCredentialsBinding {
  /**
   * Keys rendered under `storage.gcs` (`keyfile`): paths only, never key material.
   * @default - none
   */
  readonly parameters?: { [key: string]: any };
  /**
   * Volumes mounted into the registry container.
   * @default - none
   */
  readonly mounts?: RegistryMount[];
  /**
   * Annotations for the registry's ServiceAccount.
   * @default - none
   */
  readonly serviceAccountAnnotations?: { [key: string]: string };
}

/**
 * How the registry authenticates to Google Cloud Storage.
 */
export abstract class GcsCredentials {
  /**
   * A service account key (JSON) from a Secret, mounted read-only as a file that `keyfile` points at.
   * The key never appears in config.yml or the environment.
   */
  public static fromKeyFileSecret(secret: kplus.ISecret, options: GcsKeyFileOptions = {}): GcsCredentials {
    return new KeyFileGcsCredentials(secret, options.key ?? GCS_KEY_FILE_NAME);
  }

  /**
   * No key: Application Default Credentials from the GKE metadata server (Workload Identity).
   * With a Google service account email, the registry's ServiceAccount is annotated with
   * `iam.gke.io/gcp-service-account` so it acts as that account; without one, grant the Kubernetes
   * ServiceAccount's principal access to the bucket directly (Workload Identity Federation for GKE).
   */
  public static workloadIdentity(serviceAccountEmail?: string): GcsCredentials {
    return new WorkloadIdentityGcsCredentials(serviceAccountEmail);
  }

  protected constructor() {
  }

  /**
   * Renders the credentials for the gcs driver.
   * @param scope the registry; a key file volume is created under it
   * @param property the property path to name in errors
   */
  public abstract bind(scope: IConstruct, property: string): GcsCredentialsBinding;
}

class KeyFileGcsCredentials extends GcsCredentials {
  public constructor(private readonly secret: kplus.ISecret, private readonly key: string) {
    super();
  }

  public bind(scope: IConstruct, property: string): GcsCredentialsBinding {
    const volume = secretVolume(scope, 'GcsKeyFileVolume', 'gcs-key', this.secret, [{ key: this.key, path: GCS_KEY_FILE_NAME, property: `${property}.key` }]);
    return {
      // `keyfile`: the driver reads the JSON key from this path (gcs.go, FromParameters, v2.8.3 and v3.0.0).
      parameters: { keyfile: `${GCS_KEY_FILE_DIR}/${GCS_KEY_FILE_NAME}` },
      mounts: [{ volume, path: GCS_KEY_FILE_DIR, readOnly: true }],
    };
  }
}

class WorkloadIdentityGcsCredentials extends GcsCredentials {
  public constructor(private readonly serviceAccountEmail?: string) {
    super();
  }

  public bind(scope: IConstruct, property: string): GcsCredentialsBinding {
    const email = this.serviceAccountEmail;
    if (email === undefined) {
      return {};
    }
    if (!/^[a-z0-9][-a-z0-9.]{4,62}@[a-z0-9][-a-z0-9.:]*\.gserviceaccount\.com$/.test(email)) {
      throw propError(scope, property, `service account (${JSON.stringify(email)}) must be a Google service account email `
        + 'such as "registry@my-project.iam.gserviceaccount.com"');
    }
    return { serviceAccountAnnotations: { [GKE_WORKLOAD_IDENTITY_ANNOTATION]: email } };
  }
}

/**
 * Options for `StorageBackend.gcs()`.
 */
export interface GcsStorageOptions {
  /** The bucket, which must exist before the registry starts. */
  readonly bucket: string;

  /** How the registry authenticates. */
  readonly credentials: GcsCredentials;

  /**
   * A prefix for every object the registry writes (`rootdirectory`). The driver expects
   * `BUCKET/PREFIX` to exist before it starts.
   * @default - the bucket's root
   */
  readonly rootDirectory?: string;

  /**
   * Size of the chunks of resumable uploads (`chunksize`): a multiple of 256 KiB, at least 256 KiB.
   * A byte count from a values file (`chunksize: 5242880`) is `Size.kibibytes(5242880 / 1024)`, here `Size.mebibytes(5)`.
   * @default - the driver's default: 5 MiB on registry 2.8, 16 MiB on 3.x
   */
  readonly chunkSize?: Size;

  /**
   * Most concurrent calls to GCS (`maxconcurrency`), at least 25.
   * @default - the driver's default, 50
   */
  readonly maxConcurrency?: number;
}

/**
 * Google Cloud Storage (the `gcs` driver) on registry 2.8 and 3.x, with a mounted key file or
 * Workload Identity.
 */
export class GcsStorage extends StorageBackend {
  public constructor(private readonly options: GcsStorageOptions) {
    super();
  }

  public get driver(): string {
    return 'gcs';
  }

  /** The same store with the registry's keys under `<rootDirectory>/<key>`. */
  public partition(scope: IConstruct, key: string): StorageBackend {
    return new GcsStorage({ ...this.options, rootDirectory: keyPrefix(scope, this.options?.rootDirectory, key) });
  }

  public bind(scope: Construct, _context: StorageBindContext): StorageBinding {
    const o = requireProp(scope, 'storage', this.options, 'give StorageBackend.gcs({ bucket, credentials })');
    requireProp(scope, 'storage.credentials', o.credentials, 'say how the registry authenticates to the store: GcsCredentials.fromKeyFileSecret(secret) or GcsCredentials.workloadIdentity()');
    requireGcsBucketName(scope, 'storage.bucket', o.bucket);
    const rootdirectory = o.rootDirectory !== undefined ? requireRootDirectory(scope, 'storage.rootDirectory', o.rootDirectory) : undefined;
    let chunksize: number | undefined;
    if (o.chunkSize !== undefined) {
      chunksize = sizeInBytes(scope, 'storage.chunkSize', o.chunkSize);
      // Both checks of gcs.go (FromParameters and New), v2.8.3 and v3.0.0.
      if (chunksize < GCS_CHUNK_SIZE_UNIT || chunksize % GCS_CHUNK_SIZE_UNIT !== 0) {
        throw propError(scope, 'storage.chunkSize', `(${chunksize} bytes) is rejected by the gcs driver: the chunk size must be a positive multiple `
          + `of 256 KiB (${GCS_CHUNK_SIZE_UNIT} bytes), such as Size.mebibytes(16)`);
      }
    }
    const concurrency = o.maxConcurrency;
    if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < GCS_MIN_CONCURRENCY || concurrency > 10000)) {
      throw propError(scope, 'storage.maxConcurrency', `(${o.maxConcurrency}) must be a whole number from ${GCS_MIN_CONCURRENCY} (the driver's minimum) to 10000`);
    }
    const credentials = o.credentials.bind(scope, 'storage.credentials');
    // Parameter names and types: docs/content/storage-drivers/gcs.md (v3.0.0), docs/configuration.md (v2.8.3),
    // registry/storage/driver/gcs/gcs.go FromParameters at both tags.
    return {
      driver: 'gcs',
      parameters: ({
        bucket: o.bucket,
        ...credentials.parameters,
        rootdirectory,
        chunksize,
        maxconcurrency: o.maxConcurrency,
      }),
      mounts: credentials.mounts,
      serviceAccountAnnotations: credentials.serviceAccountAnnotations,
    };
  }
}

/** Google Cloud Storage bucket naming rules (https://cloud.google.com/storage/docs/buckets#naming). */
function requireGcsBucketName(scope: IConstruct, property: string, bucket: string): void {
  const problems: string[] = [];
  if (typeof bucket !== 'string' || bucket.length < 3 || bucket.length > 222) {
    problems.push('be 3 to 63 characters long (up to 222 with dots, each dot-separated part at most 63)');
  } else {
    if (!/^[a-z0-9][a-z0-9._-]*[a-z0-9]$/.test(bucket)) {
      problems.push('use only lower-case letters, digits, \'-\', \'_\' and \'.\', and start and end with a letter or digit');
    }
    if (!bucket.includes('.') && bucket.length > 63) problems.push('be at most 63 characters long without dots');
    if (bucket.split('.').some((part) => part.length === 0 || part.length > 63)) problems.push('have dot-separated parts of 1 to 63 characters');
    if (/^\d+\.\d+\.\d+\.\d+$/.test(bucket)) problems.push('not look like an IP address');
    if (bucket.startsWith('goog') || /g[o0][o0]gle/.test(bucket)) problems.push('not start with "goog" nor contain "google"');
  }
  if (problems.length > 0) {
    throw propError(scope, property, `(${JSON.stringify(bucket)}) is not a valid GCS bucket name: it must ${problems.join(', ')}`);
  }
}
