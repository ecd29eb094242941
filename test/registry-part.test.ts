import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { AfterCollectionContext, AfterCollectionSteps, BlobDescriptorCache, GarbageCollection, IRegistry, IRegistryPart, RegistryAuth, RegistryContribution, RegistryDeployment, RegistryFeature, RegistryVersion, SecretKeyReference, StorageBackend } from '../src';
import { textOutsideSecrets } from './e2e/harness/manifests';
import { validateChart } from './util/validate-manifests';

type Obj = { [key: string]: any };

function parse(text: string): Obj {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('yaml').parse(text);
}

function registry(props: Partial<ConstructorParameters<typeof RegistryDeployment>[2]> = {}) {
  const chart = Testing.chart();
  const reg = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), storage: StorageBackend.emptyDir(), ...props });
  return { chart, reg };
}

function synth(chart: any) {
  const objects = validateChart(chart);
  const deployment = objects.find((o) => o.kind === 'Deployment')!;
  const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
  const text: string = configMap.data[Object.keys(configMap.data)[0]];
  return { objects, deployment, configMap, text, config: parse(text), spec: deployment.spec.template.spec as Obj };
}

/** A part built from a fixed contribution, or from a function of the registry. */
function part(c: RegistryContribution | ((r: RegistryDeployment) => RegistryContribution)): IRegistryPart {
  return { bind: (r: RegistryDeployment) => (typeof c === 'function' ? c(r) : c) };
}

describe('parts: config fragments', () => {
  test('a fragment is deep-merged; sections are ordered independent of the order parts were added', () => {
    const a = registry();
    a.reg.addPart(part({ name: 'one', config: { validation: { disabled: true }, storage: { maintenance: { readonly: { enabled: true } } } } }));
    a.reg.addPart(part({ name: 'two', config: { catalog: { maxentries: 12 } } }));
    const b = registry();
    b.reg.addPart(part({ name: 'two', config: { catalog: { maxentries: 12 } } }));
    b.reg.addPart(part({ name: 'one', config: { validation: { disabled: true }, storage: { maintenance: { readonly: { enabled: true } } } } }));
    const first = synth(a.chart);
    expect(first.text).toBe(synth(b.chart).text);
    expect(Object.keys(first.config)).toEqual(['version', 'log', 'storage', 'http', 'health', 'catalog', 'validation']);
    expect(first.config.storage.maintenance.readonly).toEqual({ enabled: true });
    // The core's own storage keys are still there.
    expect(first.config.storage.filesystem).toBeDefined();
    expect(first.config.storage.cache).toEqual({ blobdescriptor: 'inmemory' });
  });

  test('two parts setting one key differently: the error names the path and both parts', () => {
    const { reg } = registry();
    reg.addPart(part({ name: 'first', config: { notifications: { events: { includereferences: true } } } }));
    expect(() => reg.addPart(part({ name: 'second', config: { notifications: { events: { includereferences: false } } } })))
      .toThrow(/Registry: 'second' config key 'notifications.events.includereferences' is set to true by 'first' and to false by 'second'/);
    // Equal values agree.
    reg.addPart(part({ name: 'third', config: { notifications: { events: { includereferences: true } } } }));
  });

  test('a part against the props: the props contribute like parts, so the part is refused when added, naming the prop', () => {
    const { reg } = registry({ storageOptions: { readOnly: true } });
    expect(() => reg.addPart(part({ name: 'gc', config: { storage: { maintenance: { readonly: { enabled: false } } } } })))
      .toThrow(/'gc' config key 'storage.maintenance.readonly.enabled' is set to true by 'storageOptions' and to false by 'gc'/);
    // The storage backend's own keys are a contribution too.
    expect(() => reg.addPart(part({ name: 'moved', config: { storage: { filesystem: { rootdirectory: '/elsewhere' } } } })))
      .toThrow(/'moved' config key 'storage.filesystem.rootdirectory' is set to "\/var\/lib\/registry" by 'storage' and to "\/elsewhere" by 'moved'/);
  });

  test('defaults yield to parts; an explicit choice does not', () => {
    const a = registry();
    a.reg.addPart(part({ name: 'cache', config: { storage: { cache: { blobdescriptor: 'redis' } }, redis: { addrs: ['r:6379'] } } }));
    expect(synth(a.chart).config.storage.cache).toEqual({ blobdescriptor: 'redis' });
    const b = registry({ storageOptions: { blobDescriptorCache: BlobDescriptorCache.INMEMORY } });
    expect(() => b.reg.addPart(part({ name: 'cache', config: { storage: { cache: { blobdescriptor: 'redis' } }, redis: { addrs: ['r:6379'] } } })))
      .toThrow(/'storage.cache.blobdescriptor' is set to "inmemory" by 'storageOptions' and to "redis" by 'cache'/);
  });

  test('a redis blob descriptor cache without redis cannot render', () => {
    const { chart } = registry({ storageOptions: { blobDescriptorCache: BlobDescriptorCache.REDIS } });
    expect(() => Testing.synth(chart)).toThrow(/'storage.cache.blobdescriptor' is 'redis' but no redis is configured/);
  });

  test('env, mounts and pod annotations of a part; clashes name both sources', () => {
    const { chart, reg } = registry();
    const secret = kplus.Secret.fromSecretName(chart, 'Ext', 'ext');
    reg.addPart(part((r) => ({
      name: 'extra',
      env: { REGISTRY_LOG_LEVEL: kplus.EnvValue.fromValue('debug') },
      mounts: [{ volume: kplus.Volume.fromSecret(r, 'ExtraVolume', secret), path: '/etc/extra' }],
      podAnnotations: { 'example.com/x': 'y' },
    })));
    const { spec, deployment } = synth(chart);
    expect(spec.containers[0].env).toContainEqual({ name: 'REGISTRY_LOG_LEVEL', value: 'debug' });
    expect(spec.containers[0].volumeMounts).toContainEqual(expect.objectContaining({ mountPath: '/etc/extra', readOnly: true }));
    expect(deployment.spec.template.metadata.annotations['example.com/x']).toBe('y');
    expect(() => reg.addPart(part({ name: 'again', env: { REGISTRY_LOG_LEVEL: kplus.EnvValue.fromValue('x') } })))
      .toThrow(/'again' sets 'REGISTRY_LOG_LEVEL', which 'extra' already sets/);
    expect(() => reg.addPart(part({ name: 'again2', podAnnotations: { 'example.com/x': 'z' } })))
      .toThrow(/'again2' sets pod annotation 'example.com\/x', which 'extra' already sets/);
  });
});

