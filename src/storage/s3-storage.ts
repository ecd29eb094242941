import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import {
  chunkSizeInRange, endpointString, IRSA_ROLE_ANNOTATION, requireRootDirectory, requireS3BucketName, requireS3Region,
  keyPrefix, S3_MAX_CHUNK_SIZE, S3_MIN_CHUNK_SIZE,
} from './object-store-validation';
import { StorageBackend, StorageBindContext, StorageBinding } from './storage-backend';
import { RegistryFeature, RegistryVersion } from '../config/registry-version';
import { secretEnv } from '../util/secret-env';
import { parseEndpoint, propError, requireProp } from '../util/validation';

/**
 * The S3 storage class applied to every object the registry writes (`storageclass`).
 */
export enum S3StorageClass {
  /** S3 Standard, the driver's default. */
  STANDARD = 'STANDARD',
  /** Reduced redundancy. */
  REDUCED_REDUNDANCY = 'REDUCED_REDUNDANCY',
  /** Standard-Infrequent Access (registry 3.x only). */
  STANDARD_IA = 'STANDARD_IA',
  /** One Zone-Infrequent Access (registry 3.x only). */
  ONEZONE_IA = 'ONEZONE_IA',
  /** Intelligent-Tiering (registry 3.x only). */
  INTELLIGENT_TIERING = 'INTELLIGENT_TIERING',
  /** S3 on Outposts (registry 3.x only). */
  OUTPOSTS = 'OUTPOSTS',
  /** Glacier Instant Retrieval (registry 3.x only). */
  GLACIER_IR = 'GLACIER_IR',
  /** Send no storage class at all, for S3-compatible stores that reject the header. */
  NONE = 'NONE',
}

/** Storage classes the 2.8 driver accepts. */
const V2_STORAGE_CLASSES = [S3StorageClass.NONE, S3StorageClass.STANDARD, S3StorageClass.REDUCED_REDUNDANCY];

/**
 * Options for `S3Credentials.fromSecret()`.
 */
export interface S3SecretKeysOptions {
  /**
   * The Secret key holding the access key id.
   * @default 'accessKey' - the layout of Kyma's s3 Secret
   */
  readonly accessKeyKey?: string;

  /**
   * The Secret key holding the secret access key.
   * @default 'secretKey' - the layout of Kyma's s3 Secret
   */
  readonly secretKeyKey?: string;
}

/**
 * What S3 credentials add to the registry: environment variables read from a Secret, or
 * ServiceAccount annotations.
 */
export interface S3CredentialsBinding {
  /**
   * Environment variables, Secret references only.
   * @default - none
   */
  readonly env?: { [name: string]: kplus.EnvValue };

  /**
   * Annotations for the registry's ServiceAccount.
   * @default - none
   */
  readonly serviceAccountAnnotations?: { [key: string]: string };
}

/**
 * How the registry authenticates to S3: keys from a Secret, or an IAM role (IRSA) and no keys at all.
 */
export abstract class S3Credentials {
  /**
   * Access key id and secret access key read from a Secret, handed to the registry as
   * `REGISTRY_STORAGE_S3_ACCESSKEY` and `REGISTRY_STORAGE_S3_SECRETKEY` (`secretKeyRef`, never a literal).
   * The defaults match Kyma's s3 Secret (`accessKey`, `secretKey`).
   */
  public static fromSecret(secret: kplus.ISecret, options: S3SecretKeysOptions = {}): S3Credentials {
    return new SecretS3Credentials(secret, options.accessKeyKey ?? 'accessKey', options.secretKeyKey ?? 'secretKey');
  }

  /**
   * No keys: the registry's ServiceAccount is annotated with an IAM role (EKS IAM roles for service
   * accounts), and the driver takes temporary credentials from the web identity token.
   * Needs registry 3.x: the 2.8 driver has no web identity credential provider.
   */
  public static fromIamRole(roleArn: string): S3Credentials {
    return new IamRoleS3Credentials(roleArn);
  }

