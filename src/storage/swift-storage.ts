import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { chunkSizeInRange, keyPrefix } from './object-store-validation';
import { StorageBackend, StorageBindContext, StorageBinding } from './storage-backend';
import { secretEnv } from '../util/secret-env';
import { parseEndpoint, propError, requireProp } from '../util/validation';

/** The swift driver's smallest chunk (1 MiB, registry 2.8.3). */
const SWIFT_MIN_CHUNK_SIZE = 1024 * 1024;

/**
 * The OpenStack identity API version used to log in (`authversion`).
 */
export enum SwiftAuthVersion {
  /** Swift's own v1 auth (TempAuth, IBM SoftLayer): `X-Auth-User`/`X-Auth-Key` against `.../auth/v1.0`. */
  V1 = '1',
  /** Keystone v2.0, with a tenant. */
  V2 = '2',
  /** Keystone v3, with a user domain and usually a project (tenant). */
  V3 = '3',
}

/**
 * Which of the object-store endpoints in the Keystone catalog the registry uses (`endpointtype`).
 */
export enum SwiftEndpointType {
  /** The public endpoint, the driver's default. */
  PUBLIC = 'public',
  /** The internal endpoint, for traffic that stays inside the cloud. */
  INTERNAL = 'internal',
  /** The admin endpoint. */
  ADMIN = 'admin',
}

/**
 * Options for `SwiftCredentials.fromSecret()`.
 */
export interface SwiftSecretKeysOptions {
  /**
   * The Secret key holding the user name (for v1 auth, `account:user`).
   * @default 'username'
   */
  readonly usernameKey?: string;

  /**
   * The Secret key holding the password or API key.
   * @default 'password'
   */
  readonly passwordKey?: string;
}

/**
 * The Swift user name and password, always read from a Secret.
 */
export class SwiftCredentials {
  /**
   * User name and password from a Secret, handed to the registry as `REGISTRY_STORAGE_SWIFT_USERNAME`
   * and `REGISTRY_STORAGE_SWIFT_PASSWORD` (`secretKeyRef`, never a literal).
   */
  public static fromSecret(secret: kplus.ISecret, options: SwiftSecretKeysOptions = {}): SwiftCredentials {
    return new SwiftCredentials(secret, options.usernameKey ?? 'username', options.passwordKey ?? 'password');
  }

  private constructor(private readonly secret: kplus.ISecret, private readonly usernameKey: string, private readonly passwordKey: string) {
  }

  /** The environment variables that carry the credentials, as Secret references. */
  public renderEnv(scope: IConstruct): { [name: string]: kplus.EnvValue } {
    return {
      REGISTRY_STORAGE_SWIFT_USERNAME: secretEnv(scope, 'storage.credentials.usernameKey', this.secret, this.usernameKey),
      REGISTRY_STORAGE_SWIFT_PASSWORD: secretEnv(scope, 'storage.credentials.passwordKey', this.secret, this.passwordKey),
    };
  }
}

/**
 * Options for `StorageBackend.swift()`. The swift driver exists in registry 2.8 only.
 */
export interface SwiftStorageOptions {
  /**
   * The identity endpoint, such as `https://identity.example.com/v3` (Keystone) or
   * `https://dal05.objectstorage.softlayer.net/auth/v1.0` (v1 auth).
   */
  readonly authUrl: string;

  /** The container; the driver creates it when missing. */
  readonly container: string;

  /** User name and password: `SwiftCredentials.fromSecret()`. */
  readonly credentials: SwiftCredentials;

  /**
   * The identity API version.
   * @default - read from the auth URL's path (`/auth/v1.0` or `/v1.0`: V1, `/v2.0`: V2, `/v3`: V3); an error when it names none
   */
  readonly authVersion?: SwiftAuthVersion;

  /**
   * The tenant (project) name. Keystone v2 and v3 need `tenant` or `tenantId` (the project the token is scoped to),
   * unless a v3 `trustId` scopes it.
   * @default - none
   */
  readonly tenant?: string;

  /**
   * The tenant (project) id.
   * @default - none
   */
  readonly tenantId?: string;

  /**
   * The user's domain name (Keystone v3 needs `domain` or `domainId`).
   * @default - none
   */
  readonly domain?: string;

  /**
   * The user's domain id (Keystone v3).
   * @default - none
   */
  readonly domainId?: string;

  /**
   * The tenant's (project's) domain name, when it differs from the user's (Keystone v3).
   * @default - the user's domain
   */
  readonly tenantDomain?: string;

