import { Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { registryOf, synthConfig, V2_8, V3_0, V3_1 } from './helpers';
import { ElbTlsService, Notifications, PullThroughCache, RedisBlobDescriptorCache, RegistryAuth, RegistryDeployment, RegistryIngress } from '../../src';
import { textOutsideSecrets } from '../e2e/harness/manifests';

describe('PullThroughCache', () => {
  test('3.1: remoteurl, credentials as placeholders, ttl and cachewritetimeout', () => {
    const { chart, registry } = registryOf(V3_1);
    const hub = new kplus.Secret(chart, 'Hub', { stringData: { username: 'me', password: 'CANARY-hub-token' } });
    registry.addPart(new PullThroughCache({
      remoteUrl: 'https://registry-1.docker.io/',
      username: { secret: hub, key: 'username' },
      password: { secret: hub, key: 'password' },
      ttl: Duration.hours(72),
      cacheWriteTimeout: Duration.minutes(10),
    }));
    const { config, objects } = synthConfig(chart);
    expect(config.proxy).toEqual({
      remoteurl: 'https://registry-1.docker.io', username: '__registry_secret_0__', password: '__registry_secret_1__', ttl: '72h', cachewritetimeout: '10m',
    });
    expect(textOutsideSecrets(objects)).not.toContain('CANARY-hub-token');
    expect(objects).toMatchSnapshot();
  });

  test('anonymous upstream, ttl 0 keeps content forever (3.0)', () => {
    const { chart, registry } = registryOf(V3_0);
    registry.addPart(new PullThroughCache({ remoteUrl: 'https://mirror.gcr.io', ttl: Duration.seconds(0) }));
    const { config, spec } = synthConfig(chart);
    expect(config.proxy).toEqual({ remoteurl: 'https://mirror.gcr.io', ttl: '0s' });
    // nothing expires, so the delete API stays as the props say
    expect(config.storage.delete).toBeUndefined();
    expect(spec.initContainers).toBeUndefined();
  });

  test('content that expires needs the delete API: enabled by the part, or refused when switched off', () => {
    // GIVEN the default ttl (168h), on 2.8 and 3.x: the expiry scheduler deletes through the storage's delete API
    for (const v of [V2_8, V3_0, V3_1]) {
      const { chart, registry } = registryOf(v);
      registry.addPart(new PullThroughCache({ remoteUrl: 'https://r.example.com' }));
      expect(synthConfig(chart).config.storage.delete).toEqual({ enabled: true });
    }
    // AND deleteEnabled: true is the same value, not a conflict
    const both = registryOf(V3_1, { storageOptions: { deleteEnabled: true } });
    both.registry.addPart(new PullThroughCache({ remoteUrl: 'https://r.example.com', ttl: Duration.hours(24) }));
    expect(synthConfig(both.chart).config.storage.delete).toEqual({ enabled: true });
    // THEN deleteEnabled: false with expiring content is refused, naming the property and what is valid
    expect(() => registryOf(V3_1, { storageOptions: { deleteEnabled: false } }).registry.addPart(new PullThroughCache({ remoteUrl: 'https://r.example.com', ttl: Duration.hours(24) })))
      .toThrow(/^test\/Registry: 'storageOptions.deleteEnabled' is false, but a pull-through cache removes content older than its ttl \(24h\) through the delete API.*ttl Duration.seconds\(0\)/);
    expect(() => registryOf(V2_8, { storageOptions: { deleteEnabled: false } }).registry.addPart(new PullThroughCache({ remoteUrl: 'https://r.example.com' })))
      .toThrow(/'storageOptions.deleteEnabled' is false, but a pull-through cache removes content older than its ttl \(168h\).*cannot delete from a proxy\)$/);
    // AND with ttl 0 nothing expires: deleteEnabled false is fine
    const keep = registryOf(V3_1, { storageOptions: { deleteEnabled: false } });
    keep.registry.addPart(new PullThroughCache({ remoteUrl: 'https://r.example.com', ttl: Duration.seconds(0) }));
    expect(synthConfig(keep.chart).config.storage.delete).toEqual({ enabled: false });
  });

  test('read-only mode makes no sense on a proxy and is refused', () => {
    const { registry } = registryOf(V3_1, { storageOptions: { readOnly: true } });
    expect(() => registry.addPart(new PullThroughCache({ remoteUrl: 'https://r.example.com' })))
      .toThrow(/^test\/Registry: 'storageOptions.readOnly' cannot be used with a PullThroughCache: a proxy refuses pushes and deletes anyway, and read-only mode does not stop it from storing what it pulls.*Drop readOnly/);
  });

  test('version-specific keys and nonsense are refused with the property named', () => {
    const add = (v: any, p: any) => registryOf(v).registry.addPart(new PullThroughCache(p));
    expect(() => add(V2_8, { remoteUrl: 'https://r.example.com', ttl: Duration.hours(1) })).toThrow(/'proxy.ttl' is not supported by registry 2.8.3/);
    expect(() => add(V3_0, { remoteUrl: 'https://r.example.com', cacheWriteTimeout: Duration.minutes(1) })).toThrow(/'proxy.cacheWriteTimeout' \(proxy.cachewritetimeout\) needs registry 3.1.0 or later, and this registry runs 3.0.0/);
    expect(() => add(V3_1, { remoteUrl: 'https://r.example.com', ttl: Duration.millis(500) })).toThrow(/'proxy.ttl' \(0.5 s\) must be a whole number of seconds/);
    expect(() => add(V3_1, { remoteUrl: 'https://r.example.com', cacheWriteTimeout: Duration.millis(500) })).toThrow(/'proxy.cacheWriteTimeout' \(0.5 s\) must be a whole number of seconds of at least 1/);
    expect(() => add(V3_1, { remoteUrl: 'registry-1.docker.io' })).toThrow(/'proxy.remoteUrl' \("registry-1.docker.io"\)/);
    expect(() => add(V3_1, { remoteUrl: 'https://r.example.com/v2/library' })).toThrow(/'proxy.remoteUrl' \("https:\/\/r.example.com\/v2\/library"\) must be an http:\/\/ or https:\/\/ URL with a host and optional port only, such as "https:\/\/registry-1.docker.io"/);
    expect(() => add(V3_1, { remoteUrl: 'https://me:pw@r.example.com' })).toThrow(/'proxy.remoteUrl' puts what looks like a credential in config.yml \(the ConfigMap\) as plain text \(the URL's user and password\).*give it as username and password/);
    const { chart, registry } = registryOf(V3_1);
    const s = kplus.Secret.fromSecretName(chart, 'S', 's');
    expect(() => registry.addPart(new PullThroughCache({ remoteUrl: 'https://r.example.com', username: { secret: s, key: 'u' } }))).toThrow(/'proxy.password' is required with the other/);
  });

  test('a bad Secret key of a part names the part\'s property (proxy, notifications, redis), not secretValue', () => {
    const { chart, registry } = registryOf(V3_1);
    const secret = kplus.Secret.fromSecretName(chart, 'Hub', 'hub');
    expect(() => registry.addPart(new PullThroughCache({ remoteUrl: 'https://r.example.com', username: { secret, key: 'user' }, password: { secret, key: 'bad key' } })))
      .toThrow(/'proxy.password.key' \("bad key"\) is not a valid Secret key/);
    expect(() => registryOf(V3_1).registry.addPart(new Notifications({ endpoints: [{ name: 'a', url: 'http://x', secretHeaders: { Authorization: { secret, key: 'a/b' } } }] })))
      .toThrow(/'notifications.endpoints\[0\].secretHeaders.Authorization.key' \("a\/b"\) is not a valid Secret key/);
    expect(() => registryOf(V3_1).registry.addPart(new RedisBlobDescriptorCache({ addresses: ['r:6379'], password: { secret, key: '' } })))
      .toThrow(/'redis.password.key' \(""\) is not a valid Secret key/);
  });

  test('a second PullThroughCache is refused: one registry mirrors one upstream', () => {
    const { registry } = registryOf(V3_1);
    registry.addPart(new PullThroughCache({ remoteUrl: 'https://registry-1.docker.io' }));
    expect(() => registry.addPart(new PullThroughCache({ remoteUrl: 'https://ghcr.io' })))
      .toThrow(/test\/Registry: 'proxy' is already given by another PullThroughCache part \("https:\/\/registry-1.docker.io"\): one registry mirrors one upstream. Create a second RegistryDeployment \(with its own name\) for "https:\/\/ghcr.io"/);
  });

  test('an http:// upstream with credentials needs an acknowledgement (the login would cross the network in clear)', () => {
    const add = (props: any) => {
      const { chart, registry } = registryOf(V3_1);
      const hub = kplus.Secret.fromSecretName(chart, 'Hub', 'hub');
      registry.addPart(new PullThroughCache({ remoteUrl: 'http://mirror.internal:5000', username: { secret: hub, key: 'u' }, password: { secret: hub, key: 'p' }, ...props }));
      return synthConfig(chart).config.proxy;
    };
    expect(() => add({})).toThrow(/test\/Registry: 'proxy.remoteUrl' \("http:\/\/mirror.internal:5000"\) is http:\/\/, so the cache's login \(username and password\) would cross the network in clear text: use an https:\/\/ upstream, or acknowledge it with allowInsecureRemote: true/);
    expect(add({ allowInsecureRemote: true }).remoteurl).toBe('http://mirror.internal:5000');
    // anonymous pulls from an http:// upstream send nothing secret
    expect(add({ username: undefined, password: undefined }).remoteurl).toBe('http://mirror.internal:5000');
  });

  test('a hand-written proxy section with deletes disabled is refused: the cache could never expire anything', () => {
    for (const version of [V2_8, V3_1]) {
      const { chart, registry } = registryOf(version);
      registry.addConfigSection('proxy', { remoteurl: 'https://registry-1.docker.io' });
      expect(() => Testing.synth(chart)).toThrow(/test\/Registry: 'addConfigSection' configures a pull-through cache \(proxy.remoteurl\) with storage deletes disabled: the registry removes content older than the ttl \(168h\) through the delete API, which answers "operation unsupported", so the cache grows forever. Set storageOptions.deleteEnabled to true \(clients still cannot delete from a proxy\), or use the PullThroughCache part/);
    }
    // deletes enabled, or content kept forever (3.x ttl 0), or the part: fine
    const ok = registryOf(V3_1, { storageOptions: { deleteEnabled: true } });
    ok.registry.addConfigSection('proxy', { remoteurl: 'https://registry-1.docker.io' });
    expect(synthConfig(ok.chart).config.storage.delete).toEqual({ enabled: true });
    const forever = registryOf(V3_1);
    forever.registry.addConfigSection('proxy', { remoteurl: 'https://registry-1.docker.io', ttl: '0s' });
    synthConfig(forever.chart);
    const custom = registryOf(V3_1);
    custom.registry.addPart({ bind: () => ({ name: 'my-mirror', config: { proxy: { remoteurl: 'https://ghcr.io', ttl: '24h' } } }) });
    expect(() => Testing.synth(custom.chart)).toThrow(/'my-mirror' configures a pull-through cache \(proxy.remoteurl\) with storage deletes disabled: .*ttl \(24h\)/);
  });
});

describe('PullThroughCache behind a public way in of an open registry: the true risk', () => {
  const ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';

  function exposed(options: { credentials?: boolean; acknowledge?: boolean; wayInFirst?: boolean; cache?: boolean } = {}) {
    const chart = Testing.chart();
    const registry = new RegistryDeployment(chart, 'Registry', { name: 'mirror', auth: RegistryAuth.none() });
    const hub = kplus.Secret.fromSecretName(chart, 'Hub', 'hub-login');
    const cache = () => registry.addPart(new PullThroughCache({
      remoteUrl: 'https://registry-1.docker.io',
      username: options.credentials ? { secret: hub, key: 'username' } : undefined,
      password: options.credentials ? { secret: hub, key: 'password' } : undefined,
      allowPublicPullThrough: options.acknowledge,
    }));
    if (options.cache !== false && !options.wayInFirst) cache();
    new RegistryIngress(chart, 'Ingress', { registry, host: 'mirror.example.com' });
    if (options.cache !== false && options.wayInFirst) cache();
    return chart;
  }

  test('without upstream credentials: allowed without acknowledgement (a proxy refuses every push), whatever the order', () => {
    expect(() => Testing.synth(exposed())).not.toThrow();
    expect(() => Testing.synth(exposed({ wayInFirst: true }))).not.toThrow();
  });

  test('with upstream credentials: refused, naming the real risk, unless acknowledged; added after the way in too', () => {
    for (const wayInFirst of [false, true]) {
      expect(() => Testing.synth(exposed({ credentials: true, wayInFirst }))).toThrow(new RegExp(
        "test/Ingress: 'registry' \\(test/Registry\\) has no authentication \\(RegistryAuth.none\\(\\)\\) and its proxy refuses every push, but through this public way in "
        + 'anyone who reaches it pulls through your upstream credentials \\(hub-login\\) and rate limit at registry-1.docker.io, and reads whatever private upstream '
        + 'repositories those credentials see. Acknowledge it with allowPublicPullThrough: true on the PullThroughCache'));
      expect(() => Testing.synth(exposed({ credentials: true, wayInFirst, acknowledge: true }))).not.toThrow();
    }
  });

  test('a registry that takes pushes keeps the push refusal; an internal way in or RegistryAuth.none({ allowPublicAccess }) is no exposure', () => {
    expect(() => Testing.synth(exposed({ cache: false }))).toThrow(/anyone could push and overwrite images/);
    const chart = Testing.chart();
    const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none({ allowPublicAccess: true }) });
    const hub = kplus.Secret.fromSecretName(chart, 'Hub', 'hub-login');
    registry.addPart(new PullThroughCache({ remoteUrl: 'https://registry-1.docker.io', username: { secret: hub, key: 'u' }, password: { secret: hub, key: 'p' } }));
    new ElbTlsService(chart, 'Lb', { registry, hostname: 'mirror.example.com', certificateArn: ARN });
    expect(() => Testing.synth(chart)).not.toThrow();
    const internal = Testing.chart();
    const open = new RegistryDeployment(internal, 'Registry', { auth: RegistryAuth.none() });
    open.addPart(new PullThroughCache({ remoteUrl: 'https://registry-1.docker.io', username: { secret: hub, key: 'u' }, password: { secret: hub, key: 'p' } }));
    new ElbTlsService(internal, 'Lb', { registry: open, hostname: 'mirror.example.com', certificateArn: ARN, internal: true });
    expect(() => Testing.synth(internal)).not.toThrow();
  });
});
