import { Size } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { keyPrefix } from './object-store-validation';
import { S3Credentials, S3Storage } from './s3-storage';
import { StorageBackend, StorageBindContext, StorageBinding } from './storage-backend';
import { parseEndpoint, propError, requireProp } from '../util/validation';

/**
 * Options for `StorageBackend.minio()`.
 */
export interface MinioStorageOptions {
  /** The server's URL with scheme, host and optional port, such as `http://minio.minio.svc:9000`. */
  readonly endpoint: string;

  /** The bucket, which must exist before the registry starts. */
  readonly bucket: string;

  /** The access key, from a Secret: `S3Credentials.fromSecret()`. */
  readonly credentials: S3Credentials;

  /**
   * The region requests are signed for; MinIO's default is `us-east-1`, Ceph RGW takes its zonegroup name.
   * @default 'us-east-1'
   */
  readonly region?: string;

  /**
   * Skip TLS certificate verification, for a self-signed https:// endpoint.
   * @default false
   */
  readonly skipVerify?: boolean;

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

/**
 * MinIO, Ceph RGW or another self-hosted S3-compatible store through the `s3` driver: a custom
 * endpoint with path-style addressing on every registry version (2.8 implies it, 3.x renders
 * `forcepathstyle: true`), and HTTPS exactly when the endpoint says https://.
 */
export class MinioStorage extends StorageBackend {
  public constructor(private readonly options: MinioStorageOptions) {
    super();
  }

  public get driver(): string {
    return 's3';
  }

  /** The same store with the registry's keys under `<rootDirectory>/<key>`. */
  public partition(scope: IConstruct, key: string): StorageBackend {
    return new MinioStorage({ ...this.options, rootDirectory: keyPrefix(scope, this.options?.rootDirectory, key) });
  }

  public bind(scope: Construct, context: StorageBindContext): StorageBinding {
    const o = requireProp(scope, 'storage', this.options, 'give StorageBackend.minio({ endpoint, bucket, credentials })');
    requireProp(scope, 'storage.credentials', o.credentials, 'say how the registry authenticates to the store: S3Credentials.fromSecret(secret) with the access key and secret key');
    if (typeof o.endpoint !== 'string' || o.endpoint === '') {
      throw propError(scope, 'storage.endpoint', 'is required: give the server\'s URL such as "http://minio.minio.svc:9000"');
    }
    if (o.endpoint !== undefined) {
      // Checked here so that the error names this preset's property.
      parseEndpoint(scope, 'storage.endpoint', o.endpoint, 'http://minio.minio.svc:9000');
    }
    if (o.credentials?.isIamRole) {
      throw propError(scope, 'storage.credentials', 'is an IAM role, which a self-hosted S3-compatible store cannot use: use S3Credentials.fromSecret()');
    }
    return new S3Storage({
      bucket: o.bucket,
      region: o.region ?? 'us-east-1',
      regionEndpoint: o.endpoint,
      forcePathStyle: true,
      skipVerify: o.skipVerify,
      rootDirectory: o.rootDirectory,
      chunkSize: o.chunkSize,
      credentials: o.credentials,
    }).bind(scope, context);
  }
}