  /**
   * The tenant's (project's) domain id (Keystone v3).
   * @default - the user's domain
   */
  readonly tenantDomainId?: string;

  /**
   * A Keystone v3 trust id to authenticate with.
   * @default - none
   */
  readonly trustId?: string;

  /**
   * The region of the object-store endpoint in the catalog.
   * @default - the first object-store endpoint in the catalog
   */
  readonly region?: string;

  /**
   * A prefix for every object the registry writes (`prefix`). The swift driver ignores
   * `rootdirectory`, so this is the only way to share a container.
   * @default - the container's root
   */
  readonly prefix?: string;

  /**
   * Skip TLS certificate verification of the auth and storage endpoints (`insecureskipverify`).
   * @default false
   */
  readonly insecureSkipVerify?: boolean;

  /**
   * Which catalog endpoint to use (`endpointtype`).
   * @default SwiftEndpointType.PUBLIC - the driver's default
   */
  readonly endpointType?: SwiftEndpointType;

  /**
   * Size of the segments large blobs are uploaded in (`chunksize`), at least 1 MiB.
   * @default - the driver's default, 20 MiB
   */
  readonly chunkSize?: Size;
}

/**
 * OpenStack Swift (and IBM SoftLayer Object Storage through v1 auth), through the registry's
 * `swift` driver, which exists in registry 2.8 only.
 */
export class SwiftStorage extends StorageBackend {
  public constructor(private readonly options: SwiftStorageOptions) {
    super();
  }

  public get driver(): string {
    return 'swift';
  }

  /** The same store with the registry's keys under `<prefix>/<key>`. */
  public partition(scope: IConstruct, key: string): StorageBackend {
    return new SwiftStorage({ ...this.options, prefix: keyPrefix(scope, this.options?.prefix, key) });
  }

