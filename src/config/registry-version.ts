import { releaseOfTag, splitImage } from '../util/image-reference';

/**
 * Config differences between registry releases that the library renders or checks, each with the
 * first release that has it (checked against distribution's source at v2.8.3, v3.0.0 and v3.1.1).
 */
export enum RegistryFeature {
  /**
   * `REGISTRY_*` variables that address an item of a list (`REGISTRY_NOTIFICATIONS_ENDPOINTS_0_HEADERS`):
   * configuration/parser.go has a `reflect.Slice` case since 3.0.0; 2.8 ignores such variables.
   */
  LIST_ITEM_ENV = 'list-item-env',
  /** OpenTelemetry tracing, on by default (exports to https://localhost:4318) since 3.0.0. */
  TRACING = 'tracing',
  /**
   * `OTEL_SERVICE_NAME` and a `service.name` in `OTEL_RESOURCE_ATTRIBUTES` name the traces' service (3.1: tracing/tracing.go
   * reads the resource from the environment last; 3.0.0 always sends `distribution`).
   */
  TRACING_SERVICE_NAME = 'tracing-service-name',
  /** The s3 driver's `forcepathstyle` key (3.0.0; 2.8 derives path style from `regionendpoint`). */
  S3_FORCE_PATH_STYLE = 's3-force-path-style',
  /** The s3 driver's web identity (IRSA) credentials (3.0.0, AWS SDK v2). */
  S3_WEB_IDENTITY = 's3-web-identity',
  /**
   * The s3 driver's instant-retrieval `storageclass` values beyond `STANDARD` and `REDUCED_REDUNDANCY`:
   * `STANDARD_IA`, `ONEZONE_IA`, `INTELLIGENT_TIERING`, `OUTPOSTS`, `GLACIER_IR` (3.0.0).
   */
  S3_INSTANT_RETRIEVAL_STORAGE_CLASSES = 's3-instant-retrieval-storage-classes',
  /** The azure driver's `credentials` block: shared key, client secret (3.0.0). */
  AZURE_CREDENTIALS = 'azure-credentials',
  /** The azure driver's `default_credentials` type, working (3.1.0; 3.0.0 signs with an empty shared key). */
  AZURE_DEFAULT_CREDENTIALS = 'azure-default-credentials',
  /** `redis` with go-redis option names (`addrs`, `poolsize`, ...) instead of 2.8's `addr` and `pool` (3.0.0). */
  REDIS_UNIVERSAL_OPTIONS = 'redis-universal-options',
  /** `redis.tls.rootcas`, the CAs that verify the redis server (3.1.0; 3.0.0 calls the same list `clientcas`). */
  REDIS_TLS_ROOT_CAS = 'redis-tls-root-cas',
  /** `REGISTRY_*` overrides of fields of inlined structs such as the redis options (3.1.0; broken in 3.0.0). */
  INLINED_STRUCT_ENV = 'inlined-struct-env',
  /** `tags.maxtags`, the most tags `/v2/NAME/tags/list` returns (3.1.0). */
  TAGS_MAX_TAGS = 'tags-max-tags',
  /** `proxy.cachewritetimeout`, the limit on writing a pulled-through blob to storage (3.1.0). */
  PROXY_CACHE_WRITE_TIMEOUT = 'proxy-cache-write-timeout',
  /** `proxy.ttl`, how long pulled-through content is kept (3.0.0; 2.8 keeps it 168h). */
  PROXY_TTL = 'proxy-ttl',
  /**
   * `garbage-collect --delete-untagged` that keeps the per-platform manifests of multi-arch images (3.0.0; 2.8
   * deletes them).
   */
  SAFE_DELETE_UNTAGGED = 'safe-delete-untagged',
  /**
   * Token auth keys of the go-jose verifier: `jwks`, `signingalgorithms` and `autoredirectpath` (3.0.0;
   * registry/auth/token/accesscontroller.go). 2.8 reads `rootcertbundle` only, and redirects to `/auth/token`.
   */
  TOKEN_JWKS = 'token-jwks',
  /**
   * `notifications.endpoints[].ignore.actions` applied without an ignored media type (3.1.0; notifications/sinks.go
   * `newIgnoredSink` returned early when no media type was ignored in 2.8.3 and 3.0.0, so every action was sent).
   */
  NOTIFICATIONS_IGNORE_ACTIONS_ALONE = 'notifications-ignore-actions-alone',
}