  protected constructor() {
  }

  /** Whether these credentials are an IAM role rather than keys. */
  public abstract get isIamRole(): boolean;

  /**
   * Renders the credentials for the `driver` (`s3`) of a registry.
   * @param scope the registry construct, for errors
   * @param property the property path that holds these credentials, for errors
   */
  public abstract bind(scope: IConstruct, property: string, context: StorageBindContext): S3CredentialsBinding;
}

/** Keys from a Secret. */
class SecretS3Credentials extends S3Credentials {
  public constructor(private readonly secret: kplus.ISecret, private readonly accessKeyKey: string, private readonly secretKeyKey: string) {
    super();
  }

  public get isIamRole(): boolean {
    return false;
  }

  public bind(scope: IConstruct, property: string, _context: StorageBindContext): S3CredentialsBinding {
    return {
      env: {
        REGISTRY_STORAGE_S3_ACCESSKEY: secretEnv(scope, `${property}.accessKeyKey`, this.secret, this.accessKeyKey),
        REGISTRY_STORAGE_S3_SECRETKEY: secretEnv(scope, `${property}.secretKeyKey`, this.secret, this.secretKeyKey),
      },
    };
  }
}

/** IRSA: a role ARN on the ServiceAccount. */
class IamRoleS3Credentials extends S3Credentials {
  public constructor(private readonly roleArn: string) {
    super();
  }

  public get isIamRole(): boolean {
    return true;
  }

  public bind(scope: IConstruct, property: string, context: StorageBindContext): S3CredentialsBinding {
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]+$/.test(this.roleArn)) {
      throw propError(scope, property, `role ARN (${JSON.stringify(this.roleArn)}) must be an IAM role ARN such as "arn:aws:iam::123456789012:role/registry"`);
    }
    if (!context.version.supports(RegistryFeature.S3_WEB_IDENTITY)) {
      throw propError(scope, property, `is an IAM role (IRSA), which registry ${context.version} cannot use: its s3 driver has no web identity `
        + 'credential provider. Use registry 3.x (RegistryVersion.V3), or S3Credentials.fromSecret()');
    }
    return { serviceAccountAnnotations: { [IRSA_ROLE_ANNOTATION]: this.roleArn } };
  }
}

/**
 * Options for `StorageBackend.s3()`: Amazon S3 or any S3-compatible store (`regionEndpoint`).
 */
export interface S3StorageOptions {
  /** The bucket, which must exist before the registry starts. */
  readonly bucket: string;

  /**
   * The AWS region of the bucket (`us-east-1`). With a `regionEndpoint` this is only the signing
   * region, and S3-compatible stores usually accept `us-east-1`.
   */
  readonly region: string;

  /**
   * Endpoint of an S3-compatible store (MinIO, Ceph RGW, DigitalOcean Spaces), an http:// or
   * https:// URL with host and optional port (`regionendpoint`). A host without a scheme
   * (`s3-eu-central-1.amazonaws.com`) is accepted as the driver accepts it, and rendered with
   * https://, or http:// when `secure` is false.
   * @default - Amazon S3's endpoint for `region`
   */
  readonly regionEndpoint?: string;

  /**
   * Use HTTPS (`secure`).
   * @default - false for an http:// `regionEndpoint`, otherwise true
   */
  readonly secure?: boolean;

  /**
   * Skip TLS certificate verification (`skipverify`). For self-signed test endpoints only.
   * @default false
   */
  readonly skipVerify?: boolean;

  /**
   * Sign requests with AWS signature version 4 (`v4auth`). Version 2 works only with S3-compatible
   * stores: the driver refuses it on Amazon S3.
   * @default true - the driver's default
   */
  readonly v4auth?: boolean;