  public bind(scope: Construct, _context: StorageBindContext): StorageBinding {
    const o = requireProp(scope, 'storage', this.options, 'give StorageBackend.swift({ authUrl, container, credentials })');
    requireProp(scope, 'storage.credentials', o.credentials, 'say how the registry authenticates to the store: SwiftCredentials.fromSecret(secret) with the username and password (or API key)');
    const authUrl = parseAuthUrl(scope, o.authUrl);
    const fromUrl = authVersionFromPath(authUrl.pathname);
    if (o.authVersion !== undefined && !Object.values(SwiftAuthVersion).includes(o.authVersion)) {
      throw propError(scope, 'storage.authVersion', `(${JSON.stringify(o.authVersion)}) is not an auth version the swift driver knows: use SwiftAuthVersion.V1, V2 or V3`);
    }
    const authVersion = o.authVersion ?? fromUrl;
    if (authVersion === undefined) {
      throw propError(scope, 'storage.authVersion', `is required: the auth URL's path (${JSON.stringify(authUrl.pathname)}) names no identity version `
        + '(/auth/v1.0, /v2.0 or /v3). Set SwiftAuthVersion.V1, V2 or V3');
    }
    if (fromUrl !== undefined && fromUrl !== authVersion) {
      throw propError(scope, 'storage.authVersion', `(V${authVersion}) contradicts the auth URL ${o.authUrl}, which is a v${fromUrl} endpoint: `
        + `use SwiftAuthVersion.V${fromUrl}, or the v${authVersion} auth URL`);
    }

    const keystoneOnly: Array<[string, string | undefined]> = [
      ['tenant', o.tenant], ['tenantId', o.tenantId], ['domain', o.domain], ['domainId', o.domainId],
      ['tenantDomain', o.tenantDomain], ['tenantDomainId', o.tenantDomainId], ['trustId', o.trustId],
    ];
    for (const [name, value] of keystoneOnly) {
      if (value !== undefined && (value.trim() === '' || value !== value.trim())) {
        throw propError(scope, `storage.${name}`, `(${JSON.stringify(value)}) must not be empty nor have surrounding spaces`);
      }
    }
    if (authVersion === SwiftAuthVersion.V1) {
      const given = keystoneOnly.filter(([, value]) => value !== undefined).map(([name]) => name);
      if (given.length > 0) {
        throw propError(scope, `storage.${given[0]}`, 'is a Keystone setting, which v1 auth has no use for: with v1 auth the account is part of '
          + 'the user name ("account:user"). Drop it, or use SwiftAuthVersion.V2 or V3');
      }
    }
    if (authVersion !== SwiftAuthVersion.V3) {
      const v3Only = keystoneOnly.filter(([name, value]) => value !== undefined && /domain|trust/i.test(name)).map(([name]) => name);
      if (v3Only.length > 0) {
        throw propError(scope, `storage.${v3Only[0]}`, `is a Keystone v3 setting, which v${authVersion} auth ignores: use SwiftAuthVersion.V3 with a v3 auth URL`);
      }
    }
    if (authVersion === SwiftAuthVersion.V2 && o.tenant === undefined && o.tenantId === undefined) {
      throw propError(scope, 'storage.tenant', 'is required with Keystone v2 auth (or tenantId): without a tenant the token has no object-store endpoint');
    }
    if (authVersion === SwiftAuthVersion.V3 && o.domain === undefined && o.domainId === undefined && o.trustId === undefined) {
      throw propError(scope, 'storage.domain', 'is required with Keystone v3 auth (or domainId): a user name is only unique within its domain, such as "Default"');
    }

    if (authVersion === SwiftAuthVersion.V3 && o.tenant === undefined && o.tenantId === undefined && o.trustId === undefined) {
      throw propError(scope, 'storage.tenant', 'is required with Keystone v3 auth (or tenantId): without a project scope the token has no '
        + 'object-store endpoint, and the registry exits at start ("swift authentication failed: Response didn\'t have storage url and auth token"). '
        + 'Give the project name in tenant (its domain in tenantDomain if it is not the user\'s), or its id in tenantId');
    }
    requireContainerName(scope, o.container);
    if (o.prefix !== undefined && (o.prefix.trim() === '' || /\s/.test(o.prefix) || o.prefix.endsWith('/'))) {
      throw propError(scope, 'storage.prefix', `(${JSON.stringify(o.prefix)}) must be an object name prefix such as "registry" or "/registry": `
        + 'no spaces and no trailing \'/\' (the driver appends "/files")');
    }
    if (o.region !== undefined && (o.region.trim() === '' || /\s/.test(o.region))) {
      throw propError(scope, 'storage.region', `(${JSON.stringify(o.region)}) must be a region name from the catalog, such as "RegionOne", without spaces`);
    }
    if (o.endpointType !== undefined && !Object.values(SwiftEndpointType).includes(o.endpointType)) {
      throw propError(scope, 'storage.endpointType', `(${JSON.stringify(o.endpointType)}) must be SwiftEndpointType.PUBLIC, INTERNAL or ADMIN`);
    }
    const chunksize = o.chunkSize !== undefined
      ? chunkSizeInRange(scope, 'storage.chunkSize', o.chunkSize, SWIFT_MIN_CHUNK_SIZE, undefined, 'swift')
      : undefined;

    return {
      driver: 'swift',
      parameters: ({
        authurl: o.authUrl,
        authversion: Number(authVersion),
        tenant: o.tenant,
        tenantid: o.tenantId,
        domain: o.domain,
        domainid: o.domainId,
        tenantdomain: o.tenantDomain,
        tenantdomainid: o.tenantDomainId,
        trustid: o.trustId,
        region: o.region,
        container: o.container,
        prefix: o.prefix,
        insecureskipverify: o.insecureSkipVerify,
        endpointtype: o.endpointType,
        chunksize,
      }),
      env: o.credentials.renderEnv(scope),
    };
  }
}

/** Parses the auth URL: http(s), a host, a path. */
function parseAuthUrl(scope: IConstruct, value: string): URL {
  return parseEndpoint(scope, 'storage.authUrl', value, 'https://identity.example.com/v3', { path: true, credentials: 'give it with SwiftCredentials.fromSecret()' });
}

/** The identity version a URL path names, if any. */
function authVersionFromPath(pathname: string): SwiftAuthVersion | undefined {
  const path = pathname.replace(/\/+$/, '');
  if (/\/v1(\.0)?$/.test(path)) return SwiftAuthVersion.V1;
  if (/\/v2(\.0)?$/.test(path)) return SwiftAuthVersion.V2;
  if (/\/v3$/.test(path)) return SwiftAuthVersion.V3;
  return undefined;
}

/** Throws unless `container` is a Swift container name. */
function requireContainerName(scope: IConstruct, container: string): void {
  if (typeof container !== 'string' || container.length === 0 || Buffer.byteLength(container, 'utf8') > 256 || container.includes('/')) {
    throw propError(scope, 'storage.container', `(${JSON.stringify(container)}) must be a Swift container name: 1 to 256 bytes, without '/'`);
  }
}
