import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { RegistryAuth, RegistryDeployment, RegistryFeature, RegistryVersion, StorageBackend } from '../../src';
import { requireFeature } from '../../src/util/version-check';

type Obj = { [key: string]: any };

function registryContainer(props: Obj = {}): Obj {
  const chart = Testing.chart();
  new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), storage: StorageBackend.emptyDir(), ...props });
  const deployment = Testing.synth(chart).find((o) => o.kind === 'Deployment')!;
  return deployment.spec.template.spec.containers[0];
}

describe('RegistryVersion: one row per release line', () => {
  test('a release of a line the library does not know is refused, not given the nearest line\'s config', () => {
    expect(() => RegistryVersion.of('3.2.0')).toThrow(/registry version '3\.2\.0' is of release line 3\.2, which this version of cdk8s-registry does not know \(it knows 2\.8, 3\.0, 3\.1\).*Pin a known release such as 3\.1\.2, or upgrade cdk8s-registry/);
    expect(() => RegistryVersion.of('3.10.1')).toThrow(/release line 3\.10/);
    // AND through an image tag, the error names the prop
    const chart = Testing.chart();
    expect(() => new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), image: 'registry:3.2.0' }))
      .toThrow(/^test\/Registry: 'image' registry version '3\.2\.0' is of release line 3\.2/);
    // AND every known line has its row: config path and drivers
    expect([RegistryVersion.of('2.8.1'), RegistryVersion.of('3.0.1'), RegistryVersion.of('3.1.5')].map((v) => [v.line, v.configPath, v.storageDrivers.length]))
      .toEqual([['2.8', '/etc/docker/registry/config.yml', 7], ['3.0', '/etc/distribution/config.yml', 5], ['3.1', '/etc/distribution/config.yml', 5]]);
  });
});

describe('RegistryVersion', () => {
  test('the constants: 2.8.3, 3.0.0, and 3.1.2 as the newest 3.x and the default', () => {
    expect(RegistryVersion.V2_8.version).toBe('2.8.3');
    expect(RegistryVersion.V3_0.version).toBe('3.0.0');
    expect(RegistryVersion.V3_1.version).toBe('3.1.2');
    expect(RegistryVersion.V3).toBe(RegistryVersion.V3_1);
    expect(RegistryVersion.V3_1.image).toBe('registry:3.1.2');
    expect(RegistryVersion.DEFAULTS.map(String)).toEqual(['3.1.2', '2.8.3']);
    expect([RegistryVersion.V2_8, RegistryVersion.V3_0, RegistryVersion.V3_1].map((v) => v.line)).toEqual(['2.8', '3.0', '3.1']);
  });

  test('the default image is the pinned current 3.1 release', () => {
    const container = registryContainer();
    expect(container.image).toBe('registry:3.1.2');
    expect(container.args).toEqual(['serve', '/etc/distribution/config.yml']);
  });

  test.each([
    // feature, first release (distribution source of that tag), last release without it
    [RegistryFeature.LIST_ITEM_ENV, '3.0.0', '2.8.3'], // configuration/parser.go: reflect.Slice case
    [RegistryFeature.TRACING, '3.0.0', '2.8.3'], // registry/registry.go: tracing.InitOpenTelemetry
    [RegistryFeature.S3_FORCE_PATH_STYLE, '3.0.0', '2.8.3'],
    [RegistryFeature.S3_WEB_IDENTITY, '3.0.0', '2.8.3'],
    [RegistryFeature.S3_INSTANT_RETRIEVAL_STORAGE_CLASSES, '3.0.0', '2.8.3'], // registry/storage/driver/s3-aws/s3.go: s3StorageClasses
    [RegistryFeature.AZURE_CREDENTIALS, '3.0.0', '2.8.3'],
    [RegistryFeature.REDIS_UNIVERSAL_OPTIONS, '3.0.0', '2.8.3'],
    [RegistryFeature.AZURE_DEFAULT_CREDENTIALS, '3.1.0', '3.0.0'],
    [RegistryFeature.REDIS_TLS_ROOT_CAS, '3.1.0', '3.0.0'], // configuration.go: RootCAs `rootcas` (3.1.1), ClientCAs `clientcas` (3.0.0)
    [RegistryFeature.INLINED_STRUCT_ENV, '3.1.0', '3.0.0'], // parser.go: the `inline` case (3.1.1 only)
    [RegistryFeature.TAGS_MAX_TAGS, '3.1.0', '3.0.0'], // configuration.go: Tags.MaxTags `maxtags` (3.1.1 only)
    [RegistryFeature.PROXY_CACHE_WRITE_TIMEOUT, '3.1.0', '3.0.0'], // configuration.go: Proxy.CacheWriteTimeout (3.1.1 only)
  ])('%s: since %s, not in %s', (feature, since, before) => {
    expect(RegistryVersion.firstWith(feature).version).toBe(since);
    expect(RegistryVersion.of(since).supports(feature)).toBe(true);
    expect(RegistryVersion.V3_1.supports(feature)).toBe(true);
    expect(RegistryVersion.of(before).supports(feature)).toBe(false);
    expect(RegistryVersion.V2_8.supports(feature)).toBe(false);
  });

  test('requireFeature names the property, the version in use and the first that has it', () => {
    const chart = Testing.chart();
    expect(() => requireFeature(chart, 'tags.maxTags', RegistryVersion.V3_0, RegistryFeature.TAGS_MAX_TAGS, 'maxTags: 50'))
      .toThrow(/'tags.maxTags' \(maxTags: 50\) needs registry 3.1.0 or later, and this registry runs 3.0.0: use RegistryVersion.V3_1/);
    expect(() => requireFeature(chart, 'x', RegistryVersion.V2_8, RegistryFeature.LIST_ITEM_ENV, 'y')).toThrow(/needs registry 3.0.0 or later.*RegistryVersion.V3_0/);
    expect(() => requireFeature(chart, 'tags.maxTags', RegistryVersion.V3_1, RegistryFeature.TAGS_MAX_TAGS, 'maxTags: 50')).not.toThrow();
  });
});