/** The first release of each feature, as `MAJOR.MINOR.PATCH`. */
const FEATURE_SINCE: { readonly [F in RegistryFeature]: string } = {
  [RegistryFeature.LIST_ITEM_ENV]: '3.0.0',
  [RegistryFeature.TRACING]: '3.0.0',
  [RegistryFeature.TRACING_SERVICE_NAME]: '3.1.0',
  [RegistryFeature.S3_FORCE_PATH_STYLE]: '3.0.0',
  [RegistryFeature.S3_WEB_IDENTITY]: '3.0.0',
  [RegistryFeature.S3_INSTANT_RETRIEVAL_STORAGE_CLASSES]: '3.0.0',
  [RegistryFeature.AZURE_CREDENTIALS]: '3.0.0',
  [RegistryFeature.AZURE_DEFAULT_CREDENTIALS]: '3.1.0',
  [RegistryFeature.REDIS_UNIVERSAL_OPTIONS]: '3.0.0',
  [RegistryFeature.REDIS_TLS_ROOT_CAS]: '3.1.0',
  [RegistryFeature.INLINED_STRUCT_ENV]: '3.1.0',
  [RegistryFeature.TAGS_MAX_TAGS]: '3.1.0',
  [RegistryFeature.PROXY_CACHE_WRITE_TIMEOUT]: '3.1.0',
  [RegistryFeature.PROXY_TTL]: '3.0.0',
  [RegistryFeature.SAFE_DELETE_UNTAGGED]: '3.0.0',
  [RegistryFeature.TOKEN_JWKS]: '3.0.0',
  [RegistryFeature.NOTIFICATIONS_IGNORE_ACTIONS_ALONE]: '3.1.0',
};

/** What one release line of the registry is known for: the rows of `RELEASE_LINES`. */
interface ReleaseLine {
  /** Where the official image reads its configuration. */
  readonly configPath: string;
  /** The storage drivers compiled into the official image. */
  readonly storageDrivers: string[];
}

const COMMON_DRIVERS = ['filesystem', 'inmemory', 's3', 'azure', 'gcs'];
const CONFIG_PATH_2 = '/etc/docker/registry/config.yml';
const CONFIG_PATH_3 = '/etc/distribution/config.yml';

/**
 * The release lines the library knows, one row each. A release of another line (`3.2.0`) is refused by
 * `RegistryVersion.of`: its config structure, drivers and keys have not been checked against upstream's source,
 * and silently giving it the structure of the nearest line could render keys it refuses or miss ones it needs.
 * A new line is one new row here, plus its generated config structure (config-structure.ts).
 */
const RELEASE_LINES: { readonly [line: string]: ReleaseLine } = {
  '2.8': { configPath: CONFIG_PATH_2, storageDrivers: [...COMMON_DRIVERS, 'swift', 'oss'] },
  '3.0': { configPath: CONFIG_PATH_3, storageDrivers: COMMON_DRIVERS },
  '3.1': { configPath: CONFIG_PATH_3, storageDrivers: COMMON_DRIVERS },
};

/** The release lines the library knows, oldest first (`2.8`, `3.0`, `3.1`). */
export const KNOWN_RELEASE_LINES: readonly string[] = Object.keys(RELEASE_LINES);

/**
 * A release of the CNCF distribution registry, and what follows from it: where the image reads
 * its configuration, which storage drivers are compiled in, and which config keys exist.
 *
 * Only 2.8.x and 3.x are supported: 2.8 because 3.x removed the swift and oss drivers,
 * 3.x because it is the current upstream line. 3.0 and 3.1 differ in config keys
 * (see `RegistryFeature`), so pin the release you run.
 */
export class RegistryVersion {
  /** The newest 2.8 release (the last line with the swift and oss drivers). */
  public static readonly V2_8 = RegistryVersion.of('2.8.3');

  /** Registry 3.0.0, the first 3.x release (no `tags.maxtags`, redis TLS `clientcas`, broken `default_credentials`). */
  public static readonly V3_0 = RegistryVersion.of('3.0.0');

  /** The current 3.1 release, `registry:3.1.2`: the official image today and the default. */
  public static readonly V3_1 = RegistryVersion.of('3.1.2');

  /** The newest 3.x release (currently the same as `V3_1`). */
  public static readonly V3 = RegistryVersion.V3_1;

