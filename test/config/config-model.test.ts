import { createHash } from 'crypto';
import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { BlobDescriptorCache, IRegistryPart, RegistryAuth, RegistryContribution, RegistryDeployment, RegistryDeploymentProps, StorageBackend } from '../../src';
import { ConfigFragments } from '../../src/config/config-merge';
import { validateChart } from '../util/validate-manifests';

type Obj = { [key: string]: any };

function parse(text: string): Obj {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('yaml').parse(text);
}

/** A registry on an emptyDir (the storage plays no part here), in a chart of its own. */
const registry = (props: Partial<RegistryDeploymentProps> = {}) => {
  const chart = Testing.chart();
  return { chart, reg: new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), storage: StorageBackend.emptyDir(), ...props }) };
};

/** config.yml as the ConfigMap holds it, parsed, and the Deployment, of a validated synth. */
function synth(chart: any) {
  const objects = validateChart(chart);
  const text: string = objects.find((o) => o.kind === 'ConfigMap')!.data['config.yml'];
  return { text, config: parse(text), deployment: objects.find((o) => o.kind === 'Deployment')! };
}

/** A part built from a fixed contribution. */
function part(c: RegistryContribution): IRegistryPart {
  return { bind: () => c };
}

describe('RegistryConfigModel: one model, one cache every reader uses, derived from what was added', () => {
  test('config.yml, configValue and the checksum come from one merge per state of the model', () => {
    const { chart, reg } = registry();
    // GIVEN the model read twice: the same merged object, no second merge
    const storage = reg.configValue('storage');
    expect(reg.configValue('storage')).toBe(storage);
    // WHEN a part adds config, an env variable is set, or the external URL is set, THEN a new state is derived
    reg.addPart(part({ name: 'catalog', config: { catalog: { maxentries: 12 } } }));
    const afterPart = reg.configValue('storage');
    expect(afterPart).not.toBe(storage);
    expect(reg.configValue('catalog.maxentries')).toBe(12);
    reg.addSecretEnv('REGISTRY_HTTP_SECRET', { secret: kplus.Secret.fromSecretName(chart, 'H', 'http'), key: 'secret' });
    expect(reg.configValue('storage')).not.toBe(afterPart);
    const afterEnv = reg.configValue('http');
    reg.useExternalUrl('https://registry.example.com');
    expect(reg.configValue('http')).not.toBe(afterEnv);
    expect(reg.configValue('http.host')).toBe('https://registry.example.com');
    // AND config.yml and its checksum annotation are of the latest state
    const { text, deployment } = synth(chart);
    expect(text).toBe(reg.renderConfigYaml());
    expect(deployment.spec.template.metadata.annotations['checksum/config']).toBe(createHash('sha256').update(text).digest('hex'));
    expect(reg.configValue('catalog.nothing.here')).toBeUndefined();
  });

  test('an env variable: a valid name, set once, never a literal credential', () => {
    const { reg } = registry();
    const literal = (name: string, value: string) => () => reg.addPart(part({ name: 'mine', env: { [name]: kplus.EnvValue.fromValue(value) } }));
    expect(literal('registry-log-level', 'debug')).toThrow(/^test\/Registry: 'mine' name "registry-log-level" is not a valid environment variable name/);
    expect(literal('REGISTRY_STORAGE_S3_SECRETKEY', 'abc')).toThrow(/^test\/Registry: 'mine' puts what looks like a credential/);
    reg.addPart(part({ name: 'first', env: { REGISTRY_LOG_LEVEL: kplus.EnvValue.fromValue('debug') } }));
    expect(literal('REGISTRY_LOG_LEVEL', 'info')).toThrow(/'mine' sets 'REGISTRY_LOG_LEVEL', which 'first' already sets: each REGISTRY_\* variable may come from one place only/);
  });

  test('modelled config sections cannot be added again', () => {
    const chart = Testing.chart();
    const reg = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none() });
    expect(() => reg.addConfigSection('storage', {})).toThrow(/cannot replace 'storage'/);
    reg.addConfigSection('validation', { disabled: true });
    expect(parse(Testing.synth(chart).find((o) => o.kind === 'ConfigMap')!.data['config.yml']).validation).toEqual({ disabled: true });
  });

  test("the error for a modelled section names the way that works: a part whose config holds the keys (CORS headers under 'http')", () => {
    // GIVEN the message for 'http'
    const chart = Testing.chart();
    const reg = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none() });
    expect(() => reg.addConfigSection('http', { headers: {} }))
      .toThrow(/cannot replace 'http'.*such as http\.headers.*registry\.addPart\(\{ bind: \(\) => \(\{ name: 'my-http', config: \{ http: /);
    // WHEN doing what it says (the part of docs/migrating-from-helm.md)
    reg.addPart({ bind: () => ({ name: 'cors', config: { http: { headers: { 'Access-Control-Allow-Origin': ['https://ui.example.com'] } } } }) });
    // THEN the header joins the library's own
    const config = parse(Testing.synth(chart).find((o) => o.kind === 'ConfigMap')!.data['config.yml']);
    expect(config.http.headers).toEqual({ 'X-Content-Type-Options': ['nosniff'], 'Access-Control-Allow-Origin': ['https://ui.example.com'] });
  });
});

describe('the config check, cached per state of the model', () => {
  test('the config check runs once per change of the model, not once per validation (cdk8s validates once per chart)', () => {
    // GIVEN a redis blob descriptor cache and no redis yet
    const { reg } = registry({ storageOptions: { blobDescriptorCache: BlobDescriptorCache.REDIS } });
    const merges = jest.spyOn(ConfigFragments.prototype, 'merge');
    try {
      // WHEN the app is validated many times, as a synth of many charts does
      for (let i = 0; i < 5; i++) expect(reg.node.validate()).toEqual([expect.stringMatching(/no redis is configured/)]);
      // THEN the model was merged for the first validation only
      const perValidation = merges.mock.calls.length;
      expect(perValidation).toBeGreaterThan(0);
      reg.node.validate();
      expect(merges.mock.calls.length).toBe(perValidation);

      // WHEN a part adds redis, the next validation sees it
      reg.addPart(part({ name: 'redis', config: { redis: { addrs: ['r:6379'] } } }));
      expect(reg.node.validate()).toEqual([]);
      // and an external URL (also part of the model) leaves it valid
      reg.useExternalUrl('https://registry.example.com');
      expect(reg.node.validate()).toEqual([]);
    } finally {
      merges.mockRestore();
    }
  });
});
