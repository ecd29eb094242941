/**
 * The kinds of mistakes a new user makes (issue 11), each caught at synth time with a message that names the
 * construct path, the property and what would be valid; and the safe defaults.
 */
import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { validateChart } from './validate-manifests';
import {
  BlobDescriptorCache, ElbTlsService, HtpasswdAuth, LogLevel, Platform, RegistryAuth, RegistryDeployment, RegistryDeploymentProps,
  RegistryIngress, RegistryRoute, RegistryTls, RegistryVersion, S3Credentials, StorageBackend, SwiftCredentials, TokenAuth, TokenAuthFile,
} from '../../src';
import { propError, RegistryValidationError } from '../../src/util/validation';

const ARN = 'arn:aws:iam::123456789012:server-certificate/registry';
const HASH = '$2y$05$' + 'a'.repeat(53);

function registry(props: Partial<RegistryDeploymentProps> = {}, chart: Chart = Testing.chart()): RegistryDeployment {
  return new RegistryDeployment(chart, 'Registry', { auth: HtpasswdAuth.fromEntries({ entries: [`admin:${HASH}`] }), ...props });
}

function make(props: Partial<RegistryDeploymentProps> = {}): () => RegistryDeployment {
  return () => registry(props);
}

const s3Keys = (chart: Chart, name = 's3-keys') => S3Credentials.fromSecret(kplus.Secret.fromSecretName(chart, 'Keys', name));

describe('names the API server would reject', () => {
  test('name props of ways in', () => {
    const chart = Testing.chart();
    const r = registry({}, chart);
    expect(() => new ElbTlsService(chart, 'Lb', { registry: r, certificateArn: ARN, hostname: 'registry.example.com', name: 'Registry_LB' }))
      .toThrow(/^test\/Lb: 'name' \("Registry_LB"\) must be a DNS-1035 label, as a Service name is: lower-case letters, digits and '-'/);
    expect(() => new ElbTlsService(chart, 'Lb2', { registry: r, certificateArn: ARN, hostname: 'registry.example.com', name: '1lb' }))
      .toThrow(/^test\/Lb2: 'name' \("1lb"\) must be a DNS-1035 label/);
    expect(() => new RegistryIngress(chart, 'Ingress', { registry: r, host: 'registry.example.com', name: 'Registry Ingress' }))
      .toThrow(/^test\/Ingress: 'name' \("Registry Ingress"\) must be a DNS-1123 subdomain/);
  });

  test('a Route name', () => {
    const chart = Testing.chart();
    const r = registry({ platform: Platform.OPENSHIFT }, chart);
    expect(() => new RegistryRoute(chart, 'Route', { registry: r, host: 'registry.apps.example.com', name: 'Registry Route' }))
      .toThrow(/^test\/Route: 'name' \("Registry Route"\) must be a DNS-1123 subdomain/);
  });

  test('a storage class name with spaces', () => {
    expect(make({ storage: StorageBackend.persistentVolumeClaim({ storageClassName: 'fast ssd' }) }))
      .toThrow(/^test\/Registry: 'storage.storageClassName' \("fast ssd"\) must be a DNS-1123 subdomain/);
  });

  test('an empty storage class name binds to a pre-provisioned volume, and stays in the claim', () => {
    const chart = Testing.chart();
    registry({ storage: StorageBackend.persistentVolumeClaim({ storageClassName: '' }) }, chart);
    const claim = validateChart(chart).find((o) => o.kind === 'PersistentVolumeClaim')!;
    expect(claim.spec.storageClassName).toBe('');
  });

  test('Secret names referenced in env and in volumes', () => {
    const chart = Testing.chart();
    expect(() => registry({ storage: StorageBackend.s3({ bucket: 'images', region: 'us-east-1', credentials: s3Keys(chart, 'S3 Keys') }) }, chart))
      .toThrow(/^test\/Registry: 'storage.credentials.accessKeyKey' names Secret "S3 Keys", which is not a valid Secret name: lower-case letters/);
    const other = Testing.chart();
    expect(() => registry({ auth: HtpasswdAuth.fromSecret(kplus.Secret.fromSecretName(other, 'H', 'Htpasswd_File')) }, other))
      .toThrow(/^test\/Registry: 'auth.key' names Secret "Htpasswd_File", which is not a valid Secret name/);
  });

  test('construct ids with spaces and brackets still give valid objects everywhere else', () => {
    const chart = Testing.chart();
    const r = new RegistryDeployment(chart, 'Registry', { name: 'registry', auth: HtpasswdAuth.fromEntries({ entries: [`admin:${HASH}`] }) });
    new ElbTlsService(chart, 'Load Balancer (prod)', { registry: r, certificateArn: ARN, hostname: 'registry.example.com' });
    new RegistryIngress(new Chart(Testing.app(), 'other'), 'Ingress (prod)', {
      registry: registry({}, new Chart(Testing.app(), 'x')), host: 'registry.example.com',
    });
    expect(() => validateChart(chart)).not.toThrow();
  });
});

