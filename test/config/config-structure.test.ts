import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { RegistryAuth, RegistryDeployment, RegistryDeploymentProps, RegistryVersion } from '../../src';

/** The registry's config structure (generated from upstream's Go source) catches what the registry would ignore. */
function registry(props: Partial<RegistryDeploymentProps> = {}, chart: Chart = Testing.chart()): RegistryDeployment {
  return new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), ...props });
}

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
