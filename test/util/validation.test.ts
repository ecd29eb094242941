/**
 * The kinds of mistakes a new user makes (issue 11), each caught at synth time with a message that names the
 * construct path, the property and what would be valid; and the safe defaults.
 */
import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { validateChart } from './validate-manifests';
import {
  BlobDescriptorCache, ElbTlsService, HtpasswdAuth, Platform, RegistryAuth, RegistryDeployment, RegistryDeploymentProps,
  RegistryIngress, RegistryRoute, RegistryTls, S3Credentials, StorageBackend, TokenAuth, TokenAuthFile,
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

describe('values the registry refuses at start', () => {
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

});

describe('contradictions across constructs', () => {
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

describe('safe defaults', () => {
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
