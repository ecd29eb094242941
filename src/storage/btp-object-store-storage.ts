import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { chunkSizeInRange, requireRootDirectory, S3_MAX_CHUNK_SIZE, S3_MIN_CHUNK_SIZE, keyPrefix } from './object-store-validation';
import { StorageBackend, StorageBindContext, StorageBinding } from './storage-backend';
import { secretEnv } from '../util/secret-env';
import { propError, requireProp } from '../util/validation';

/**
 * The cloud under an SAP BTP Object Store instance, which decides the layout of its binding Secret.
 */
export enum BtpHyperscaler {
  /** Amazon S3: the binding holds `bucket`, `region`, `host`, `access_key_id` and `secret_access_key`. */
  AWS = 'aws',
  /**
   * Google Cloud Storage: the binding holds `bucket`, `projectId` and `base64EncodedPrivateKeyData`.
   * Not supported yet: see `StorageBackend.btpObjectStore()`.
   */
  GCP = 'gcp',
  /** Azure Blob Storage: not supported, as in Kyma's docker-registry module (the binding carries a SAS token only). */
  AZURE = 'azure',
}

/**
 * Options for `StorageBackend.btpObjectStore()`.
 */
export interface BtpObjectStoreStorageOptions {
  /**
   * The Secret of the Object Store instance's service binding (created by the SAP BTP service operator),
   * usually `kplus.Secret.fromSecretName(scope, 'Binding', 'my-object-store-binding')`.
   */
  readonly secret: kplus.ISecret;

  /** The hyperscaler of the BTP subaccount, which the binding's keys depend on. */
  readonly hyperscaler: BtpHyperscaler;

  /**
   * A prefix for every key the registry writes (`rootdirectory`).
   * @default - the bucket's root
   */
  readonly rootDirectory?: string;

  /**
   * Size of multipart upload chunks, from 5 MiB to 5 GiB.
   * @default - the driver's default, 10 MiB
   */
  readonly chunkSize?: Size;
}

/** Keys of an AWS-backed Object Store binding, and the s3 parameter each one sets. */
const AWS_BINDING_KEYS: Array<[string, string]> = [
  ['access_key_id', 'REGISTRY_STORAGE_S3_ACCESSKEY'],
  ['bucket', 'REGISTRY_STORAGE_S3_BUCKET'],
  ['region', 'REGISTRY_STORAGE_S3_REGION'],
  ['secret_access_key', 'REGISTRY_STORAGE_S3_SECRETKEY'],
];

/**
 * SAP BTP Object Store, configured from its service binding Secret alone. On AWS the binding's
 * bucket, region and keys reach the `s3` driver as `REGISTRY_STORAGE_S3_*` variables read from
 * the Secret, so nothing the binding knows is copied into the chart.
 */
export class BtpObjectStoreStorage extends StorageBackend {
  public constructor(private readonly options: BtpObjectStoreStorageOptions) {
    super();
  }

  public get driver(): string {
    // The GCP and Azure cases fail in bind(); report s3 so the version check passes first.
    return this.options.hyperscaler === BtpHyperscaler.GCP ? 'gcs' : 's3';
  }

  /** The same store with the registry's keys under `<rootDirectory>/<key>`. */
  public partition(scope: IConstruct, key: string): StorageBackend {
    return new BtpObjectStoreStorage({ ...this.options, rootDirectory: keyPrefix(scope, this.options?.rootDirectory, key) });
  }

  public bind(scope: Construct, _context: StorageBindContext): StorageBinding {
    const o = requireProp(scope, 'storage', this.options, 'give StorageBackend.btpObjectStore({ secret, hyperscaler })');
    switch (o.hyperscaler) {
      case BtpHyperscaler.AWS:
        break;
      case BtpHyperscaler.AZURE:
        throw propError(scope, 'storage.hyperscaler', '(AZURE) is not supported: an Azure-backed BTP Object Store binding carries only a SAS token, '
          + 'which the registry\'s azure driver cannot use (Kyma\'s docker-registry module refuses it too). '
          + 'Use a BTP subaccount on AWS, or StorageBackend.azure() with an account key');
      case BtpHyperscaler.GCP:
        throw propError(scope, 'storage.hyperscaler', '(GCP) is not supported yet: the binding holds the service account key base64-encoded '
          + '(base64EncodedPrivateKeyData), while the gcs driver reads a JSON key file, and a Secret cannot be decoded on the way '
          + 'into a pod without running code. Create a Secret holding the decoded key JSON and the binding\'s bucket, and use StorageBackend.gcs()');
      default:
        throw propError(scope, 'storage.hyperscaler', `(${JSON.stringify(o.hyperscaler)}) must be BtpHyperscaler.AWS, GCP or AZURE`);
    }
    const env: { [name: string]: kplus.EnvValue } = {};
    for (const [key, variable] of AWS_BINDING_KEYS) {
      env[variable] = secretEnv(scope, 'storage.secret', o.secret, key);
    }
    if (o.rootDirectory !== undefined) requireRootDirectory(scope, 'storage.rootDirectory', o.rootDirectory);
    return {
      driver: 's3',
      // bucket, region and the keys come from the binding through env; the parser adds them to this map.
      parameters: ({
        secure: true,
        chunksize: o.chunkSize ? chunkSizeInRange(scope, 'storage.chunkSize', o.chunkSize, S3_MIN_CHUNK_SIZE, S3_MAX_CHUNK_SIZE, 's3') : undefined,
        rootdirectory: o.rootDirectory,
      }),
      env,
    };
  }
}