describe('credentials anywhere in the config', () => {
  test('literal credentials are refused in addConfigSection and in parts', () => {
    const { reg } = registry();
    expect(() => reg.addConfigSection('proxy', { remoteurl: 'https://registry-1.docker.io', password: 'hunter2' }))
      .toThrow(/'addConfigSection' puts what looks like a credential in config.yml \(the ConfigMap\) as plain text \(proxy.password\).*registry.secretValue/);
    expect(() => reg.addConfigSection('notifications', { endpoints: [{ name: 'a', url: 'http://x', headers: { Authorization: ['Bearer abcdefgh12345'] } }] }))
      .toThrow(/notifications.endpoints\[0\].headers.Authorization\[0\]/);
    expect(() => reg.addPart(part({ name: 'p', config: { x: { note: 'Basic dXNlcjpwYXNzd29yZA==' } } }))).toThrow(/'p' puts what looks like a credential.*x.note/);
    // Not credentials: durations, URLs, booleans, numbers.
    reg.addConfigSection('validation', { disabled: true });
    reg.addPart(part({ name: 'ok', config: { proxy: { remoteurl: 'https://registry-1.docker.io', ttl: '24h' } } }));
  });

  test('one rule for every route: hand-written URLs, sections the library does not model, env literals of a custom part', () => {
    const same = (where: string, found: string) => new RegExp(`test/Registry: '${where}' puts what looks like a credential in (config.yml \\(the ConfigMap\\)|the Deployment \\(an env value\\)) `
      + `as plain text \\(${found}\\): anyone who can read the namespace can read it there. Store it in a Secret and`);
    // user info in a hand-written proxy or notification URL
    expect(() => registry().reg.addConfigSection('proxy', { remoteurl: 'https://me:pw@registry-1.docker.io' }))
      .toThrow(same('addConfigSection', 'proxy.remoteurl \\(user and password\\)'));
    expect(() => registry().reg.addConfigSection('notifications', { endpoints: [{ name: 'a', url: 'https://hook@x.example.com/e' }] }))
      .toThrow(same('addConfigSection', 'notifications.endpoints\\[0\\].url \\(user info\\)'));
    // a token in a URL's query string, in any section
    expect(() => registry().reg.addConfigSection('notifications', { endpoints: [{ name: 'a', url: 'https://x.example.com/e?token=abc' }] }))
      .toThrow(same('addConfigSection', "notifications.endpoints\\[0\\].url \\(query parameter 'token'\\)"));
    // a credential under any key of a section the library does not model (2.8's reporting)
    expect(() => registry({ version: RegistryVersion.V2_8 }).reg.addConfigSection('reporting', { newrelic: { licensekey: '0123abcd', name: 'registry' } }))
      .toThrow(same('addConfigSection', 'reporting.newrelic.licensekey'));
    // an env literal for a REGISTRY_* or OTEL_* credential in a custom part
    expect(() => registry().reg.addPart(part({ name: 'mine', env: { REGISTRY_PROXY_PASSWORD: kplus.EnvValue.fromValue('hunter2') } })))
      .toThrow(same('mine', 'REGISTRY_PROXY_PASSWORD'));
    expect(() => registry().reg.addPart(part({ name: 'mine', env: { OTEL_EXPORTER_OTLP_HEADERS: kplus.EnvValue.fromValue('x-honeycomb-team=abc123') } })))
      .not.toThrow(); // a team name is not a credential by its name...
    expect(() => registry().reg.addPart(part({ name: 'mine', env: { OTEL_EXPORTER_OTLP_HEADERS: kplus.EnvValue.fromValue('api-key=abc123,x-team=a') } })))
      .toThrow(same('mine', "OTEL_EXPORTER_OTLP_HEADERS header 'api-key'"));
    expect(() => registry().reg.addPart(part({ name: 'mine', env: { OTEL_EXPORTER_OTLP_HEADERS: kplus.EnvValue.fromValue('Authorization=Bearer%20abcdefgh1234') } })))
      .toThrow(same('mine', "OTEL_EXPORTER_OTLP_HEADERS header 'Authorization'"));
    expect(() => registry().reg.addPart(part({ name: 'mine', env: { NEW_RELIC_LICENSE_KEY: kplus.EnvValue.fromValue('0123abcd') } })))
      .toThrow(same('mine', 'NEW_RELIC_LICENSE_KEY'));
    // a pod annotation of a part
    expect(() => registry().reg.addPart(part({ name: 'mine', podAnnotations: { 'example.com/api-token': 'abc123' } })))
      .toThrow(/test\/Registry: 'mine' puts what looks like a credential in the Deployment \(a pod annotation\) as plain text \(example.com\/api-token\)/);
    // the same through addEnv routes of the core: a Secret reference passes
    const { chart, reg } = registry();
    reg.addPart(part({
      name: 'ok',
      env: {
        REGISTRY_PROXY_PASSWORD: kplus.EnvValue.fromSecretValue({ secret: kplus.Secret.fromSecretName(chart, 'S', 's'), key: 'k' }),
        OTEL_EXPORTER_OTLP_HEADERS: kplus.EnvValue.fromValue('Authorization=$(HEADER_VALUE)'),
        AUTH_TOKEN_REALM: kplus.EnvValue.fromValue('https://auth.example.com/token'),
        REGISTRY_HTTP_TLS_KEY: kplus.EnvValue.fromValue('/etc/registry/tls/tls.key'),
      },
    }));
  });

  test('no false positive for keys that hold file paths (the cloudfront middleware\'s privatekey)', () => {
    const { chart, reg } = registry({ version: RegistryVersion.V2_8 });
    reg.addConfigSection('middleware', {
      storage: [{ name: 'cloudfront', options: { baseurl: 'https://d111111abcdef8.cloudfront.net/', privatekey: '/etc/cloudfront/pk.pem', keypairid: 'APKAEXAMPLE', duration: '3000s' } }],
    });
    const config = parse(synth(chart).configMap.data['config.yml']);
    expect(config.middleware.storage[0].options.privatekey).toBe('/etc/cloudfront/pk.pem');
    // the key itself, pasted, is refused
    expect(() => registry({ version: RegistryVersion.V2_8 }).reg.addConfigSection('middleware', {
      storage: [{ name: 'cloudfront', options: { baseurl: 'https://d.cloudfront.net/', privatekey: '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n', keypairid: 'APKA' } }],
    })).toThrow(/middleware.storage\[0\].options.privatekey/);
  });

  test('secretValue: the ConfigMap holds a placeholder, an init container renders the value into an in-memory volume', () => {
    const { chart, reg } = registry({ version: RegistryVersion.V2_8, storageOptions: { deleteEnabled: true } });
    const secret = kplus.Secret.fromSecretName(chart, 'Hub', 'hub-credentials');
    reg.addConfigSection('proxy', { remoteurl: 'https://registry-1.docker.io', username: 'me', password: reg.secretValue(secret, 'password') });
    // The same Secret key twice is one placeholder.
    expect(reg.secretValue(secret, 'password')).toBe('__registry_secret_0__');
    const { config, spec, text, deployment } = synth(chart);
    expect(config.proxy.password).toBe('__registry_secret_0__');
    expect(text).toContain('password: __registry_secret_0__\n');
    const [init] = spec.initContainers;
    expect(init.name).toBe('render-config');
    expect(init.image).toBe('registry:2.8.3');
    expect(init.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(init.command[2]).toContain('cat /etc/registry-secrets/0/value');
    expect(init.securityContext).toEqual(spec.containers[0].securityContext);
    expect(init.volumeMounts).toEqual(expect.arrayContaining([
      expect.objectContaining({ mountPath: '/etc/registry-template', name: 'config', readOnly: true }),
      expect.objectContaining({ mountPath: '/etc/registry-secrets/0', name: 'config-secret-0', readOnly: true }),
      expect.objectContaining({ mountPath: '/run/registry-config', name: 'config-rendered', readOnly: false }),
    ]));
    const main = spec.containers[0];
    expect(main.args).toEqual(['serve', '/run/registry-config/config.yml']);
    expect(main.volumeMounts).toContainEqual(expect.objectContaining({ mountPath: '/run/registry-config', name: 'config-rendered', readOnly: true }));
    // The Secret is mounted into the init container only.
    expect(main.volumeMounts.map((m: Obj) => m.name)).not.toContain('config-secret-0');
    expect(spec.volumes).toContainEqual({ name: 'config-rendered', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } });
    expect(spec.volumes).toContainEqual({ name: 'config-secret-0', secret: { secretName: 'hub-credentials', defaultMode: 0o440, items: [{ key: 'password', path: 'value' }] } });
    // The checksum still covers the config.
    expect(deployment.spec.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
  });

  test('no credential: no init container, the registry reads the ConfigMap', () => {
    const { chart } = registry();
    const { spec } = synth(chart);
    expect(spec.initContainers).toBeUndefined();
    expect(spec.containers[0].args).toEqual(['serve', '/etc/distribution/config.yml']);
  });

  test('a placeholder inside a longer string is refused', () => {
    const { chart, reg } = registry();
    const secret = kplus.Secret.fromSecretName(chart, 'S', 's');
    reg.addConfigSection('notifications', { endpoints: [{ name: 'a', url: 'http://x', headers: { 'X-Source': [`id-${reg.secretValue(secret, 'k')}`] } }] });
    expect(() => Testing.synth(chart)).toThrow(/must be a whole value of its own/);
  });

  test('a canary secret value never appears outside a Secret', () => {
    const { chart, reg } = registry({ storageOptions: { deleteEnabled: true } });
    const secret = new kplus.Secret(chart, 'Made', { stringData: { password: 'CANARY-4711' } });
    reg.addConfigSection('proxy', { remoteurl: 'https://r.example.com', username: 'u', password: reg.secretValue(secret, 'password') });
    const { objects } = synth(chart);
    expect(textOutsideSecrets(objects)).not.toContain('CANARY-4711');
  });
});

describe('listen addresses', () => {
  test('a debug address on the registry\'s own port, through a part\'s config or env, is refused: the registry would exit', () => {
    const a = registry();
    a.reg.addPart(part({ name: 'debug', config: { http: { debug: { addr: ':5000' } } } }));
    expect(() => Testing.synth(a.chart)).toThrow(/test\/Registry: 'debug' puts the debug server \(http.debug.addr ":5000"\) on the registry's own port 5000: the two cannot both listen there, and the registry exits at start \("error listening on debug interface"\). Use another port, such as ":5001"/);
    expect(() => registry().reg.addPart(part({ name: 'debug-env', env: { REGISTRY_HTTP_DEBUG_ADDR: kplus.EnvValue.fromValue('0.0.0.0:5000') } })))
      .toThrow(/test\/Registry: 'debug-env' puts the debug server \(REGISTRY_HTTP_DEBUG_ADDR "0.0.0.0:5000"\) on the registry's own port 5000/);
    const ok = registry();
    ok.reg.addPart(part({ name: 'debug', config: { http: { debug: { addr: '127.0.0.1:5002' } } } }));
    expect(synth(ok.chart).config.http.debug.addr).toBe('127.0.0.1:5002');
  });
});


describe('a user\'s part uses the seam RedisBlobDescriptorCache uses', () => {
  /**
   * The example of the docs: a webhook that hears of every push, authenticated with a token from a Secret, and
   * told to drop its index after a garbage collection deleted blobs. It binds against `IRegistry` (version,
   * `secretValue` naming its prop, `configValue`) and adds a step after collection, as the redis cache does.
   */
  class PushWebhook implements IRegistryPart {
    public constructor(private readonly props: { readonly url: string; readonly token: SecretKeyReference }) {}

    public bind(target: IRegistry): RegistryContribution {
      if (target.configValue('storage.maintenance.readonly.enabled') === true) {
        throw new Error(`${target.node.path}: 'webhook' hears of pushes, and a read-only registry takes none`);
      }
      const token = target.secretValue(this.props.token.secret, this.props.token.key, 'webhook.token.key');
      const ignore = target.version.supports(RegistryFeature.NOTIFICATIONS_IGNORE_ACTIONS_ALONE) ? { ignore: { actions: ['pull'] } } : {};
      return {
        name: 'webhook',
        config: { notifications: { endpoints: [{ name: 'push-webhook', url: this.props.url, headers: { Authorization: [token] }, ...ignore }] } },
      };
    }

    public afterCollection(context: AfterCollectionContext): AfterCollectionSteps {
      return {
        containers: [{ name: 'drop-index', image: 'example.com/indexer:1.0', args: ['drop', this.props.url], securityContext: context.registryContainer.securityContext }],
        problems: [],
      };
    }
  }

  test('it binds through IRegistry, its credential stays in the Secret, and the collection runs its step', () => {
    // GIVEN a registry with the user's part and a garbage collection
    const chart = Testing.chart();
    const reg = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), storage: StorageBackend.persistentVolumeClaim(), storageOptions: { deleteEnabled: true } });
    const token = { secret: kplus.Secret.fromSecretName(chart, 'Token', 'webhook-token'), key: 'token' };
    reg.addPart(new PushWebhook({ url: 'https://hooks.example.com/push', token }));
    new GarbageCollection(chart, 'GC', { registry: reg });
    // THEN config.yml holds the endpoint with a placeholder, and the part is one of the registry's parts
    const { config, objects } = synth(chart);
    expect(config.notifications.endpoints).toEqual([{
      name: 'push-webhook', url: 'https://hooks.example.com/push', headers: { Authorization: ['__registry_secret_0__'] }, ignore: { actions: ['pull'] },
    }]);
    expect(reg.parts.map((p) => p.constructor.name)).toContain('PushWebhook');
    // AND the collection's pod runs the part's step with the registry container's security context
    const cronJob = objects.find((o) => o.kind === 'CronJob')!;
    const pod = cronJob.spec.jobTemplate.spec.template.spec;
    const step = [...pod.initContainers, ...pod.containers].find((c: Obj) => c.name === 'drop-index');
    expect(step.args).toEqual(['drop', 'https://hooks.example.com/push']);
    expect(step.securityContext).toEqual(synth(chart).spec.containers[0].securityContext);
    // AND a bad Secret key is reported under the part's own prop name
    const bad = registry();
    expect(() => bad.reg.addPart(new PushWebhook({ url: 'https://hooks.example.com/push', token: { secret: kplus.Secret.fromSecretName(bad.chart, 'T', 'webhook-token'), key: 'not a key!' } })))
      .toThrow(/'webhook.token.key'/);
    // AND its own check reads the config model, not the output
    const readOnly = registry({ storageOptions: { readOnly: true } });
    expect(() => readOnly.reg.addPart(new PushWebhook({ url: 'https://hooks.example.com/push', token }))).toThrow(/read-only registry takes none/);
  });
});
