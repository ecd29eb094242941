import { Size } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { keyPrefix } from './object-store-validation';
import { S3Credentials, S3Storage } from './s3-storage';
import { StorageBackend, StorageBindContext, StorageBinding } from './storage-backend';
import { parseEndpoint, propError, requireProp } from '../util/validation';

/**
 * Options for `StorageBackend.digitalOceanSpaces()`.
 */
export interface DigitalOceanSpacesStorageOptions {
  /**
   * The Spaces datacenter slug, such as `ams3`, `nyc3`, `sfo3`, `fra1` or `sgp1`
   * (the first label of the bucket's endpoint `ams3.digitaloceanspaces.com`).
   */
  readonly region: string;

  /** The Space (bucket) name. */
  readonly bucket: string;

  /** The Spaces access key, from a Secret: `S3Credentials.fromSecret()`. Spaces has no IAM roles. */
  readonly credentials: S3Credentials;

  /**
   * Override of the endpoint URL, for example to point the preset at a local S3-compatible server in tests.
   * @default - `https://<region>.digitaloceanspaces.com`
   */
  readonly endpoint?: string;

  /**
   * The region requests are signed for. Spaces accepts any; `us-east-1` is what most S3 clients send.
   * @default 'us-east-1'
   */
  readonly signingRegion?: string;

  /**
   * A prefix for every key the registry writes (`rootdirectory`).
   * @default - the Space's root
   */
  readonly rootDirectory?: string;

  /**
   * Size of multipart upload chunks, from 5 MiB to 5 GiB.
   * @default - the driver's default, 10 MiB
   */
  readonly chunkSize?: Size;
}

/**
 * DigitalOcean Spaces through the `s3` driver: the region slug becomes the endpoint, with
 * signature version 4 and path-style addressing on every registry version.
 */
export class DigitalOceanSpacesStorage extends StorageBackend {
  public constructor(private readonly options: DigitalOceanSpacesStorageOptions) {
    super();
  }

  public get driver(): string {
    return 's3';
  }

  /** The same store with the registry's keys under `<rootDirectory>/<key>`. */
  public partition(scope: IConstruct, key: string): StorageBackend {
    return new DigitalOceanSpacesStorage({ ...this.options, rootDirectory: keyPrefix(scope, this.options?.rootDirectory, key) });
  }

  public bind(scope: Construct, context: StorageBindContext): StorageBinding {
    const o = requireProp(scope, 'storage', this.options, 'give StorageBackend.digitalOceanSpaces({ region, bucket, credentials })');
    requireProp(scope, 'storage.credentials', o.credentials, 'say how the registry authenticates to the store: S3Credentials.fromSecret(secret) with the Spaces access key and secret');
    if (typeof o.region !== 'string' || !/^[a-z]{3}[0-9]$/.test(o.region)) {
      throw propError(scope, 'storage.region', `(${JSON.stringify(o.region)}) is not a DigitalOcean Spaces region slug: give three letters and a digit, `
        + 'such as "ams3", "nyc3", "sfo3", "fra1" or "sgp1" (the first label of <slug>.digitaloceanspaces.com)');
    }
    if (o.endpoint !== undefined) {
      // Checked here so that the error names this preset's property.
      parseEndpoint(scope, 'storage.endpoint', o.endpoint, 'https://ams3.digitaloceanspaces.com');
    }
    if (o.credentials?.isIamRole) {
      throw propError(scope, 'storage.credentials', 'is an IAM role, which DigitalOcean Spaces does not have: use S3Credentials.fromSecret() with a Spaces access key');
    }
    const binding = new S3Storage({
      bucket: o.bucket,
      region: o.signingRegion ?? 'us-east-1',
      regionEndpoint: o.endpoint ?? `https://${o.region}.digitaloceanspaces.com`,
      v4auth: true,
      forcePathStyle: true,
      rootDirectory: o.rootDirectory,
      chunkSize: o.chunkSize,
      credentials: o.credentials,
    }).bind(scope, context);
    return binding;
  }
}
