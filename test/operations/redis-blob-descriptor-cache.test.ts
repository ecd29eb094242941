import { Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { registryOf, synthConfig, V2_8, V3_0, V3_1 } from './helpers';
import { BlobDescriptorCache, GarbageCollection, RedisBlobDescriptorCache, RegistryAuth, RegistryDeployment, StorageBackend } from '../../src';
import { textOutsideSecrets } from '../e2e/harness/manifests';

function withRedis(version = V3_1, props: Partial<ConstructorParameters<typeof RedisBlobDescriptorCache>[0]> = {}) {
  const { chart, registry } = registryOf(version);
  const secret = kplus.Secret.fromSecretName(chart, 'RedisAuth', 'redis-auth');
  registry.addPart(new RedisBlobDescriptorCache({
    addresses: ['redis.cache.svc:6379'],
    db: 2,
    password: { secret, key: 'password' },
    poolSize: 20,
    maxIdleConnections: 5,
    idleTimeout: Duration.minutes(5),
    dialTimeout: Duration.seconds(2),
    readTimeout: Duration.seconds(3),
    writeTimeout: Duration.seconds(4),
    ...props,
  }));
  return { chart, registry, secret };
}

describe('RedisBlobDescriptorCache', () => {
  test('3.x: go-redis option names, the cache switched to redis, the password a placeholder', () => {
    const { chart } = withRedis(V3_1);
    const { config, objects } = synthConfig(chart);
    expect(config.storage.cache).toEqual({ blobdescriptor: 'redis' });
    expect(config.redis).toEqual({
      addrs: ['redis.cache.svc:6379'],
      password: '__registry_secret_0__',
      db: 2,
      dialtimeout: '2s',
      readtimeout: '3s',
      writetimeout: '4s',
      poolsize: 20,
      maxidleconns: 5,
      connmaxidletime: '5m',
    });
    expect(objects).toMatchSnapshot();
  });

  test('3.0.0 uses the same names (inlined struct: the placeholder works where REGISTRY_REDIS_* does not)', () => {
    const { config, spec } = synthConfig(withRedis(V3_0).chart);
    expect(config.redis.addrs).toEqual(['redis.cache.svc:6379']);
    expect(config.redis.password).toBe('__registry_secret_0__');
    expect(spec.initContainers[0].name).toBe('render-config');
    expect(spec.containers[0].env ?? []).not.toContainEqual(expect.objectContaining({ name: expect.stringMatching(/^REGISTRY_REDIS/) }));
  });

  test('2.8: addr and pool', () => {
    const { config } = synthConfig(withRedis(V2_8).chart);
    expect(config.redis).toEqual({
      addr: 'redis.cache.svc:6379',
      password: '__registry_secret_0__',
      db: 2,
      dialtimeout: '2s',
      readtimeout: '3s',
      writetimeout: '4s',
      pool: { maxidle: 5, maxactive: 20, idletimeout: '5m' },
    });
  });

  test('TLS: rootcas on 3.1, clientcas on 3.0 (which needs a client certificate); refused on 2.8', () => {
    const tls = (chart: any) => ({ ca: { secret: kplus.Secret.fromSecretName(chart, 'Ca', 'redis-ca'), key: 'ca.crt' }, clientCertificate: kplus.Secret.fromSecretName(chart, 'Client', 'redis-client') });
    const a = registryOf(V3_1);
    a.registry.addPart(new RedisBlobDescriptorCache({ addresses: ['r:6380'], tls: { ca: tls(a.chart).ca } }));
    const ra = synthConfig(a.chart);
    expect(ra.config.redis.tls).toEqual({ rootcas: ['/etc/registry/redis-tls/ca/ca.crt'] });
    expect(ra.spec.containers[0].volumeMounts).toContainEqual(expect.objectContaining({ mountPath: '/etc/registry/redis-tls/ca', readOnly: true }));

    const b = registryOf(V3_0);
    b.registry.addPart(new RedisBlobDescriptorCache({ addresses: ['r:6380'], tls: tls(b.chart) }));
    expect(synthConfig(b.chart).config.redis.tls).toEqual({
      certificate: '/etc/registry/redis-tls/client/tls.crt', key: '/etc/registry/redis-tls/client/tls.key', clientcas: ['/etc/registry/redis-tls/ca/ca.crt'],
    });

    // the client key is readable by the pod's group only, and only the two keys are projected
    const clientVolume = synthConfig(b.chart).spec.volumes.find((v: any) => v.name === 'redis-tls-client');
    expect(clientVolume.secret).toEqual({ secretName: 'redis-client', defaultMode: 0o440, items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }] });
    const bad = registryOf(V3_1);
    expect(() => bad.registry.addPart(new RedisBlobDescriptorCache({ addresses: ['r:6380'], idleTimeout: Duration.millis(1500) })))
      .toThrow(/'redis.idleTimeout' \(1.5 s\) must be a whole number of seconds/);

    const c = registryOf(V3_0);
    expect(() => c.registry.addPart(new RedisBlobDescriptorCache({ addresses: ['r:6380'], tls: { ca: tls(c.chart).ca } })))
      .toThrow(/'redis.tls.clientCertificate' is required on registry 3.0.0/);
    const d = registryOf(V2_8);
    expect(() => d.registry.addPart(new RedisBlobDescriptorCache({ addresses: ['r:6380'], tls: tls(d.chart) }))).toThrow(/'redis.tls' is not supported by registry 2.8.3/);
  });

  test('bad combinations are refused with the property named', () => {
    expect(() => withRedis(V2_8, { addresses: ['a:1', 'b:2'] })).toThrow(/'redis.addresses' has 2 addresses; registry 2.8.3 connects to one redis/);
    expect(() => withRedis(V3_1, { addresses: [] })).toThrow(/'redis.addresses' must name at least one/);
    expect(() => withRedis(V3_1, { addresses: ['redis://x:6379'] })).toThrow(/must be host:port/);
    expect(() => withRedis(V3_1, { db: 16 })).toThrow(/'redis.db' \(16\) must be a whole number from 0 to 15/);
    expect(() => withRedis(V2_8, { username: 'registry' })).toThrow(/'redis.username' is not supported by registry 2.8.3/);
    expect(() => withRedis(V3_1, { username: 'registry', password: undefined })).toThrow(/'redis.username' needs 'redis.password'/);
    expect(() => withRedis(V3_1, { addresses: ['redis:99999'] })).toThrow(/'redis.addresses' \("redis:99999"\) must be host:port with a port from 1 to 65535/);
    expect(() => withRedis(V3_1, { addresses: ['redis:0'] })).toThrow(/port from 1 to 65535/);
  });

  test('an explicit in-memory cache contradicts redis; no credential outside a Secret', () => {
    const { registry } = registryOf(V3_1, { storageOptions: { blobDescriptorCache: BlobDescriptorCache.INMEMORY } });
    expect(() => registry.addPart(new RedisBlobDescriptorCache({ addresses: ['r:6379'] })))
      .toThrow(/test\/Registry: 'storageOptions.blobDescriptorCache' \(BlobDescriptorCache.INMEMORY\) contradicts the RedisBlobDescriptorCache part, which makes redis the blob descriptor cache: drop blobDescriptorCache \(the part sets it\), or drop the part/);
    expect(() => registryOf(V3_1, { storageOptions: { blobDescriptorCache: BlobDescriptorCache.NONE } }).registry.addPart(new RedisBlobDescriptorCache({ addresses: ['r:6379'] })))
      .toThrow(/'storageOptions.blobDescriptorCache' \(BlobDescriptorCache.NONE\) contradicts/);
    registryOf(V3_1, { storageOptions: { blobDescriptorCache: BlobDescriptorCache.REDIS } }).registry.addPart(new RedisBlobDescriptorCache({ addresses: ['r:6379'] }));
    const ok = withRedis(V3_1);
    expect(textOutsideSecrets(synthConfig(ok.chart).objects)).not.toMatch(/password: [^_]/);
  });

  test('sentinel addresses are refused: the part names no master, and a sentinel refuses cache commands', () => {
    for (const version of [V2_8, V3_1]) {
      expect(() => registryOf(version).registry.addPart(new RedisBlobDescriptorCache({ addresses: ['redis-sentinel.cache.svc:26379'] })))
        .toThrow(/test\/Registry: 'redis.addresses' \("redis-sentinel.cache.svc:26379"\) is on the Redis Sentinel port \(26379\).*Give the address of the redis master, or of a Service that follows it/);
    }
    expect(() => registryOf(V3_1).registry.addPart(new RedisBlobDescriptorCache({ addresses: ['a:6379', 's1:26379'] }))).toThrow(/"s1:26379"\) is on the Redis Sentinel port/);
  });

  test('a redis password variable on 3.0 points to the part\'s password (3.0.0 cannot set inlined redis options from the environment)', () => {
    const { chart, registry } = registryOf(V3_0);
    expect(() => registry.addSecretEnv('REGISTRY_REDIS_PASSWORD', { secret: kplus.Secret.fromSecretName(chart, 'S', 'redis'), key: 'password' }))
      .toThrow(/test\/Registry: 'addSecretEnv' sets 'REGISTRY_REDIS_PASSWORD', which is ignored by registry 3.0.0: REGISTRY_REDIS_PASSWORD is a key of an inlined struct, which 3.0.0 cannot set from the environment \(3.1.0 can\). Give it with the RedisBlobDescriptorCache part \(its 'password' takes a Secret reference\)/);
    // 3.1 reads it
    const ok = registryOf(V3_1);
    ok.registry.addSecretEnv('REGISTRY_REDIS_PASSWORD', { secret: kplus.Secret.fromSecretName(ok.chart, 'S', 'redis'), key: 'password' });
  });

  test('a redisImage whose redis-cli is older than 7.0 (no -e) is refused, decided from its tag; untagged digests are assumed recent', () => {
    const gc = (redisImage: string) => {
      const chart = Testing.chart();
      const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), version: V3_1, storage: StorageBackend.persistentVolumeClaim() });
      registry.addPart(new RedisBlobDescriptorCache({ addresses: ['redis:6379'] }));
      new GarbageCollection(chart, 'GC', { registry, redisImage });
      return () => Testing.synth(chart);
    };
    expect(gc('redis:6.2.14-alpine')).toThrow(/test\/GC: 'redisImage' \("redis:6.2.14-alpine"\) is redis 6.2, whose redis-cli is older than the flags the flush after collection uses \(-e, redis 7.0\).*Use a redis 7.0 or later image, such as "redis:7.4.6-alpine"/);
    expect(gc('mirror.example.com/library/redis:6')).toThrow(/is redis 6, whose redis-cli is older/);
    expect(gc('redis:5.0.14')).toThrow(/is redis 5.0/);
    expect(gc('redis:7.0.0')).not.toThrow();
    expect(gc('redis:8.0-alpine')).not.toThrow();
    expect(gc(`redis@sha256:${'a'.repeat(64)}`)).not.toThrow();
  });
});
