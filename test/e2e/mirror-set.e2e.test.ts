/**
 * A RegistryMirrorSet against the real registry (2.8.2, 3.0.0, 3.1.1): every mirror of a five-upstream set (Docker Hub,
 * GHCR, Quay, registry.k8s.io and a loopback upstream of its own, with a login on 3.x) starts from its synthesized
 * Deployment and serves an image pulled through it with skopeo; all five share one bucket of the loopback Swift's S3
 * API, each under its own prefix. The proxy panics at start when its upstream cannot be reached, and no network reaches
 * Docker Hub here: for the four well-known mirrors the test substitutes one value, `proxy.remoteurl`, by the
 * loopback upstream (everything else runs as synthesized). The node runtimes (containerd, CRI-O through skopeo's
 * registries.conf) are the runtimes suite's.
 */
import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  buildImage, cleanupAll, describeVersions, e2eVersions, expectSameContent, httpRequest, perVersion, pull, push, RegistryPod, requireEnvironment,
  SwiftServer, textOutsideSecrets,
} from './harness';
import {
  HtpasswdAuth, MirrorNodeAccess, MirrorUpstream, RegistryAuth, RegistryDeployment, RegistryFeature, RegistryMirrorSet, RegistryVersion,
  S3Credentials, StorageBackend,
} from '../../src';
import { validateChart } from '../util/validate-manifests';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const bcrypt = require('bcryptjs');

type Obj = { [key: string]: any };
const PASSWORD = 'upstream "pass" \\ word';

let swift: SwiftServer;

beforeAll(async () => {
  requireEnvironment(['busybox']);
  swift = await SwiftServer.start();
}, 150000);
afterAll(() => cleanupAll());

/**
 * Waits until a mirror has stored what it served under its prefix: the tag's link, both blobs (config and layer) and
 * their links in the repository.
 * A proxy stores in the background after answering (2.8 fetches the blob from the upstream once more to do so).
 */
async function cached(bucket: string, slug: string, blobsToo: boolean): Promise<string[]> {
  const tag = `cache/${slug}/docker/registry/v2/repositories/library/app/_manifests/tags/v1/current/link`;
  const blobs = new RegExp(`^cache/${slug.replace(/[-]/g, '\\-')}/docker/registry/v2/blobs/sha256/[0-9a-f]{2}/[0-9a-f]{64}/data$`);
  const links = new RegExp(`^cache/${slug.replace(/[-]/g, '\\-')}/docker/registry/v2/repositories/library/app/_layers/sha256/[0-9a-f]{64}/link$`);
  let keys: string[] = [];
  for (let i = 0; i < 100; i++) {
    keys = await swift.listObjects(bucket);
    const stored = keys.filter((k) => blobs.test(k)).length >= 2 && keys.filter((k) => links.test(k)).length >= 2;
    if (keys.includes(tag) && (!blobsToo || stored)) return keys;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`mirror ${slug} did not store the image under cache/${slug}/ in 20 s: ${JSON.stringify(keys)}`);
}

