/**
 * Day-2 config against the real registry on 2.8, 3.0 and 3.1: credentials anywhere in config.yml
 * (rendered by the pod's init container), a pull-through cache of a second loopback registry, the redis
 * blob descriptor cache on Debian's redis-server, and webhook notifications with a header from a Secret.
 */
import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  buildImage, cleanupAll, describeVersions, e2eVersions, expectSameContent, httpRequest, pull, push,
  RecordedRequest, RecordingServer, RedisServer, RegistryPod, requireEnvironment, textOutsideSecrets,
} from './harness';
import {
  HtpasswdAuth, NotificationAction, RegistryFeature, Notifications, PullThroughCache, RedisBlobDescriptorCache, RegistryAuth, RegistryDeployment,
  RegistryVersion, StorageBackend,
} from '../../src';
import { validateChart } from '../util/validate-manifests';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const bcrypt = require('bcryptjs');

beforeAll(() => requireEnvironment(['busybox', 'redis-server', 'redis-cli', 'openssl']));
afterAll(() => cleanupAll());

/** A password with quotes, backslashes, `&`, `/`, newlines (one trailing), a tab and YAML-special characters. */
const NASTY_PASSWORD = 'p"q\'r\\s&t/u\nv: w # x\t{y} [z] *a &b !c %d @e `f` | > - ? é\n';

