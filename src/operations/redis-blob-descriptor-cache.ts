import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { RegistryFeature } from '../config/registry-version';
import { IRegistry } from '../registry';
import { RegistryMount } from '../registry-mount';
import { AfterCollectionContext, AfterCollectionSteps, IRegistryPart, RegistryContribution } from '../registry-part';
import { SecretKeyReference } from '../secret-key-reference';
import { BlobDescriptorCache } from '../storage/storage-options';
import { releaseOfTag, splitImage } from '../util/image-reference';
import { secretVolume } from '../util/secret-env';
import { goDuration, propError, requireIntegerInRange } from '../util/validation';

/** The port Redis Sentinel listens on. */
const SENTINEL_PORT = 26379;

/**
 * Why the image's `redis-cli` cannot run the flush, decided from its tag: `-e` (exit with an error code when the
 * command fails) arrived in redis 7.0. A tag that names no release (`latest`, a digest alone) is assumed recent.
 */
function redisCliTooOld(image: string): string | undefined {
  const { tag, tagged } = splitImage(image);
  const release = tagged ? releaseOfTag(tag) : undefined;
  if (release === undefined || release.major >= 7) return undefined;
  return `is redis ${release.major}${release.minor !== undefined ? `.${release.minor}` : ''}, whose redis-cli is older than the flags the flush `
    + 'after collection uses (-e, redis 7.0): the step would fail and the window stay open. Use a redis 7.0 or later image, such as "redis:7.4.6-alpine"';
}

/** Where the redis TLS files are mounted. */
const REDIS_TLS_PATH = '/etc/registry/redis-tls';

/**
 * The keys the registry's redis blob descriptor cache writes, the same in 2.8.3, 3.0.0 and 3.1.1
 * (registry/storage/cache/redis/redis.go): `blobs::<digest>` hashes, `repository::<name>::blobs` sets and
 * `repository::<name>::blobs::<digest>` hashes.
 */
export const REDIS_CACHE_KEY_PATTERNS = ['blobs::*', 'repository::*'];

/**
 * Deletes every key matching the patterns given as ARGV, server-side (one EVAL: no shell, no key list in
 * transit), and returns how many went. UNLINK frees memory in the background. Runs on a single redis.
 */
const FLUSH_SCRIPT = 'local n = 0 for _, p in ipairs(ARGV) do local c = "0" repeat '
  + 'local r = redis.call("SCAN", c, "MATCH", p, "COUNT", 1000) c = r[1] '
  + 'for _, k in ipairs(r[2]) do redis.call("UNLINK", k) n = n + 1 end until c == "0" end return n';

/** How a redis client reaches the registry's cache, derived from the bound part: for the flush after collection. */
interface RedisCacheConnection {
  /** Every address of the part, `host:port`. */
  readonly addresses: string[];
  readonly db: number;
  readonly username?: string;
  readonly password?: SecretKeyReference;
  /** `redis-cli` flags for TLS (`--tls`, `--cacert`, `--cert`, `--key`), empty without TLS. */
  readonly tlsArgs: string[];
  /** The registry pod's volumes holding the TLS files, by volume name, with the path they are mounted at. */
  readonly tlsMounts: { name: string; mountPath: string }[];
}

/**
 * TLS to redis (`redis.tls`).
 */
export interface RedisTlsOptions {
  /**
   * CA bundle (PEM) that redis's server certificate must chain to. Rendered as `rootcas` on 3.1 and later.
   * On 3.0.x it is rendered as `clientcas`, which that release loads but does not verify the server with, so
   * the library also adds its folder to the registry's trusted roots (`SSL_CERT_DIR`).
   * @default - the system's root CAs
   */
  readonly ca?: SecretKeyReference;

  /**
   * A `kubernetes.io/tls` Secret (`tls.crt`, `tls.key`) with the client certificate the registry presents.
   * Registry 3.0.x only speaks TLS to redis with one.
   * @default - no client certificate (3.1 and later)
   */
  readonly clientCertificate?: kplus.ISecret;
}