describeVersions(e2eVersions({ driver: 's3' }), (v) => {
  test('every mirror of a five-upstream set starts and mirrors; one bucket, a prefix per mirror', async () => {
    // GIVEN a loopback upstream (2.8) holding library/app:v1; on 3.x it takes a login (2.8's proxy logs in to token
    // upstreams only, as day2-config.e2e.test.ts says)
    const withLogin = v.version.major === 3;
    // 2.8 stores a pulled blob in the background, 3.1 with its own deadline (cachewritetimeout); 3.0.0 commits it to
    // storage within the client's request, which on object storage is cut short when the client hangs up after the
    // last byte (seen here: the upload stays in _uploads). So on 3.0 only the manifest is sure to be cached.
    const blobsCached = v.version.major === 2 || v.version.supports(RegistryFeature.PROXY_CACHE_WRITE_TIMEOUT);
    const upChart = new Chart(Testing.app(), 'upstream');
    new RegistryDeployment(upChart, 'Upstream', {
      version: RegistryVersion.V2_8,
      storage: StorageBackend.emptyDir(),
      auth: withLogin ? HtpasswdAuth.fromEntries({ entries: [`mirror:${bcrypt.hashSync(PASSWORD, 5)}`] }) : RegistryAuth.none(),
    });
    const upstream = new RegistryPod(validateChart(upChart));
    await upstream.start();
    const image = buildImage({ sizeBytes: 200 * 1024 });
    await push(image, `${upstream.address}/library/app:v1`, withLogin ? { creds: `mirror:${PASSWORD}` } : {});

    // AND a mirror set of five upstreams on one bucket, reached through NodePorts on a private node network
    const bucket = perVersion('mirrors', v);
    await swift.createContainer(bucket);
    const chart = new Chart(Testing.app(), 'mirrors', { namespace: 'registry-mirrors' });
    const login = kplus.Secret.fromSecretName(chart, 'Login', 'upstream-login');
    // every upstream logs in with the same Secret on 3.x; the four well-known ones pull from the loopback upstream as
    // from another mirror of theirs (pullFrom), since nothing reaches the real ones here
    const credentials = withLogin ? { username: { secret: login, key: 'username' }, password: { secret: login, key: 'password' } } : {};
    const viaLoopback = { ...credentials, pullFrom: upstream.url, allowInsecureRemote: true };
    const own = MirrorUpstream.of({
      imageHost: upstream.address,
      remoteUrl: upstream.url,
      ...credentials,
      allowInsecureRemote: true, // the loopback upstream speaks http
    });
    const set = new RegistryMirrorSet(chart, 'Mirrors', {
      upstreams: [
        MirrorUpstream.dockerHub(viaLoopback), MirrorUpstream.ghcr(viaLoopback), MirrorUpstream.quay(viaLoopback),
        MirrorUpstream.k8s(viaLoopback), own,
      ],
      version: v.version,
      ttl: v.version.supports(RegistryFeature.PROXY_TTL) ? Duration.hours(24) : undefined,
      storage: StorageBackend.s3({
        bucket,
        region: 'us-east-1',
        regionEndpoint: swift.url,
        secure: false,
        v4auth: true,
        rootDirectory: '/cache',
        credentials: S3Credentials.fromSecret(kplus.Secret.fromSecretName(chart, 'Keys', 's3-keys')),
      }),
      nodeAccess: MirrorNodeAccess.nodePorts({ firstPort: 31000, publicAccess: false }),
    });
    const objects = validateChart(chart);
    expect(textOutsideSecrets(objects)).not.toContain('pass" ');
    const secrets = {
      'upstream-login': { username: 'mirror', password: PASSWORD },
      's3-keys': { accessKey: 'test:tester', secretKey: 'testing' },
    };

    // WHEN each mirror runs from its own Deployment and the image is pulled through it
    const pods: RegistryPod[] = [];
    for (const [i, upstreamOf] of set.upstreams.entries()) {
      const mirror = set.registries[i].name!;
      const pod = new RegistryPod(objects, { deployment: mirror, externalSecrets: secrets });
      await pod.start();
      pods.push(pod);
      // THEN it serves the upstream's image (on 3.x the login arrived byte for byte)
      expectSameContent(image, await pod.withLogs(() => upstream.withLogs(() => pull(`${pod.address}/library/app:v1`))));
      // AND it stored the image under its own prefix of the one bucket
      await cached(bucket, upstreamOf.slug, blobsCached);
      if (upstreamOf !== own) await pod.stop();
    }
    const keys = await swift.listObjects(bucket);
    expect([...new Set(keys.map((k) => k.split('/').slice(0, 2).join('/')))].sort()).toEqual(set.upstreams.map((u) => `cache/${u.slug}`).sort());

    // AND the own mirror refuses a push (a proxy takes none: what an open mirror exposes is its upstream)
    const ownPod = pods[pods.length - 1];
    const upload = await httpRequest(`${ownPod.url}/v2/mine/app/blobs/uploads/`, { method: 'POST' });
    expect(upload.status).toBe(405);
    expect(upload.body).toContain('UNSUPPORTED');

    // AND with the upstream gone, it still serves what it cached
    await upstream.stop();
    if (blobsCached) expectSameContent(image, await ownPod.withLogs(() => pull(`${ownPod.address}/library/app:v1`)));
    await ownPod.stop();
  }, 180000);
});
