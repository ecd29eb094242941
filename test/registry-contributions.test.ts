import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  BlobDescriptorCache, HtpasswdAuth, IRegistryPart, RegistryAuth, RegistryContribution, RegistryDeployment, RegistryTls, RegistryVersion,
  S3Credentials, StorageBackend, TlsVersion,
} from '../src';
import {
  authContribution, metricsContribution, orderedEnvNames, storageContribution, storageOptionsContribution, tlsContribution,
} from '../src/registry-contributions';
import { renderStorageOptions } from '../src/storage/storage-options';

type Obj = { [key: string]: any };

function parseConfig(text: string): Obj {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('yaml').parse(text);
}

/** A part that contributes exactly what it is given. */
const part = (c: RegistryContribution): IRegistryPart => ({ bind: () => c });

describe('bindings become contributions', () => {
  test('storage: the driver and its parameters, its variables and volumes', () => {
    const env = { REGISTRY_STORAGE_S3_ACCESSKEY: kplus.EnvValue.fromValue('from-a-secret') };
    expect(storageContribution({ driver: 's3', parameters: { bucket: 'b', region: 'eu-west-1' }, env, mounts: [] }))
      .toEqual({ name: 'storage', config: { storage: { s3: { bucket: 'b', region: 'eu-west-1' } } }, env, mounts: [] });
  });

  test('storage options: only what was given, in the order of config.yml', () => {
    const chart = Testing.chart();
    const options = renderStorageOptions(chart, { readOnly: true, deleteEnabled: true, blobDescriptorCache: BlobDescriptorCache.NONE });
    const c = storageOptionsContribution(options);
    expect(c.name).toBe('storageOptions');
    expect(JSON.parse(JSON.stringify(c.config))).toEqual({ storage: { delete: { enabled: true }, maintenance: { readonly: { enabled: true } } } });
  });

  test('auth: no section for an open registry; the method and its parameters otherwise', () => {
    expect(authContribution({}).config).toBeUndefined();
    expect(authContribution({ method: 'htpasswd', parameters: { realm: 'R', path: '/p' }, podAnnotations: { 'checksum/htpasswd': 'abc' } }))
      .toEqual({ name: 'auth', config: { auth: { htpasswd: { realm: 'R', path: '/p' } } }, env: undefined, mounts: undefined, podAnnotations: { 'checksum/htpasswd': 'abc' } });
  });

  test('TLS and metrics: http.tls and http.debug, nothing when off', () => {
    expect(tlsContribution(undefined).config).toBeUndefined();
    expect(tlsContribution({ certificatePath: '/c', keyPath: '/k', mounts: [], minimumTls: 'tls1.3' }).config)
      .toEqual({ http: { tls: { certificate: '/c', key: '/k', clientcas: undefined, minimumtls: 'tls1.3' } } });
    expect(metricsContribution(undefined).config).toBeUndefined();
    expect(metricsContribution(5001).config).toEqual({ http: { debug: { addr: ':5001', prometheus: { enabled: true, path: '/metrics' } } } });
  });
});

describe('one apply loop', () => {
  test('a variable another one references comes first (the kubelet expands only earlier ones); otherwise by name', () => {
    const v = (value: string) => kplus.EnvValue.fromValue(value);
    expect(orderedEnvNames({ B: v('b'), A: v('a'), C: v('c') })).toEqual(['A', 'B', 'C']);
    expect(orderedEnvNames({ A_HEADERS: v('x=$(Z_SECRET)'), B: v('b'), Z_SECRET: v('s') })).toEqual(['Z_SECRET', 'A_HEADERS', 'B']);
    // A chain: C references B, which references A.
    expect(orderedEnvNames({ C: v('$(B)'), B: v('$(A)'), A: v('a'), D: v('d') })).toEqual(['A', 'B', 'C', 'D']);
  });

  test('the built-ins and the parts meet in one loop: a part clashing with storage, auth or TLS is refused when added, naming both', () => {
    // GIVEN a registry with every built-in
    const chart = Testing.chart();
    const tlsSecret = kplus.Secret.fromSecretName(chart, 'Tls', 'registry-tls');
    const registry = new RegistryDeployment(chart, 'Registry', {
      auth: HtpasswdAuth.fromSecret(kplus.Secret.fromSecretName(chart, 'H', 'registry-htpasswd')),
      storage: StorageBackend.s3({ bucket: 'images', region: 'eu-west-1', credentials: S3Credentials.fromSecret(kplus.Secret.fromSecretName(chart, 'S3', 's3')) }),
      tls: RegistryTls.fromSecret(tlsSecret, { minimumVersion: TlsVersion.TLS1_3 }),
      metrics: true,
    });
    // THEN each one's keys are owned, by name, as a part's are
    const clash = (name: string, config: Obj) => () => registry.addPart(part({ name, config }));
    expect(clash('b', { storage: { s3: { bucket: 'other' } } })).toThrow(/'b' config key 'storage.s3.bucket' is set to "images" by 'storage' and to "other" by 'b'/);
    expect(clash('r', { auth: { htpasswd: { realm: 'Other' } } })).toThrow(/'r' config key 'auth.htpasswd.realm' is set to "Registry Realm" by 'auth'/);
    expect(clash('t', { http: { tls: { minimumtls: 'tls1.2' } } })).toThrow(/'t' config key 'http.tls.minimumtls' is set to "tls1.3" by 'tls'/);
    expect(clash('d', { http: { debug: { addr: ':5002' } } })).toThrow(/'d' config key 'http.debug.addr' is set to ":5001" by 'metrics'/);
    expect(() => registry.addPart(part({ name: 'k', env: { REGISTRY_STORAGE_S3_ACCESSKEY: kplus.EnvValue.fromValue('$(X)') } })))
      .toThrow(/'k' sets 'REGISTRY_STORAGE_S3_ACCESSKEY', which 'storage' already sets/);
    // AND equal values agree, as between parts
    registry.addPart(part({ name: 'same', config: { storage: { s3: { bucket: 'images' } } } }));
    const config = parseConfig(Testing.synth(chart).find((o) => o.kind === 'ConfigMap')!.data['config.yml']);
    // AND config.yml keeps the order of the configuration reference: the driver before the options, tls before debug
    expect(Object.keys(config.http)).toEqual(['addr', 'draintimeout', 'headers', 'tls', 'debug']);
    expect(Object.keys(config.storage)).toEqual(['s3', 'cache']);
  });

  test('on 2.8 the disabled tracing contributes nothing; on 3.x one variable, after storage and auth', () => {
    const env = (version: RegistryVersion) => {
      const chart = Testing.chart();
      new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), storage: StorageBackend.emptyDir(), version });
      return Testing.synth(chart).find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0].env;
    };
    expect(env(RegistryVersion.V2_8)).toBeUndefined();
    expect(env(RegistryVersion.V3_1)).toEqual([{ name: 'OTEL_TRACES_EXPORTER', value: 'none' }]);
  });
});