describeVersions(e2eVersions(), ({ version }) => {
  test('a pull-through cache of a second registry serves and caches its image, refuses pushes', async () => {
  // GIVEN an upstream registry (2.8) holding one image. On 3.x its only user has the nasty password, which
  // the proxy reads from a Secret. Registry 2.8's proxy sends credentials only to token-auth upstreams
  // (proxyauth.go keys them by Bearer realm), so on 2.8 this htpasswd upstream is open; the login to a
  // token-auth upstream runs on 2.8, 3.0 and 3.1 in token-auth.e2e.test.ts.
    const withLogin = version.major === 3;
    const upChart = new Chart(Testing.app(), 'upstream');
    new RegistryDeployment(upChart, 'Upstream', {
      version: RegistryVersion.V2_8,
      storage: StorageBackend.emptyDir(),
      auth: withLogin ? HtpasswdAuth.fromEntries({ entries: [`mirror:${bcrypt.hashSync(NASTY_PASSWORD, 5)}`] }) : RegistryAuth.none(),
    });
    const upstream = new RegistryPod(validateChart(upChart));
    await upstream.start();
    const image = buildImage({ sizeBytes: 256 * 1024 });
    await push(image, `${upstream.address}/library/app:v1`, withLogin ? { creds: `mirror:${NASTY_PASSWORD}` } : {});

    // AND a proxy of it, of the version under test
    const chart = new Chart(Testing.app(), 'proxy');
    const hub = kplus.Secret.fromSecretName(chart, 'Hub', 'upstream-login');
    const proxy = new RegistryDeployment(chart, 'Proxy', { version, storage: StorageBackend.emptyDir(), auth: RegistryAuth.none() });
    proxy.addPart(new PullThroughCache({
      remoteUrl: upstream.url,
      username: withLogin ? { secret: hub, key: 'username' } : undefined,
      password: withLogin ? { secret: hub, key: 'password' } : undefined,
      allowInsecureRemote: true, // the loopback upstream speaks http
      ttl: version.supports(RegistryFeature.PROXY_TTL) ? Duration.hours(48) : undefined,
      cacheWriteTimeout: version.supports(RegistryFeature.PROXY_CACHE_WRITE_TIMEOUT) ? Duration.minutes(2) : undefined,
    }));
    const objects = validateChart(chart);
    expect(textOutsideSecrets(objects)).not.toContain('p"q');
    const pod = new RegistryPod(objects, { externalSecrets: { 'upstream-login': { username: 'mirror', password: NASTY_PASSWORD } } });
    await pod.start();

    // THEN the proxy serves the upstream image (on 3.x: the password arrived byte for byte)
    const pulled = await pod.withLogs(() => upstream.withLogs(() => pull(`${pod.address}/library/app:v1`)));
    expectSameContent(image, pulled);

    // AND a push is answered with the registry's own refusal (UNSUPPORTED, HTTP 405)
    const upload = await httpRequest(`${pod.url}/v2/mine/app/blobs/uploads/`, { method: 'POST' });
    expect(upload.status).toBe(405);
    expect(upload.body).toContain('UNSUPPORTED');
    await expect(push(buildImage({ sizeBytes: 1024 }), `${pod.address}/mine/app:v1`)).rejects.toThrow(/unsupported/i);

    // AND it is cached: with the upstream gone, the proxy still serves it
    await upstream.stop();
    expectSameContent(image, await pod.withLogs(() => pull(`${pod.address}/library/app:v1`)));

    await pod.stop();
  });

  test('redis blob descriptor cache with a nasty password, and push notifications with an Authorization header from a Secret', async () => {
    const db = { 2: 2, 3: version.minor === 0 ? 3 : 4 }[version.major as 2 | 3]!;
    // Redis AUTH is binary-safe: the registry logs in only if every byte of the Secret arrived in config.yml.
    const redisPassword = NASTY_PASSWORD;
    const redis = await RedisServer.start({ password: redisPassword });
    const listener = await RecordingServer.start();
    const token = 'Bearer tok"en\\with/odd&chars';

    const chart = new Chart(Testing.app(), 'day2');
    const creds = kplus.Secret.fromSecretName(chart, 'Creds', 'day2-creds');
    const registry = new RegistryDeployment(chart, 'Registry', { version, storage: StorageBackend.emptyDir(), auth: RegistryAuth.none() });
    registry.addPart(new RedisBlobDescriptorCache({ addresses: [`127.0.0.1:${redis.port}`], db, password: { secret: creds, key: 'redis-password' } }));
    registry.addPart(new Notifications({
      endpoints: [{
        name: 'scanner',
        url: `${listener.url}/events`,
        headers: { 'X-Source': 'registry-e2e' },
        secretHeaders: { Authorization: { secret: creds, key: 'webhook-token' } },
        ignoredMediaTypes: ['application/octet-stream'],
        ignoredActions: [NotificationAction.PULL],
      }],
    }));
    const objects = validateChart(chart);
    const outside = textOutsideSecrets(objects);
    expect(outside).not.toContain('r3d!s');
    expect(outside).not.toContain('tok"en');
    const pod = new RegistryPod(objects, {
      externalSecrets: { 'day2-creds': { 'redis-password': redisPassword, 'webhook-token': token } },
    });
    await pod.start();

    const image = buildImage({ sizeBytes: 512 * 1024 });
    await pod.withLogs(() => push(image, `${pod.address}/team/app:v1`));
    expectSameContent(image, await pod.withLogs(() => pull(`${pod.address}/team/app:v1`)));

    // THEN the blob descriptors are in redis, in the chosen db
    const keys = redis.keys(db);
    expect(keys.some((k) => k.startsWith('blobs::sha256:'))).toBe(true);
    expect(keys.some((k) => k.startsWith('repository::team/app::blobs::sha256:'))).toBe(true);

    // AND the webhook got the manifest push, with both headers, and no layer events (ignored media type)
    const push1 = await listener.waitFor((r) => eventsOf(r).some((e) => e.action === 'push' && e.target?.repository === 'team/app' && e.target?.tag === 'v1'), pod);
    expect(push1.headers.authorization).toBe(token);
    expect(push1.headers['x-source']).toBe('registry-e2e');
    expect(listener.requests.flatMap(eventsOf).every((e) => e.target?.mediaType !== 'application/octet-stream')).toBe(true);
    await pod.stop();
    await redis.stop();
  });
});