  /**
   * The releases picked from when the user names none, newest first.
   */
  public static readonly DEFAULTS: RegistryVersion[] = [RegistryVersion.V3_1, RegistryVersion.V2_8];

  /**
   * A registry release by its version number, such as `2.8.3` or `3.1.2`.
   * A missing patch number is read as 0.
   */
  public static of(version: string): RegistryVersion {
    const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/.exec(version.trim());
    if (!match) {
      throw new Error(`registry version '${version}' is not a version number such as '2.8.3' or '3.1.2'`);
    }
    const major = Number(match[1]);
    const minor = Number(match[2]);
    const patch = Number(match[3] ?? '0');
    if (!((major === 2 && minor === 8) || major === 3)) {
      throw new Error(`registry version '${version}' is not supported: use 2.8.x or 3.x`);
    }
    if (RELEASE_LINES[`${major}.${minor}`] === undefined) {
      throw new Error(`registry version '${version}' is of release line ${major}.${minor}, which this version of cdk8s-registry does not know `
        + `(it knows ${KNOWN_RELEASE_LINES.join(', ')}): its config keys and drivers are unchecked, so it is not given another line's config. `
        + `Pin a known release such as ${RegistryVersion.V3_1?.version ?? '3.1.2'}, or upgrade cdk8s-registry`);
    }
    return new RegistryVersion(major, minor, patch);
  }

  /**
   * Reads the version from an image reference's tag (`registry:2.8.3`,
   * `ghcr.io/distribution/distribution:3.1.1`), or returns undefined when the tag does not
   * name a release (`latest`, `3`, a digest only). The floating `registry:2` of older setups
   * reads as 2.8.3: the 2.x line ended with 2.8, so every 2.x image takes 2.8's config.
   */
  public static tryFromImage(image: string): RegistryVersion | undefined {
    const { tag, tagged } = splitImage(image);
    const release = tagged ? releaseOfTag(tag) : undefined;
    if (!release) {
      return undefined;
    }
    if (release.minor === undefined) {
      return release.major === 2 && !release.suffixed ? RegistryVersion.V2_8 : undefined;
    }
    return RegistryVersion.of(`${release.major}.${release.minor}.${release.patch ?? 0}`);
  }

  /** The first release that has a feature. */
  public static firstWith(feature: RegistryFeature): RegistryVersion {
    const since = FEATURE_SINCE[feature];
    if (since === undefined) {
      throw new Error(`unknown registry feature '${feature}'`);
    }
    return RegistryVersion.of(since);
  }

  /** Major version: 2 or 3. */
  public readonly major: number;
  /** Minor version. */
  public readonly minor: number;
  /** Patch version. */
  public readonly patch: number;

  private constructor(major: number, minor: number, patch: number) {
    this.major = major;
    this.minor = minor;
    this.patch = patch;
  }

  /** The version as `MAJOR.MINOR.PATCH`. */
  public get version(): string {
    return `${this.major}.${this.minor}.${this.patch}`;
  }

  /** The release line as `MAJOR.MINOR` (`2.8`, `3.0`, `3.1`), the unit configs differ by. */
  public get line(): string {
    return `${this.major}.${this.minor}`;
  }

  /** The official image of this release, pinned to its tag. */
  public get image(): string {
    return `registry:${this.version}`;
  }

  /**
   * Where the official image reads its configuration: `/etc/docker/registry/config.yml` on 2.x,
   * `/etc/distribution/config.yml` on 3.x.
   */
  public get configPath(): string {
    return RELEASE_LINES[this.line].configPath;
  }

  /** The storage drivers compiled into this release's official image. */
  public get storageDrivers(): string[] {
    return [...RELEASE_LINES[this.line].storageDrivers];
  }

  /** Whether this release has the given storage driver. */
  public supportsStorageDriver(driver: string): boolean {
    return this.storageDrivers.includes(driver);
  }

  /** Whether this release has a config feature (see `RegistryFeature` for what each one is and since when). */
  public supports(feature: RegistryFeature): boolean {
    return this.isAtLeast(RegistryVersion.firstWith(feature));
  }

  /** Whether this release is at least the given version. */
  public isAtLeast(version: RegistryVersion): boolean {
    if (this.major !== version.major) return this.major > version.major;
    if (this.minor !== version.minor) return this.minor > version.minor;
    return this.patch >= version.patch;
  }

  /** The version number. */
  public toString(): string {
    return this.version;
  }
}
