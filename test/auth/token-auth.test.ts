import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { RegistryDeployment, RegistryVersion, TokenAuth, TokenAuthFile, TokenAuthProps, TokenSigningAlgorithm } from '../../src';
import { validateChart } from '../util/validate-manifests';

type Obj = { [key: string]: any };

function parseConfig(text: string): Obj {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('yaml').parse(text);
}

function synth(build: (chart: Chart) => Partial<TokenAuthProps>, version?: RegistryVersion) {
  const chart = new Chart(Testing.app(), 'test');
  const props: TokenAuthProps = {
    realm: 'https://auth.example.com/token',
    service: 'registry.example.com',
    issuer: 'Acme auth server',
    ...build(chart),
  };
  new RegistryDeployment(chart, 'Registry', { auth: new TokenAuth(props), version });
  const objects = validateChart(chart);
  const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
  const deployment = objects.find((o) => o.kind === 'Deployment')!;
  const pod = deployment.spec.template.spec;
  return { objects, config: parseConfig(configMap.data[Object.keys(configMap.data)[0]]), pod, container: pod.containers[0] as Obj };
}

describe('TokenAuth', () => {
  test('2.8: realm, service, issuer, rootcertbundle from a Secret, autoredirect; snapshot', () => {
    const { objects, config, pod, container } = synth((chart) => ({
      rootCertBundle: TokenAuthFile.fromSecret(kplus.Secret.fromSecretName(chart, 'Certs', 'token-signer'), 'tls.crt'),
      autoRedirect: true,
    }), RegistryVersion.V2_8);
    expect(objects).toMatchSnapshot();
    expect(config.auth).toEqual({
      token: {
        realm: 'https://auth.example.com/token',
        service: 'registry.example.com',
        issuer: 'Acme auth server',
        rootcertbundle: '/etc/registry/token-certs/bundle.pem',
        autoredirect: true,
      },
    });
    const mount = container.volumeMounts.find((m: Obj) => m.mountPath === '/etc/registry/token-certs');
    expect(mount.readOnly).toBe(true);
    const volume = pod.volumes.find((v: Obj) => v.name === mount.name);
    expect(volume.secret).toMatchObject({ secretName: 'token-signer', items: [{ key: 'tls.crt', path: 'bundle.pem' }] });
  });

  test('3.x: jwks from a ConfigMap, signing algorithms, autoredirect path', () => {
    const { config, pod } = synth((chart) => ({
      jwks: TokenAuthFile.fromConfigMap(kplus.ConfigMap.fromConfigMapName(chart, 'Jwks', 'token-jwks'), 'jwks.json'),
      signingAlgorithms: [TokenSigningAlgorithm.RS256, TokenSigningAlgorithm.ES256],
      autoRedirect: true,
      autoRedirectPath: '/v2/token',
    }));
    expect(config.auth.token).toEqual({
      realm: 'https://auth.example.com/token',
      service: 'registry.example.com',
      issuer: 'Acme auth server',
      jwks: '/etc/registry/token-jwks/jwks.json',
      autoredirect: true,
      autoredirectpath: '/v2/token',
      signingalgorithms: ['RS256', 'ES256'],
    });
    expect(config.auth.token.rootcertbundle).toBeUndefined();
    const volume = pod.volumes.find((v: Obj) => v.configMap?.name === 'token-jwks');
    expect(volume.configMap.items).toEqual([{ key: 'jwks.json', path: 'jwks.json' }]);
  });

  test('3.x: both rootcertbundle and jwks mount at different paths', () => {
    const { config, container } = synth((chart) => ({
      rootCertBundle: TokenAuthFile.fromConfigMap(kplus.ConfigMap.fromConfigMapName(chart, 'Certs', 'certs'), 'ca.pem'),
      jwks: TokenAuthFile.fromConfigMap(kplus.ConfigMap.fromConfigMapName(chart, 'Jwks', 'jwks'), 'jwks.json'),
    }));
    expect(config.auth.token.rootcertbundle).toBe('/etc/registry/token-certs/bundle.pem');
    expect(config.auth.token.jwks).toBe('/etc/registry/token-jwks/jwks.json');
    const paths = container.volumeMounts.map((m: Obj) => m.mountPath);
    expect(paths).toEqual(expect.arrayContaining(['/etc/registry/token-certs', '/etc/registry/token-jwks']));
  });

  test.each([
    ['jwks', (chart: Chart) => ({ jwks: TokenAuthFile.fromConfigMap(kplus.ConfigMap.fromConfigMapName(chart, 'J', 'j'), 'k') }), /'auth\.jwks' \(a JWKS of the signing keys\) needs registry 3\.0\.0 or later, and this registry runs 2\.8\.3/],
    ['signingAlgorithms', () => ({ signingAlgorithms: [TokenSigningAlgorithm.RS256] }), /'auth\.signingAlgorithms' \(.*\) needs registry 3\.0\.0 or later, and this registry runs 2\.8\.3: use RegistryVersion\.V3_0/],
    ['autoRedirectPath', () => ({ autoRedirect: true, autoRedirectPath: '/t' }), /'auth\.autoRedirectPath' \(.*\) needs registry 3\.0\.0 or later, and this registry runs 2\.8\.3: use RegistryVersion\.V3_0/],
  ])('2.8 rejects the 3.x key %s', (_name, build, message) => {
    const certs = (chart: Chart) => ({ rootCertBundle: TokenAuthFile.fromSecret(kplus.Secret.fromSecretName(chart, 'C', 'c'), 'ca.pem') });
    expect(() => synth((chart) => ({ ...certs(chart), ...build(chart) }), RegistryVersion.V2_8)).toThrow(message);
  });

  test('bad input', () => {
    expect(() => synth(() => ({}), RegistryVersion.V2_8)).toThrow(/'auth\.rootCertBundle' is required on registry 2\.8/);
    expect(() => synth(() => ({}))).toThrow(/'auth\.rootCertBundle' or 'auth\.jwks' is required/);
    const certs = (chart: Chart) => TokenAuthFile.fromSecret(kplus.Secret.fromSecretName(chart, 'C', 'c'), 'ca.pem');
    expect(() => synth((chart) => ({ rootCertBundle: certs(chart), realm: 'auth.example.com' }))).toThrow(/'auth\.realm'.*http\(s\) URL/);
    expect(() => synth((chart) => ({ rootCertBundle: certs(chart), service: ' ' }))).toThrow(/'auth\.service' is required/);
    expect(() => synth((chart) => ({ rootCertBundle: certs(chart), autoRedirectPath: '/x' }))).toThrow(/'auth\.autoRedirectPath' is only read with autoRedirect/);
    expect(() => synth((chart) => ({ rootCertBundle: certs(chart), autoRedirect: true, autoRedirectPath: 'x' }))).toThrow(/'auth\.autoRedirectPath'.*absolute path/);
    expect(() => synth((chart) => ({ rootCertBundle: certs(chart), signingAlgorithms: [] }))).toThrow(/'auth\.signingAlgorithms' must not be empty/);
    expect(() => synth((chart) => ({ rootCertBundle: certs(chart), signingAlgorithms: ['none' as TokenSigningAlgorithm] })))
      .toThrow(/'auth\.signingAlgorithms' has unknown algorithm "none"/);
  });

  test('autoredirect lets the realm be a placeholder', () => {
    const { config } = synth((chart) => ({
      rootCertBundle: TokenAuthFile.fromSecret(kplus.Secret.fromSecretName(chart, 'C', 'c'), 'ca.pem'),
      autoRedirect: true,
      realm: 'derived-from-host',
    }));
    expect(config.auth.token.realm).toBe('derived-from-host');
  });

  test('token auth with an http:// realm is refused unless acknowledged', () => {
    const chart = Testing.chart();
    const bundle = TokenAuthFile.fromSecret(kplus.Secret.fromSecretName(chart, 'Certs', 'token-certs'), 'bundle.pem');
    const props = { realm: 'http://auth.example.com/token', service: 'registry', issuer: 'auth', rootCertBundle: bundle };
    expect(() => new RegistryDeployment(chart, 'Registry', { auth: new TokenAuth(props) }))
      .toThrow(/^test\/Registry: 'auth.realm' \("http:\/\/auth.example.com\/token"\) is http:\/\/, so clients would send their credentials .* in clear text: use an https:\/\/ realm, or .* allowInsecureRealm: true/);
    expect(() => new RegistryDeployment(Testing.chart(), 'Registry', { auth: new TokenAuth({ ...props, allowInsecureRealm: true }) })).not.toThrow();
  });
});