describe('addSecretEnv and list items', () => {
  const registryOn = (version: RegistryVersion) => {
    const chart = Testing.chart();
    const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), storage: StorageBackend.emptyDir(), version });
    return { chart, registry };
  };

  test('2.8 ignores REGISTRY_* variables that address a list item: refused at synth, naming secretValue', () => {
    const { chart, registry } = registryOn(RegistryVersion.V2_8);
    const secret = kplus.Secret.fromSecretName(chart, 'S', 'hook');
    expect(() => registry.addSecretEnv('REGISTRY_NOTIFICATIONS_ENDPOINTS_0_HEADERS_AUTHORIZATION', { secret, key: 'token' }))
      .toThrow(/'addSecretEnv' sets 'REGISTRY_NOTIFICATIONS_ENDPOINTS_0_HEADERS_AUTHORIZATION', which is ignored by registry 2.8.3: .* is a list.*registry.secretValue\(secret, key\).*registry 3.x/);
    // a plain struct field is fine on 2.8
    registry.addSecretEnv('REGISTRY_PROXY_PASSWORD', { secret, key: 'token' });
  });

  test('3.x parses them (configuration/parser.go slice case since 3.0.0)', () => {
    for (const version of [RegistryVersion.V3_0, RegistryVersion.V3_1]) {
      const { chart, registry } = registryOn(version);
      const secret = kplus.Secret.fromSecretName(chart, 'S', 'hook');
      registry.addSecretEnv('REGISTRY_NOTIFICATIONS_ENDPOINTS_0_HEADERS_AUTHORIZATION', { secret, key: 'token' });
      const container = Testing.synth(chart).find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0];
      expect(container.env).toContainEqual({
        name: 'REGISTRY_NOTIFICATIONS_ENDPOINTS_0_HEADERS_AUTHORIZATION', valueFrom: { secretKeyRef: { name: 'hook', key: 'token' } },
      });
    }
  });
});