/**
 * Properties of a `RedisBlobDescriptorCache`.
 */
export interface RedisBlobDescriptorCacheProps {
  /**
   * Redis addresses as `host:port`. Registry 2.8 takes exactly one; 3.x a list (the seeds of a Redis Cluster).
   * Redis Sentinel is not supported: give the address of the master (or of a Service that follows it), not
   * the sentinels' (port 26379).
   */
  readonly addresses: string[];

  /**
   * The database number.
   * @default 0
   */
  readonly db?: number;

  /**
   * The redis password (`requirepass`, or an ACL user's password), read from a Secret.
   * @default - no password
   */
  readonly password?: SecretKeyReference;

  /**
   * ACL user name (registry 3.x only).
   * @default - the default user
   */
  readonly username?: string;

  /**
   * TLS to redis (registry 3.x only).
   * @default - plain TCP
   */
  readonly tls?: RedisTlsOptions;

  /**
   * Most connections open at once (2.8 `pool.maxactive`, 3.x `poolsize`).
   * @default - the registry's default
   */
  readonly poolSize?: number;

  /**
   * Most idle connections kept (2.8 `pool.maxidle`, 3.x `maxidleconns`).
   * @default - the registry's default
   */
  readonly maxIdleConnections?: number;

  /**
   * Idle connections are closed after this (2.8 `pool.idletimeout`, 3.x `connmaxidletime`).
   * @default - the registry's default
   */
  readonly idleTimeout?: Duration;

  /**
   * Timeout for connecting (`dialtimeout`).
   * @default - the registry's default
   */
  readonly dialTimeout?: Duration;

  /**
   * Timeout for reading a reply (`readtimeout`).
   * @default - the registry's default
   */
  readonly readTimeout?: Duration;

  /**
   * Timeout for writing a command (`writetimeout`).
   * @default - the registry's default
   */
  readonly writeTimeout?: Duration;
}

/**
 * Redis as the registry's blob descriptor cache (`storage.cache.blobdescriptor: redis`), shared by all
 * replicas. Rendered with each version's keys: 2.8's `addr`/`pool`, 3.x's go-redis options (`addrs`,
 * `poolsize`, ...). The password reaches config.yml from a Secret through `secretValue`, which works on
 * 3.0.0 too (where `REGISTRY_REDIS_*` variables cannot set the inlined options).
 */
export class RedisBlobDescriptorCache implements IRegistryPart {
  private connection?: RedisCacheConnection;

  public constructor(private readonly props: RedisBlobDescriptorCacheProps) {
  }