describeVersions(e2eVersions(), ({ version }) => {
  test('ignoredActions alone: pulls are not sent (before 3.1 through the inert ignored media type), pushes are; blob events carry application/octet-stream', async () => {
    // GIVEN a webhook that ignores pulls, and no ignored media type of the user's
    const listener = await RecordingServer.start();
    const chart = new Chart(Testing.app(), 'ignore-actions');
    const registry = new RegistryDeployment(chart, 'Registry', { version, storage: StorageBackend.emptyDir(), auth: RegistryAuth.none() });
    registry.addPart(new Notifications({ endpoints: [{ name: 'audit', url: `${listener.url}/events`, ignoredActions: [NotificationAction.PULL] }] }));
    const pod = new RegistryPod(validateChart(chart));
    await pod.start();

    // WHEN an image is pushed, pulled twice, and then a second tag is pushed
    const image = buildImage({ sizeBytes: 64 * 1024 });
    await pod.withLogs(() => push(image, `${pod.address}/team/app:v1`));
    expectSameContent(image, await pod.withLogs(() => pull(`${pod.address}/team/app:v1`)));
    expectSameContent(image, await pod.withLogs(() => pull(`${pod.address}/team/app:v1`)));
    await pod.withLogs(() => push(image, `${pod.address}/team/app:v2`));

    // THEN the webhook got both pushes; the endpoint's queue sends in order, so any pull event would have come first
    await listener.waitFor((r) => eventsOf(r).some((e) => e.action === 'push' && e.target?.tag === 'v2'), pod);
    const events = listener.requests.flatMap(eventsOf);
    expect(events.some((e) => e.action === 'push' && e.target?.tag === 'v1')).toBe(true);
    expect(events.filter((e) => e.action === 'pull')).toEqual([]);
    // AND the blob (layer and config) push events carry application/octet-stream, what ignoredMediaTypes is checked against
    const blobPushes = events.filter((e) => e.action === 'push' && e.target?.tag === undefined && e.target?.mediaType !== undefined
      && !/manifest|index/.test(e.target.mediaType));
    expect(blobPushes.length).toBeGreaterThan(0);
    expect(new Set(blobPushes.map((e) => e.target.mediaType))).toEqual(new Set(['application/octet-stream']));
    await pod.stop();
  });
});

describeVersions(e2eVersions({ filter: (v) => v.version.supports(RegistryFeature.REDIS_UNIVERSAL_OPTIONS) }), ({ version }) => {
  test('redis blob descriptor cache over TLS with a throwaway CA (3.0: clientcas + client certificate required; 3.1: rootcas)', async () => {
    // GIVEN redis serving TLS only, with a certificate from a CA made for this test; 3.0 must present a client certificate
    const v30 = !version.supports(RegistryFeature.REDIS_TLS_ROOT_CAS);
    const redis = await RedisServer.start({ password: 'tls-redis-pw', tls: { requireClientCertificate: v30 } });
    const chart = new Chart(Testing.app(), 'redis-tls');
    const login = kplus.Secret.fromSecretName(chart, 'Login', 'redis-login');
    const registry = new RegistryDeployment(chart, 'Registry', { version, storage: StorageBackend.emptyDir(), auth: RegistryAuth.none() });
    registry.addPart(new RedisBlobDescriptorCache({
      addresses: [redis.address],
      db: 6,
      password: { secret: login, key: 'password' },
      tls: {
        ca: { secret: login, key: 'ca.crt' },
        clientCertificate: v30 ? kplus.Secret.fromSecretName(chart, 'Client', 'redis-client') : undefined,
      },
    }));
    const objects = validateChart(chart);
    const config = objects.find((o) => o.kind === 'ConfigMap')!.data['config.yml'];
    expect(config).toContain(v30 ? 'clientcas:' : 'rootcas:');
    const tls = redis.tls!;
    const pod = new RegistryPod(objects, {
      externalSecrets: {
        'redis-login': { 'password': 'tls-redis-pw', 'ca.crt': tls.ca },
        ...(v30 ? { 'redis-client': { 'tls.crt': tls.clientCert, 'tls.key': tls.clientKey } } : {}),
      },
    });
    await pod.start();

    // WHEN an image is pushed and pulled
    const image = buildImage({ sizeBytes: 256 * 1024, seed: `redis-tls-${version}` });
    await pod.withLogs(() => push(image, `${pod.address}/tls/app:v1`));
    expectSameContent(image, await pod.withLogs(() => pull(`${pod.address}/tls/app:v1`)));

    // THEN its blob descriptors reached redis over TLS, and the registry logged no redis error
    const keys = redis.keys(6);
    expect(keys.some((k) => k.startsWith('blobs::sha256:'))).toBe(true);
    expect(keys.some((k) => k.startsWith('repository::tls/app::blobs::sha256:'))).toBe(true);
    expect(pod.stderr()).not.toMatch(/redis.*(certificate|tls|x509)|x509/i);
    await pod.stop();
    await redis.stop();
  });
});

/** The registry events of a webhook request (its envelope's `events`); none when the body is no envelope. */
function eventsOf(request: RecordedRequest): any[] {
  try {
    return JSON.parse(request.body.toString('utf-8')).events ?? [];
  } catch {
    return [];
  }
}
