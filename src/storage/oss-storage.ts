import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { chunkSizeInRange, requireRootDirectory, keyPrefix } from './object-store-validation';
import { StorageBackend, StorageBindContext, StorageBinding } from './storage-backend';
import { secretEnv } from '../util/secret-env';
import { propError, requireProp } from '../util/validation';

/** The oss driver's smallest chunk, 5 MiB (`minChunkSize = 5 << 20`, registry/storage/driver/oss/oss.go, v2.8.3). */
export const OSS_MIN_CHUNK_SIZE = 5 * 1024 * 1024;

/**
 * Keys of a Secret holding an Alibaba Cloud AccessKey pair, for `OssCredentials.fromSecret()`.
 */
export interface OssSecretKeysOptions {
  /**
   * The key holding the AccessKey id.
   * @default 'accessKeyId'
   */
  readonly accessKeyIdKey?: string;

  /**
   * The key holding the AccessKey secret.
   * @default 'accessKeySecret'
   */
  readonly accessKeySecretKey?: string;
}

/**
 * How the registry authenticates to Aliyun OSS. The 2.8 oss driver needs an AccessKey pair
 * (`accesskeyid`, `accesskeysecret`); it reaches the registry only as environment variables read
 * from a Secret.
 */
export abstract class OssCredentials {
  /** An AccessKey pair read from a Secret. */
  public static fromSecret(secret: kplus.ISecret, options: OssSecretKeysOptions = {}): OssCredentials {
    return new SecretOssCredentials(secret, options.accessKeyIdKey ?? 'accessKeyId', options.accessKeySecretKey ?? 'accessKeySecret');
  }

  protected constructor() {
  }

  /**
   * The `REGISTRY_STORAGE_OSS_*` variables holding the credentials.
   * @param scope the registry, for error messages
   * @param property the property path to name in errors
   */
  public abstract bind(scope: IConstruct, property: string): { [name: string]: kplus.EnvValue };
}

class SecretOssCredentials extends OssCredentials {
  public constructor(private readonly secret: kplus.ISecret, private readonly idKey: string, private readonly secretKey: string) {
    super();
  }

  public bind(scope: IConstruct, property: string): { [name: string]: kplus.EnvValue } {
    // Top-level driver keys, created by the registry's env parser (configuration/parser.go, v2.8.3).
    return {
      REGISTRY_STORAGE_OSS_ACCESSKEYID: secretEnv(scope, `${property}.accessKeyIdKey`, this.secret, this.idKey),
      REGISTRY_STORAGE_OSS_ACCESSKEYSECRET: secretEnv(scope, `${property}.accessKeySecretKey`, this.secret, this.secretKey),
    };
  }
}

/**
 * Options for `StorageBackend.oss()`.
 */
export interface OssStorageOptions {
  /** The bucket (3 to 63 lower-case letters, digits and hyphens). */
  readonly bucket: string;

  /** The bucket's region id, such as `oss-cn-hangzhou`. */
  readonly region: string;

  /** The AccessKey pair, from a Secret. */
  readonly credentials: OssCredentials;

  /**
   * A host name (and optional port) that replaces the region's endpoint (`endpoint`). It must address the bucket
   * itself, such as `BUCKET.oss-cn-hangzhou-internal.aliyuncs.com` or a custom domain bound to the bucket: the driver
   * then no longer puts the bucket in the host. Host only: the scheme follows `secure`.
   * @default - BUCKET.REGION.aliyuncs.com, or BUCKET.REGION-internal.aliyuncs.com with `internal`
   */
  readonly endpoint?: string;

  /**
   * Use the region's internal (intranet) endpoint, free of traffic charges inside Alibaba Cloud (`internal`).
   * @default false
   */
  readonly internal?: boolean;

  /**
   * Server-side encryption of every object (`encrypt`).
   * @default false
   */
  readonly encrypt?: boolean;

  /**
   * Talk HTTPS to OSS (`secure`).
   * @default true
   */
  readonly secure?: boolean;

  /**
   * Size of multipart upload chunks (`chunksize`), at least 5 MiB.
   * @default - the driver's default, 10 MiB
   */
  readonly chunkSize?: Size;

  /**
   * A prefix for every object the registry writes (`rootdirectory`).
   * @default - the bucket's root
   */
  readonly rootDirectory?: string;
}

/**
 * Aliyun (Alibaba Cloud) Object Storage Service (the `oss` driver). Registry 2.8 only: 3.x removed
 * the driver, so the registry picks 2.8 by default and a pinned 3.x release is refused.
 */