  /**
   * Path-style addressing (`https://endpoint/bucket/key`) instead of virtual-hosted style
   * (`https://bucket.endpoint/key`). Registry 2.8 has no such key and always uses path style when
   * `regionEndpoint` is set, and virtual-hosted style otherwise; on 3.x it is rendered as `forcepathstyle`.
   * @default - true when `regionEndpoint` is set to a store other than Amazon's (what MinIO and Ceph need, and what 2.8 does), false otherwise
   */
  readonly forcePathStyle?: boolean;

  /**
   * Server-side encryption of stored objects (`encrypt`).
   * @default - true when `keyId` is set, otherwise false
   */
  readonly encrypt?: boolean;

  /**
   * KMS key id for server-side encryption (`keyid`). Needs `encrypt`.
   * @default - S3-managed keys
   */
  readonly keyId?: string;

  /**
   * Size of multipart upload chunks (`chunksize`), from 5 MiB to 5 GiB.
   * @default - the driver's default, 10 MiB
   */
  readonly chunkSize?: Size;

  /**
   * A prefix for every key the registry writes, to share a bucket (`rootdirectory`).
   * @default - the bucket's root
   */
  readonly rootDirectory?: string;

  /**
   * The storage class of stored objects (`storageclass`). Registry 2.8 knows only STANDARD,
   * REDUCED_REDUNDANCY and NONE.
   * @default - the driver's default, S3StorageClass.STANDARD
   */
  readonly storageClass?: S3StorageClass;

  /** How the registry authenticates: `S3Credentials.fromSecret()` or `S3Credentials.fromIamRole()`. */
  readonly credentials: S3Credentials;
}

/**
 * Amazon S3 or an S3-compatible store, through the registry's `s3` driver.
 */
export class S3Storage extends StorageBackend {
  public constructor(private readonly options: S3StorageOptions) {
    super();
  }

  public get driver(): string {
    return 's3';
  }

  /** The same store with the registry's keys under `<rootDirectory>/<key>`. */
  public partition(scope: IConstruct, key: string): StorageBackend {
    return new S3Storage({ ...this.options, rootDirectory: keyPrefix(scope, this.options?.rootDirectory, key) });
  }