describe('Secret keys: one check wherever a key is referenced', () => {
  test('token auth certificate bundle and JWKS, Secret or ConfigMap', () => {
    const chart = Testing.chart();
    const secret = kplus.Secret.fromSecretName(chart, 'Certs', 'token-certs');
    const token = (file: TokenAuthFile) => new TokenAuth({ realm: 'https://auth.example.com/token', service: 'registry', issuer: 'auth', rootCertBundle: file });
    expect(() => registry({ auth: token(TokenAuthFile.fromSecret(secret, 'bundle pem')) }, chart))
      .toThrow(/^test\/Registry: 'auth.rootCertBundle.key' \("bundle pem"\) is not a valid Secret key: 1 to 253 letters, digits/);
    const cm = kplus.ConfigMap.fromConfigMapName(chart, 'Cm', 'token-certs');
    expect(() => registry({ auth: token(TokenAuthFile.fromConfigMap(cm, 'bundle/pem')) }, Testing.chart()))
      .toThrow(/'auth.rootCertBundle.key' \("bundle\/pem"\) is not a valid Secret key/);
  });

  test('in-pod TLS client CA key', () => {
    const chart = Testing.chart();
    const secret = kplus.Secret.fromSecretName(chart, 'Tls', 'registry-tls');
    expect(() => registry({ tls: RegistryTls.fromSecret(secret, { clientCa: { secret, key: 'ca crt' } }) }, chart))
      .toThrow(/^test\/Registry: 'tls.clientCa.key' \("ca crt"\) is not a valid Secret key/);
  });
});