  /**
   * The flush after collection: `redis-cli` deletes the cache's keys with the part's address, db, user, TLS
   * files (the registry pod's own volumes) and password (REDISCLI_AUTH from the part's Secret, never an argument).
   * A cluster (more than one address) cannot be flushed by one `redis-cli`: that is a problem instead.
   */
  public afterCollection(context: AfterCollectionContext): AfterCollectionSteps {
    const redis = this.connection;
    if (!redis) return { containers: [], problems: [] };
    const tooOld = redisCliTooOld(context.redisImage);
    if (tooOld) {
      return {
        containers: [],
        problems: [`${context.collection.node.path}: 'redisImage' (${JSON.stringify(context.redisImage)}) ${tooOld}`],
      };
    }
    if (redis.addresses.length > 1) {
      return {
        containers: [],
        problems: [`${context.collection.node.path}: 'registry' uses a redis blob descriptor cache at ${redis.addresses.length} addresses (a cluster): the job flushes the cache of a single redis only. Give the RedisBlobDescriptorCache one address, or use BlobDescriptorCache.INMEMORY or NONE`],
      };
    }
    const address = redis.addresses[0];
    const separator = address.lastIndexOf(':');
    const host = address.substring(0, separator).replace(/^\[(.*)\]$/, '$1');
    const flush = {
      name: 'flush-blob-descriptor-cache',
      image: context.redisImage,
      imagePullPolicy: 'IfNotPresent',
      command: ['redis-cli'],
      args: [
        '-e', '-h', host, '-p', address.substring(separator + 1), '-n', String(redis.db),
        ...(redis.username !== undefined ? ['--user', redis.username] : []),
        ...redis.tlsArgs,
        'EVAL', FLUSH_SCRIPT, '0', ...REDIS_CACHE_KEY_PATTERNS,
      ],
      env: redis.password
        ? [{ name: 'REDISCLI_AUTH', valueFrom: { secretKeyRef: { name: redis.password.secret.name, key: redis.password.key } } }]
        : undefined,
      volumeMounts: redis.tlsMounts.length ? redis.tlsMounts.map((m) => ({ ...m, readOnly: true })) : undefined,
      securityContext: context.registryContainer.securityContext,
      resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '500m', memory: '64Mi' } },
    };
    return { containers: [flush], problems: [] };
  }

  public bind(registry: IRegistry): RegistryContribution {
    const p = this.props;
    const v2 = !registry.version.supports(RegistryFeature.REDIS_UNIVERSAL_OPTIONS);
    if (!p.addresses || p.addresses.length === 0) {
      throw propError(registry, 'redis.addresses', 'must name at least one redis as host:port');
    }
    for (const address of p.addresses) {
      const port = Number(address.substring(address.lastIndexOf(':') + 1));
      if ((!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(address) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(address)) || port < 1 || port > 65535) {
        throw propError(registry, 'redis.addresses', `(${JSON.stringify(address)}) must be host:port with a port from 1 to 65535, such as "redis.cache.svc:6379"`);
      }
    }
    const sentinel = p.addresses.find((address) => address.endsWith(`:${SENTINEL_PORT}`));
    if (sentinel !== undefined) {
      throw propError(registry, 'redis.addresses', `(${JSON.stringify(sentinel)}) is on the Redis Sentinel port (${SENTINEL_PORT}): this part talks to redis itself `
        + '(one server, or the seeds of a Redis Cluster on 3.x) and names no sentinel master, so the registry would send cache commands to a sentinel, '
        + 'which refuses them. Give the address of the redis master, or of a Service that follows it, such as "redis-master.cache.svc:6379"');
    }
    const given = registry.requestedBlobDescriptorCache;
    if (given !== undefined && given !== BlobDescriptorCache.REDIS) {
      throw propError(registry, 'storageOptions.blobDescriptorCache', `(BlobDescriptorCache.${String(given).toUpperCase()}) contradicts the RedisBlobDescriptorCache part, which makes `
        + 'redis the blob descriptor cache: drop blobDescriptorCache (the part sets it), or drop the part to keep the cache in memory or off');
    }
    if (v2 && p.addresses.length > 1) {
      throw propError(registry, 'redis.addresses', `has ${p.addresses.length} addresses; registry ${registry.version} connects to one redis (addr): give one, or use registry 3.x`);
    }
    if (p.db !== undefined) requireIntegerInRange(registry, 'redis.db', p.db, 0, 15);
    for (const [name, value] of [['poolSize', p.poolSize], ['maxIdleConnections', p.maxIdleConnections]] as const) {
      if (value !== undefined) requireIntegerInRange(registry, `redis.${name}`, value, 1, 10000);
    }
    if (v2 && p.username !== undefined) {
      throw propError(registry, 'redis.username', `is not supported by registry ${registry.version} (no ACL users): use registry 3.x, or the default user`);
    }
    if (p.username !== undefined && p.password === undefined) {
      throw propError(registry, 'redis.username', 'needs \'redis.password\': redis authenticates an ACL user with both (AUTH user password)');
    }
    if (v2 && p.tls) {
      throw propError(registry, 'redis.tls', `is not supported by registry ${registry.version}: use registry 3.x for TLS to redis`);
    }
    const password = p.password ? registry.secretValue(p.password.secret, p.password.key, 'redis.password.key') : undefined;
    const dur = (name: string, d?: Duration) => (d ? goDuration(registry, `redis.${name}`, d, 0) : undefined);

    const mounts: RegistryMount[] = [];
    const env: { [name: string]: kplus.EnvValue } = {};
    const tlsArgs: string[] = [];
    const tlsMounts: { name: string; mountPath: string }[] = [];
    let tls: { [key: string]: any } | undefined;
    if (p.tls) {
      tlsArgs.push('--tls');
      const atLeast31 = registry.version.supports(RegistryFeature.REDIS_TLS_ROOT_CAS);
      if (!atLeast31 && !p.tls.clientCertificate) {
        throw propError(registry, 'redis.tls.clientCertificate', `is required on registry ${registry.version}: 3.0.x speaks TLS to redis only with a client certificate and key (3.1 and later also without)`);
      }
      tls = {};
      if (p.tls.clientCertificate) {
        mounts.push({
          volume: secretVolume(registry, 'RedisTlsClientVolume', 'redis-tls-client', p.tls.clientCertificate, [
            { key: 'tls.crt', path: 'tls.crt', property: 'redis.tls.clientCertificate' },
            { key: 'tls.key', path: 'tls.key', property: 'redis.tls.clientCertificate' },
          ]),
          path: `${REDIS_TLS_PATH}/client`,
        });
        tls.certificate = `${REDIS_TLS_PATH}/client/tls.crt`;
        tls.key = `${REDIS_TLS_PATH}/client/tls.key`;
        tlsArgs.push('--cert', tls.certificate, '--key', tls.key);
        tlsMounts.push({ name: 'redis-tls-client', mountPath: `${REDIS_TLS_PATH}/client` });
      }
      if (p.tls.ca) {
        mounts.push({
          volume: secretVolume(registry, 'RedisTlsCaVolume', 'redis-tls-ca', p.tls.ca.secret, [{ key: p.tls.ca.key, path: 'ca.crt', property: 'redis.tls.ca.key' }]),
          path: `${REDIS_TLS_PATH}/ca`,
        });
        tls[atLeast31 ? 'rootcas' : 'clientcas'] = [`${REDIS_TLS_PATH}/ca/ca.crt`];
        if (!atLeast31) {
          // 3.0.x loads clientcas into the client's ClientCAs, which verify nothing: the server's certificate is
          // checked against the system roots only. Go adds every certificate of SSL_CERT_DIR to them (and still
          // reads the system bundle file), so the CA is trusted for redis as on 3.1.
          env.SSL_CERT_DIR = kplus.EnvValue.fromValue(`${REDIS_TLS_PATH}/ca`);
        }
        tlsArgs.push('--cacert', `${REDIS_TLS_PATH}/ca/ca.crt`);
        tlsMounts.push({ name: 'redis-tls-ca', mountPath: `${REDIS_TLS_PATH}/ca` });
      }
    }

    const redis = v2 ? {
      addr: p.addresses[0],
      password,
      db: p.db,
      dialtimeout: dur('dialTimeout', p.dialTimeout),
      readtimeout: dur('readTimeout', p.readTimeout),
      writetimeout: dur('writeTimeout', p.writeTimeout),
      pool: (p.poolSize ?? p.maxIdleConnections ?? p.idleTimeout) !== undefined
        ? { maxidle: p.maxIdleConnections, maxactive: p.poolSize, idletimeout: dur('idleTimeout', p.idleTimeout) }
        : undefined,
    } : {
      addrs: [...p.addresses],
      username: p.username,
      password,
      db: p.db,
      dialtimeout: dur('dialTimeout', p.dialTimeout),
      readtimeout: dur('readTimeout', p.readTimeout),
      writetimeout: dur('writeTimeout', p.writeTimeout),
      poolsize: p.poolSize,
      maxidleconns: p.maxIdleConnections,
      connmaxidletime: dur('idleTimeout', p.idleTimeout),
      tls,
    };
    this.connection = { addresses: [...p.addresses], db: p.db ?? 0, username: p.username, password: p.password, tlsArgs, tlsMounts };
    return {
      name: 'redis',
      config: { storage: { cache: { blobdescriptor: 'redis' } }, redis },
      env,
      mounts,
    };
  }
}