  public bind(scope: Construct, context: StorageBindContext): StorageBinding {
    const o = requireProp(scope, 'storage', this.options, 'give StorageBackend.s3({ bucket, region, credentials })');
    requireProp(scope, 'storage.credentials', o.credentials, 'say how the registry authenticates to the store: S3Credentials.fromSecret(secret), or on registry 3.x S3Credentials.fromIamRole(roleArn)');
    const hasForcePathStyle = context.version.supports(RegistryFeature.S3_FORCE_PATH_STYLE);
    requireS3BucketName(scope, 'storage.bucket', o.bucket);

    // Without a scheme (`s3-eu-central-1.amazonaws.com`, as Kyma's samples write it) the driver's AWS SDK adds one,
    // https unless secure is false (`endpoints.AddScheme`, 2.8.3 and 3.x alike): render it the same, explicitly.
    const regionEndpoint = o.regionEndpoint !== undefined && !/^[^:]+:\/\//.test(o.regionEndpoint)
      ? `${o.secure === false ? 'http' : 'https'}://${o.regionEndpoint}`
      : o.regionEndpoint;
    const endpoint = regionEndpoint !== undefined
      ? parseEndpoint(scope, 'storage.regionEndpoint', regionEndpoint, 'https://minio.example.com:9000')
      : undefined;
    requireS3Region(scope, 'storage.region', o.region, endpoint !== undefined, context.version);

    const httpEndpoint = endpoint?.protocol === 'http:';
    if (httpEndpoint && o.secure === true) {
      throw propError(scope, 'storage.secure', `(true) contradicts the http:// regionEndpoint ${endpointString(endpoint!)}: use an https:// endpoint, or secure: false`);
    }
    if (endpoint?.protocol === 'https:' && o.secure === false) {
      // The SDK takes the scheme from the endpoint URL; secure would be silently ignored.
      throw propError(scope, 'storage.secure', `(false) contradicts the https:// regionEndpoint ${endpointString(endpoint)}: use an http:// endpoint for plain HTTP`);
    }
    const secure = o.secure ?? (httpEndpoint ? false : undefined);

    if (o.v4auth === false && (endpoint === undefined || endpoint.hostname.endsWith('amazonaws.com'))) {
      throw propError(scope, 'storage.v4auth', '(false) is refused by the s3 driver on Amazon S3, which needs signature version 4: '
        + 'leave v4auth unset, or use version 2 only with an S3-compatible regionEndpoint');
    }

    // Amazon's own endpoints serve virtual-hosted style (path style is deprecated there); other stores need path style.
    const forcePathStyle = o.forcePathStyle ?? (endpoint !== undefined && !endpoint.hostname.endsWith('.amazonaws.com'));
    if (!hasForcePathStyle) {
      if (o.forcePathStyle === true && endpoint === undefined) {
        throw propError(scope, 'storage.forcePathStyle', `(true) cannot be rendered for registry ${context.version}: it has no forcepathstyle key `
          + 'and uses path style only with a regionEndpoint. Set regionEndpoint, or use registry 3.x');
      }
      if (o.forcePathStyle === false && endpoint !== undefined) {
        throw propError(scope, 'storage.forcePathStyle', `(false) cannot be rendered for registry ${context.version}: it has no forcepathstyle key `
          + 'and always uses path style with a regionEndpoint. Leave forcePathStyle unset, or use registry 3.x');
      }
    }

    if (o.keyId !== undefined && (o.keyId.trim() === '' || /\s/.test(o.keyId))) {
      throw propError(scope, 'storage.keyId', `(${JSON.stringify(o.keyId)}) must be a KMS key id, ARN or alias without spaces`);
    }
    if (o.keyId !== undefined && o.encrypt === false) {
      throw propError(scope, 'storage.keyId', 'is ignored by the s3 driver unless encrypt is true: set encrypt: true, or drop keyId');
    }
    const encrypt = o.encrypt ?? (o.keyId !== undefined ? true : undefined);

    const chunksize = o.chunkSize !== undefined
      ? chunkSizeInRange(scope, 'storage.chunkSize', o.chunkSize, S3_MIN_CHUNK_SIZE, S3_MAX_CHUNK_SIZE, 's3')
      : undefined;

    const instantRetrieval = RegistryFeature.S3_INSTANT_RETRIEVAL_STORAGE_CLASSES;
    if (o.storageClass !== undefined && !context.version.supports(instantRetrieval) && !V2_STORAGE_CLASSES.includes(o.storageClass)) {
      throw propError(scope, 'storage.storageClass', `(${o.storageClass}) is not known to registry ${context.version}, `
        + `whose s3 driver accepts ${V2_STORAGE_CLASSES.join(', ')}; the others need registry ${RegistryVersion.firstWith(instantRetrieval)} or later`);
    }

    const rootdirectory = o.rootDirectory !== undefined ? requireRootDirectory(scope, 'storage.rootDirectory', o.rootDirectory) : undefined;

    const credentials = o.credentials.bind(scope, 'storage.credentials', context);

    const parameters: { [key: string]: any } = {
      region: o.region,
      regionendpoint: endpoint ? endpointString(endpoint) : undefined,
      // 2.8 has no such key (path style follows regionendpoint); 3.x defaults it to false.
      forcepathstyle: hasForcePathStyle && forcePathStyle ? true : undefined,
      bucket: o.bucket,
      encrypt,
      keyid: o.keyId,
      secure,
      skipverify: o.skipVerify,
      v4auth: o.v4auth,
      chunksize,
      rootdirectory,
      storageclass: o.storageClass,
    };
    return {
      driver: 's3',
      parameters: parameters,
      env: credentials.env,
      serviceAccountAnnotations: credentials.serviceAccountAnnotations,
    };
  }
}