describe('typos the registry would ignore', () => {
  test('a section name', () => {
    expect(() => registry().addConfigSection('notification', { endpoints: [] }))
      .toThrow(/^test\/Registry: 'addConfigSection' 'notification' is not a section of registry 3\.\d+\.\d+'s config.yml.*[Dd]id you mean 'notifications'\?/);
  });

  test('a key inside a section', () => {
    expect(() => registry().addConfigSection('notifications', { endpoints: [{ name: 'audit', url: 'https://audit.example.com', header: {} }] }))
      .toThrow(/'addConfigSection' 'notifications.endpoints\[0\].header' is not a key registry .* reads.*[Dd]id you mean 'headers'\?/);
    expect(() => registry().addConfigSection('notifications', { endpoints: [{ name: 'audit', url: 'https://audit.example.com', headers: { 'X-Source': ['registry'] } }] }))
      .not.toThrow();
  });

  test('a REGISTRY_* variable name', () => {
    const chart = Testing.chart();
    const r = registry({}, chart);
    const secret = kplus.Secret.fromSecretName(chart, 'Proxy', 'proxy');
    expect(() => r.addSecretEnv('REGISTRY_PROXY_PASSWROD', { secret, key: 'password' }))
      .toThrow(/^test\/Registry: 'addSecretEnv' sets 'REGISTRY_PROXY_PASSWROD', which is ignored by registry .*: REGISTRY_PROXY has no key 'PASSWROD'\. [Dd]id you mean 'REGISTRY_PROXY_PASSWORD'\?/);
    expect(() => r.addSecretEnv('REGISTRY_PROXY_PASSWORD', { secret, key: 'password' })).not.toThrow();
  });

  test('a list item on 2.8, which ignores it', () => {
    const chart = Testing.chart();
    const r = registry({ version: RegistryVersion.V2_8 }, chart);
    r.addConfigSection('notifications', { endpoints: [{ name: 'audit', url: 'https://audit.example.com' }] });
    expect(() => r.addSecretEnv('REGISTRY_NOTIFICATIONS_ENDPOINTS_0_HEADERS_AUTHORIZATION', { secret: kplus.Secret.fromSecretName(chart, 'S', 'audit'), key: 'token' }))
      .toThrow(/'addSecretEnv' sets 'REGISTRY_NOTIFICATIONS_ENDPOINTS_0_HEADERS_AUTHORIZATION', which is ignored by registry 2\.8\.\d+: REGISTRY_NOTIFICATIONS_ENDPOINTS is a list.*use registry 3\.x/);
  });

  test('a list index beyond the list on 3.x: the registry would fail at start', () => {
    const chart = Testing.chart();
    const r = registry({}, chart);
    r.addSecretEnv('REGISTRY_NOTIFICATIONS_ENDPOINTS_1_HEADERS_AUTHORIZATION', { secret: kplus.Secret.fromSecretName(chart, 'S', 'audit'), key: 'token' });
    r.addConfigSection('notifications', { endpoints: [{ name: 'audit', url: 'https://audit.example.com' }] });
    // index 1 = one past the end: the registry appends an item (without name or url) rather than failing
    expect(() => Testing.synth(chart)).not.toThrow();
    const other = Testing.chart();
    const r2 = registry({}, other);
    r2.addSecretEnv('REGISTRY_NOTIFICATIONS_ENDPOINTS_2_HEADERS_AUTHORIZATION', { secret: kplus.Secret.fromSecretName(other, 'S', 'audit'), key: 'token' });
    expect(() => Testing.synth(other))
      .toThrow(/test\/Registry: 'addSecretEnv' sets 'REGISTRY_NOTIFICATIONS_ENDPOINTS_2_HEADERS_AUTHORIZATION', which makes registry .* fail at start: .* has 0 item\(s\) in config.yml, so the index can be 0 to 0, not 2/);
  });

  test('a variable for another storage driver', () => {
    const chart = Testing.chart();
    const r = registry({}, chart);
    expect(() => r.addSecretEnv('REGISTRY_STORAGE_S3_ACCESSKEY', { secret: kplus.Secret.fromSecretName(chart, 'S', 's3'), key: 'a' }))
      .toThrow(/'addSecretEnv' sets 'REGISTRY_STORAGE_S3_ACCESSKEY', which addresses storage driver 's3', but this registry uses 'filesystem'/);
  });
});

describe('htpasswd lines the registry reads as comments', () => {
  test('fromUsers', () => {
    expect(make({ auth: HtpasswdAuth.fromUsers({ users: [{ username: '#admin', password: 'secret-password' }] }) }))
      .toThrow(/^test\/Registry: 'auth.users\[0\].username' \("#admin"\) starts with '#', so the registry reads the line as a comment.*without ':', whitespace, control characters or a leading '#'/);
  });
  test('fromEntries', () => {
    expect(make({ auth: HtpasswdAuth.fromEntries({ entries: [`#admin:${HASH}`] }) }))
      .toThrow(/^test\/Registry: 'auth.entries\[0\]' must be "username:bcrypt-hash" .* starts with '#'/);
  });
});

describe('values the registry refuses at start', () => {
  test('a log level outside the enum, from JavaScript', () => {
    expect(make({ logLevel: 'verbose' as LogLevel })).toThrow(/^test\/Registry: 'logLevel' \("verbose"\) must be one of "error", "warn", "info", "debug"/);
  });

  test('the redis blob descriptor cache without redis', () => {
    const chart = Testing.chart();
    registry({ storageOptions: { blobDescriptorCache: BlobDescriptorCache.REDIS } }, chart);
    expect(() => Testing.synth(chart)).toThrow(/\[test\/Registry\] 'storage.cache.blobdescriptor' is 'redis' but no redis is configured \(the registry would fail at start\)/);
  });
});

describe('RegistryValidationError: the construct path, once', () => {
  test('propError builds it; its message is PATH: \'PROPERTY\' DETAIL, and the parts are kept', () => {
    const error = propError(Testing.chart(), 'storage.region', 'is wrong');
    expect(error).toBeInstanceOf(RegistryValidationError);
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe("test: 'storage.region' is wrong");
    expect([error.path, error.property, error.detail, error.name]).toEqual(['test', 'storage.region', 'is wrong', 'RegistryValidationError']);
    // AND what the constructs throw is one
    let thrown: unknown;
    try {
      registry({ replicas: 0 });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(RegistryValidationError);
    expect((thrown as RegistryValidationError).path).toBe('test/Registry');
    expect((thrown as RegistryValidationError).property).toBe('replicas');
  });
});

describe('numbers', () => {
  test('NaN, Infinity and fractions of seconds name the property', () => {
    const chart = Testing.chart();
    const r = registry({}, chart);
    expect(() => new ElbTlsService(chart, 'Lb', { registry: r, certificateArn: ARN, hostname: 'registry.example.com', idleTimeout: Duration.seconds(NaN) }))
      .toThrow(/^test\/Lb: 'idleTimeout' \(NaN s\) must be a whole number of seconds from 1 to 4000/);
    expect(() => new RegistryIngress(chart, 'In', { registry: r, host: 'registry.example.com', proxyTimeout: Duration.millis(1500) }))
      .toThrow(/^test\/In: 'proxyTimeout' \(1.5 s\) must be a whole number of seconds/);
    expect(make({ storageOptions: { uploadPurging: { age: Duration.hours(Infinity) } } }))
      .toThrow(/^test\/Registry: 'storageOptions.uploadPurging.age' \(Infinity s\) must be a whole number of seconds of at least 60/);
  });

  test('sizes: no InfinityGi in a claim', () => {
    expect(make({ storage: StorageBackend.persistentVolumeClaim({ size: Size.gibibytes(Infinity) }) }))
      .toThrow(/^test\/Registry: 'storage.size' \(Infinity GiB\) must be a whole number of gibibytes/);
    expect(make({ storage: StorageBackend.emptyDir({ sizeLimit: Size.gibibytes(NaN) }) })).toThrow(/'storage.sizeLimit' \(NaN MiB\)/);
  });

  test('resource requests above limits, and infinite amounts', () => {
    expect(make({ resources: { memory: { request: Size.gibibytes(2), limit: Size.gibibytes(1) } } }))
      .toThrow(/^test\/Registry: 'resources.memory.request' \(2048 MiB\) must not exceed 'resources.memory.limit' \(1024 MiB\)/);
    expect(make({ resources: { cpu: { request: kplus.Cpu.units(4), limit: kplus.Cpu.millis(500) } } }))
      .toThrow(/'resources.cpu.request' \(4\) must not exceed 'resources.cpu.limit' \(500m\)/);
    expect(make({ resources: { cpu: { limit: kplus.Cpu.units(Infinity) } } })).toThrow(/'resources.cpu.limit' \(Infinity\) must be a positive amount of CPU/);
  });
});

describe('contradictions across constructs', () => {
  test('two registries with the same name in one chart', () => {
    const chart = Testing.chart();
    registry({ name: 'registry' }, chart);
    expect(() => new RegistryDeployment(chart, 'Second', { name: 'registry', auth: RegistryAuth.none() }))
      .toThrow(/^test\/Second: 'name' \("registry"\) is already the name of registry test\/Registry in this chart: .*own name/);
  });

  test('a way in in another namespace than its registry', () => {
    const app = Testing.app();
    const r = registry({}, new Chart(app, 'reg', { namespace: 'registry' }));
    expect(() => new RegistryIngress(new Chart(app, 'ways', { namespace: 'ingress' }), 'In', { registry: r, host: 'registry.example.com' }))
      .toThrow(/^ways\/In: 'registry' \(reg\/Registry\) is in namespace registry, but this way in is in ingress/);
  });

  test('a Route on a registry written for plain Kubernetes', () => {
    const chart = Testing.chart();
    const r = registry({}, chart);
    expect(() => new RegistryRoute(chart, 'Route', { registry: r, host: 'registry.apps.example.com' }))
      .toThrow(/^test\/Route: 'registry' \(test\/Registry\) is written for platform kubernetes.*give the registry platform: Platform.OPENSHIFT/);
  });

  test('relativeUrls with a way in that sets http.host', () => {
    const chart = Testing.chart();
    const r = registry({ relativeUrls: true }, chart);
    expect(() => new RegistryIngress(chart, 'In', { registry: r, host: 'registry.example.com' }))
      .toThrow(/^test\/Registry: 'relativeUrls' \(true\) would be ignored: the registry returns absolute URLs as soon as http.host is set/);
    expect(make({ relativeUrls: true, externalUrl: 'https://registry.example.com' })).toThrow(/'relativeUrls' \(true\) would be ignored/);
  });
});

describe('image tags that float away from the pinned version', () => {
  test('registry:3 on a 2.8 registry with swift: the image lacks the driver', () => {
    const chart = Testing.chart();
    const storage = StorageBackend.swift({
      authUrl: 'https://identity.example.com/v3',
      container: 'images',
      credentials: SwiftCredentials.fromSecret(kplus.Secret.fromSecretName(chart, 'S', 'swift')),
    });
    expect(() => registry({ version: RegistryVersion.V2_8, image: 'registry:3', storage }, chart))
      .toThrow(/^test\/Registry: 'image' \('registry:3'\) runs the newest 3.x \(3.1 or later\), which has no 'swift' storage driver, but 'version' is 2.8.3.*pin the image to registry:2.8.3/);
  });

  test('registry:3 or latest on a pinned 3.0, registry:2 on 3.x; the matching lines pass', () => {
    expect(make({ version: RegistryVersion.V3_0, image: 'registry:3' })).toThrow(/'image' \('registry:3'\) runs the newest 3.x \(3.1 or later\), but 'version' is 3.0.0/);
    expect(make({ version: RegistryVersion.V3_0, image: 'registry' })).toThrow(/'image' \('registry'\) runs the newest 3.x/);
    expect(make({ version: RegistryVersion.V3_1, image: 'registry:2' })).toThrow(/'image' \('registry:2'\) runs the newest 2.x \(2.8 or later\), but 'version' is 3.1.2/);
    expect(make({ version: RegistryVersion.V3_1, image: 'registry:3' })).not.toThrow();
    expect(make({ version: RegistryVersion.V3_1, image: 'mirror.example.com/registry:3.1' })).not.toThrow();
    expect(make({ version: RegistryVersion.V2_8, image: 'registry:2' })).not.toThrow();
  });
});

describe('missing required props from JavaScript callers', () => {
  test('s3 without credentials, or without options', () => {
    expect(make({ storage: StorageBackend.s3({ bucket: 'images', region: 'us-east-1' } as any) }))
      .toThrow(/^test\/Registry: 'storage.credentials' is required: say how the registry authenticates to the store/);
    expect(make({ storage: StorageBackend.s3(undefined as any) })).toThrow(/^test\/Registry: 'storage' is required: give StorageBackend.s3\(\{ bucket, region, credentials \}\)/);
    expect(make({ storage: StorageBackend.swift({ authUrl: 'https://identity.example.com/v3', container: 'c' } as any) })).toThrow(/'storage.credentials' is required/);
  });

  test('a way in without its registry', () => {
    expect(() => new RegistryIngress(Testing.chart(), 'In', { host: 'registry.example.com' } as any)).toThrow(/^test\/In: 'registry' is required/);
  });
});

describe('safe defaults', () => {
  test('an open registry behind a public way in needs a named acknowledgement', () => {
    const chart = Testing.chart();
    const open = registry({ auth: RegistryAuth.none(), storageOptions: { deleteEnabled: true } }, chart);
    // (decided at synth: a PullThroughCache added after the way in changes what the exposure risks)
    new ElbTlsService(chart, 'Lb', { registry: open, certificateArn: ARN, hostname: 'registry.example.com' });
    expect(() => Testing.synth(chart))
      .toThrow(/test\/Lb: 'registry' \(test\/Registry\) has no authentication \(RegistryAuth.none\(\)\): through this public way in anyone could push, overwrite and delete images.*RegistryAuth.none\(\{ allowPublicAccess: true \}\)/);
    // an internal load balancer is no public way in
    const internal = Testing.chart();
    const open2 = registry({ auth: RegistryAuth.none(), storageOptions: { deleteEnabled: true } }, internal);
    new ElbTlsService(internal, 'Internal', { registry: open2, certificateArn: ARN, hostname: 'registry.example.com', internal: true });
    expect(() => Testing.synth(internal)).not.toThrow();
    const acknowledged = Testing.chart();
    const ok = registry({ auth: RegistryAuth.none({ allowPublicAccess: true }) }, acknowledged);
    expect(() => new RegistryIngress(acknowledged, 'In', { registry: ok, host: 'registry.example.com' })).not.toThrow();
  });

  test('token auth with an http:// realm is refused unless acknowledged', () => {
    const chart = Testing.chart();
    const bundle = TokenAuthFile.fromSecret(kplus.Secret.fromSecretName(chart, 'Certs', 'token-certs'), 'bundle.pem');
    const props = { realm: 'http://auth.example.com/token', service: 'registry', issuer: 'auth', rootCertBundle: bundle };
    expect(() => registry({ auth: new TokenAuth(props) }, chart))
      .toThrow(/^test\/Registry: 'auth.realm' \("http:\/\/auth.example.com\/token"\) is http:\/\/, so clients would send their credentials .* in clear text: use an https:\/\/ realm, or .* allowInsecureRealm: true/);
    expect(() => registry({ auth: new TokenAuth({ ...props, allowInsecureRealm: true }) }, Testing.chart())).not.toThrow();
  });

  test('every Secret volume is readable by the registry\'s group only', () => {
    const chart = Testing.chart();
    const tls = kplus.Secret.fromSecretName(chart, 'Tls', 'registry-tls');
    new RegistryDeployment(chart, 'Registry', {
      auth: HtpasswdAuth.fromSecret(kplus.Secret.fromSecretName(chart, 'H', 'registry-htpasswd')),
      tls: RegistryTls.fromSecret(tls, { clientCa: { secret: tls, key: 'ca.crt' } }),
    });
    const deployment = validateChart(chart).find((o) => o.kind === 'Deployment')!;
    const secrets = deployment.spec.template.spec.volumes.filter((v: any) => v.secret);
    expect(secrets.map((v: any) => v.name).sort()).toEqual(['htpasswd', 'tls', 'tls-client-ca']);
    for (const volume of secrets) expect(volume.secret.defaultMode).toBe(0o440);
  });
});

describe('the README\'s "Clear errors" section', () => {
  test('shows the messages the library really prints', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const readme: string = require('fs').readFileSync(require('path').join(__dirname, '..', '..', 'README.md'), 'utf-8');
    const section = readme.substring(readme.indexOf('## Clear errors'), readme.indexOf('\n## ', readme.indexOf('## Clear errors') + 3));
    const shown = [...section.matchAll(/^```text\n([\s\S]*?)\n```$/gm)].map((m) => m[1]);
    // GIVEN the two mistakes the section describes, in seed 001's chart
    const chart = new Chart(Testing.app(), 'registry', { namespace: 'container-registry' });
    const r = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none() });
    const thrown = (f: () => void) => {
      try {
        f();
      } catch (e) {
        return (e as Error).message;
      }
      return 'nothing thrown';
    };
    const messages = [
      thrown(() => r.addSecretEnv('REGISTRY_PROXY_PASSWROD', { secret: kplus.Secret.fromSecretName(chart, 'Hub', 'docker-hub'), key: 'password' })),
      // decided at synth (a PullThroughCache added later would change the risk): the message inside cdk8s's validation error
      thrown(() => {
        new ElbTlsService(chart, 'LoadBalancer', { registry: r, certificateArn: ARN, hostname: 'registry.example.com' });
        Testing.synth(chart);
      }).replace(/^Validation failed with the following errors:\n {2}\[registry\/Registry\] /, ''),
    ];
    // THEN the README shows them verbatim
    expect(shown).toEqual(messages);
  });
});