export class OssStorage extends StorageBackend {
  public constructor(private readonly options: OssStorageOptions) {
    super();
  }

  public get driver(): string {
    return 'oss';
  }

  /** The same store with the registry's keys under `<rootDirectory>/<key>`. */
  public partition(scope: IConstruct, key: string): StorageBackend {
    return new OssStorage({ ...this.options, rootDirectory: keyPrefix(scope, this.options?.rootDirectory, key) });
  }

  public bind(scope: Construct, _context: StorageBindContext): StorageBinding {
    const o = requireProp(scope, 'storage', this.options, 'give StorageBackend.oss({ bucket, region, credentials })');
    requireProp(scope, 'storage.credentials', o.credentials, 'the oss driver needs OssCredentials.fromSecret(secret)');
    requireOssBucketName(scope, 'storage.bucket', o.bucket);
    if (typeof o.region !== 'string' || o.region.trim() === '') {
      throw propError(scope, 'storage.region', 'is required by the oss driver: give the bucket\'s region id such as "oss-cn-hangzhou"');
    }
    if (!/^oss-[a-z]+(-[a-z0-9]+)+$/.test(o.region)) {
      throw propError(scope, 'storage.region', `(${JSON.stringify(o.region)}) is not an OSS region id: give one of the form "oss-<region>", `
        + 'such as "oss-cn-hangzhou" or "oss-ap-southeast-1"');
    }
    let endpoint: string | undefined;
    if (o.endpoint !== undefined) {
      endpoint = requireOssEndpoint(scope, 'storage.endpoint', o.endpoint);
      if (o.internal === true) {
        throw propError(scope, 'storage.internal', '(true) is ignored by the oss driver when \'endpoint\' is set (the endpoint replaces the region\'s '
          + 'internal and public endpoints): drop one of them, or give the internal host as the endpoint');
      }
    }
    const chunksize = o.chunkSize !== undefined
      ? chunkSizeInRange(scope, 'storage.chunkSize', o.chunkSize, OSS_MIN_CHUNK_SIZE, undefined, 'oss')
      : undefined;
    const rootdirectory = o.rootDirectory !== undefined ? requireRootDirectory(scope, 'storage.rootDirectory', o.rootDirectory) : undefined;

    // Parameter names and types: docs/configuration.md and registry/storage/driver/oss/oss.go FromParameters (v2.8.3);
    // internal, encrypt and secure must be YAML booleans there.
    return {
      driver: 'oss',
      parameters: ({
        region: o.region,
        endpoint,
        internal: o.internal,
        bucket: o.bucket,
        encrypt: o.encrypt,
        secure: o.secure,
        chunksize,
        rootdirectory,
      }),
      env: o.credentials.bind(scope, 'storage.credentials'),
    };
  }
}

/** OSS bucket naming rules: 3 to 63 lower-case letters, digits and hyphens, starting and ending with a letter or digit. */
function requireOssBucketName(scope: IConstruct, property: string, bucket: string): void {
  if (typeof bucket !== 'string' || bucket.length < 3 || bucket.length > 63 || !/^[a-z0-9][a-z0-9-]*[a-z0-9]$/.test(bucket)) {
    throw propError(scope, property, `(${JSON.stringify(bucket)}) is not a valid OSS bucket name: 3 to 63 lower-case letters, digits and '-', `
      + 'starting and ending with a letter or digit');
  }
}

/**
 * The driver prefixes the endpoint with http:// or https:// itself and uses it as the request's host as is, without
 * the bucket (vendor/github.com/denverdino/aliyungo/oss/client.go, setBaseURL, at v2.8.3).
 */
function requireOssEndpoint(scope: IConstruct, property: string, value: string): string {
  const host = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:\d{1,5})?$/;
  if (typeof value !== 'string' || !host.test(value)) {
    const hint = /^[a-z]+:\/\//i.test(value) ? ' (drop the scheme: the driver adds https://, or http:// with secure: false)' : '';
    throw propError(scope, property, `(${JSON.stringify(value)}) must be a host name with an optional port, addressing the bucket, such as "mybucket.oss-cn-hangzhou.aliyuncs.com" or a custom domain bound to it${hint}`);
  }
  const port = /:(\d+)$/.exec(value);
  if (port && (Number(port[1]) < 1 || Number(port[1]) > 65535)) {
    throw propError(scope, property, `(${JSON.stringify(value)}) has port ${port[1]}, which must be from 1 to 65535`);
  }
  return value;
}
