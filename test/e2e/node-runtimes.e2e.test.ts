/**
 * Nodes pull through the synthesized mirror (issue 21): the real container runtimes read the node files the
 * library renders and pull `docker.io/library/app:1` through a pull-through cache of each version (2.8, 3.0,
 * 3.1) that logs in to an authenticated stand-in for Docker Hub:
 * - containerd 1.6 (`ctr images pull --hosts-dir`, the `hosts.toml` a node keeps in /etc/containerd/certs.d);
 * - containers/image, which CRI-O is built on (`skopeo` with the `registries.conf.d` drop-in).
 * Clients run in a network namespace that reaches the mirror's port only (harness `runInPrivateNetwork`): the
 * upstream stand-in is out of their reach and their fallback to the real registry-1.docker.io fails at once, so
 * a pull that did not go through the mirror cannot pass and nothing leaves the machine.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  buildImage, cleanupAll, Containerd, describeVersions, E2eVersion, e2eVersions, expectSameContent, freePort, perVersion,
  pullWithRegistriesConf, push, RegistryPod, requireEnvironment, tempDir, textOutsideSecrets, TokenKeyHeader, TokenServer,
} from './harness';
import { PrivateRunResult } from './harness/private-network';
import {
  PullThroughCache, RegistryAuth, RegistryDeployment, RegistryVersion, StorageBackend, TokenAuth, TokenAuthFile,
} from '../../src';
import { containerdHostsDirectory, containerdHostsToml } from '../../src/nodes/containerd-hosts';
import { NodeRegistryHost } from '../../src/nodes/node-registry-host';
import { registriesConfDropIn } from '../../src/nodes/registries-conf';
import { validateChart } from '../util/validate-manifests';

/** The reference a pod spec names; containerd and containers/image both expand `app:1` to it. */
const REFERENCE = 'docker.io/library/app:1';
const MIRROR_PASSWORD = 'mirror "pw": & more';
const PUBLISHER_PASSWORD = 'publisher-pw-2b71';

let tokens: TokenServer;
beforeAll(async () => {
  requireEnvironment(['containerd', 'ctr', 'ip', 'nsenter', 'openssl']);
  // Docker Hub's token service names; only the realm is the loopback server's.
  tokens = await TokenServer.start({
    issuer: 'auth.docker.io',
    service: 'registry.docker.io',
    users: {
      publisher: { password: PUBLISHER_PASSWORD, actions: ['pull', 'push'] },
      mirror: { password: MIRROR_PASSWORD, actions: ['pull'] },
    },
  });
  tokens.keyHeader = TokenKeyHeader.X5C;
});
afterAll(() => cleanupAll());

/**
 * The stand-in for Docker Hub: a real registry with token authentication, reached through the token server's port
 * (the registry and its realm on one host, as registry-1.docker.io and its realm share the docker.io domain).
 * Token auth, not htpasswd: registry 2.8's proxy sends credentials only to token-auth upstreams.
 */
async function startUpstream(): Promise<RegistryPod> {
  const chart = new Chart(Testing.app(), 'upstream');
  new RegistryDeployment(chart, 'Upstream', {
    version: RegistryVersion.V2_8,
    storage: StorageBackend.emptyDir(),
    auth: new TokenAuth({
      realm: tokens.realm,
      allowInsecureRealm: true,
      service: tokens.service,
      issuer: tokens.issuer,
      rootCertBundle: TokenAuthFile.fromConfigMap(kplus.ConfigMap.fromConfigMapName(chart, 'Signer', 'token-signer'), 'ca.pem'),
    }),
  });
  const upstream = new RegistryPod(validateChart(chart), { externalConfigMaps: { 'token-signer': { 'ca.pem': tokens.signer.caCertificate } } });
  await upstream.start();
  tokens.forwardTo(upstream.address);
  return upstream;
}

/**
 * The mirror of Docker Hub as a user synthesizes it, logging in with a Secret the user manages. Kept in one place:
 * at merge it becomes a `RegistryMirrorSet` with one upstream.
 */
function startMirror(version: RegistryVersion, password: string): RegistryPod {
  const chart = new Chart(Testing.app(), 'mirror');
  const login = kplus.Secret.fromSecretName(chart, 'HubLogin', 'docker-hub-login');
  const mirror = new RegistryDeployment(chart, 'DockerHub', { version, storage: StorageBackend.emptyDir(), auth: RegistryAuth.none() });
  mirror.addPart(new PullThroughCache({
    remoteUrl: tokens.url,
    username: { secret: login, key: 'username' },
    password: { secret: login, key: 'password' },
    allowInsecureRemote: true, // the loopback stand-in speaks http
  }));
  const objects = validateChart(chart);
  expect(textOutsideSecrets(objects)).not.toContain('pw');
  return new RegistryPod(objects, { externalSecrets: { 'docker-hub-login': { username: 'mirror', password } } });
}

/** The node files for one mirror host: a certs.d folder for containerd and the CRI-O drop-in. */
function nodeFiles(host: NodeRegistryHost) {
  const hostsDir = tempDir('certs.d');
  fs.mkdirSync(path.join(hostsDir, containerdHostsDirectory(host)));
  fs.writeFileSync(path.join(hostsDir, containerdHostsDirectory(host), 'hosts.toml'), containerdHostsToml(host));
  return { hostsDir, dropIns: { '50-cdk8s-registry-mirrors.conf': registriesConfDropIn([host]) } };
}

function dockerHubHost(mirror: RegistryPod): NodeRegistryHost {
  return { imageHost: 'docker.io', endpoint: `http://127.0.0.1:${mirror.port}`, upstreamUrl: 'https://registry-1.docker.io' };
}

/** Jest assertion with the client's own output in the message. */
function expectExit(result: PrivateRunResult, code: 'success' | 'failure', what: string) {
  const ok = code === 'success' ? result.exitCode === 0 : result.exitCode !== 0;
  if (!ok) throw new Error(`${what}: expected ${code}, exit code ${result.exitCode}; output:\n${result.stdout}${result.stderr}`);
}

/**
 * The registry's access-log lines (combined log format, the same on 2.8, 3.0 and 3.1) since `mark` that asked for
 * `path` (any query) with one of `methods` and were answered 200.
 */
function asked(pod: RegistryPod, mark: number, requestPath: string, methods = ['GET', 'HEAD']): string[] {
  return pod.stderr().substring(mark).split('\n').filter((line) => {
    const request = /"([A-Z]+) ([^ ?"]+)(\?[^ "]*)? HTTP\/[0-9.]+" (\d+) /.exec(line);
    return request !== null && methods.includes(request[1]) && request[2] === requestPath && request[4] === '200';
  });
}

describeVersions(e2eVersions(), (v: E2eVersion) => {
  test('containerd and containers/image pull docker.io/library/app:1 through the mirror, and from its cache alone once the upstream is gone', async () => {
    // GIVEN the Docker Hub stand-in holding library/app:1 (content of this version's own)
    const upstream = await startUpstream();
    const image = buildImage({ sizeBytes: 256 * 1024, seed: perVersion('app', v) });
    await push(image, `${upstream.address}/library/app:1`, { creds: `publisher:${PUBLISHER_PASSWORD}` });

    // AND the mirror of this version, and the node files rendered for it
    const mirror = startMirror(v.version, MIRROR_PASSWORD);
    await mirror.start();
    const { hostsDir, dropIns } = nodeFiles(dockerHubHost(mirror));
    const containerd = await Containerd.start();

    // WHEN containerd pulls docker.io/library/app:1 as a kubelet would have it pulled
    const upMark = upstream.stderr().length;
    let mirrorMark = mirror.stderr().length;
    const tokenMark = tokens.requests.length;
    const first = await containerd.pull(REFERENCE, { hostsDir, reach: [mirror.port] });
    expectExit(first, 'success', 'ctr pull through the mirror');

    // THEN containerd holds the image, byte for byte
    expect(containerd.images()).toEqual([REFERENCE]);
    expect(containerd.layerDiffIds(REFERENCE)).toEqual([image.layerDiffId]);
    const layer = containerd.manifest(REFERENCE).layers[0].digest;
    // AND it came through the mirror, which logged in to the upstream with the Secret's credentials
    expect(first.connections[mirror.port]).toBeGreaterThan(0);
    // (containerd names the image's own host in `?ns=docker.io`: it used the mirror as docker.io's)
    expect(asked(mirror, mirrorMark, '/v2/library/app/manifests/1').join('\n')).toContain('?ns=docker.io');
    expect(asked(upstream, upMark, '/v2/library/app/manifests/1')).not.toEqual([]);
    expect(tokens.requests.slice(tokenMark).some((r) => r.user === 'mirror' && r.status === 200
      && r.granted!.some((g) => g.name === 'library/app' && g.actions.includes('pull')))).toBe(true);

    // AND a mirror with a wrong password serves nothing: the pull fails (the upstream refused the login)
    const wrong = startMirror(v.version, `${MIRROR_PASSWORD}x`);
    await wrong.start();
    const refusedMark = tokens.requests.length;
    const wrongFiles = nodeFiles(dockerHubHost(wrong));
    const refused = [
      await containerd.pull(REFERENCE, { hostsDir: wrongFiles.hostsDir, reach: [wrong.port] }),
      await pullWithRegistriesConf(REFERENCE, { dropIns: wrongFiles.dropIns, reach: [wrong.port] }),
    ];
    for (const result of refused) {
      expectExit(result, 'failure', 'a pull through a mirror with a wrong password');
      expect(result.connections[wrong.port]).toBeGreaterThan(0);
    }
    expect(tokens.requests.slice(refusedMark).some((r) => r.user === 'mirror' && r.status === 401)).toBe(true);
    await wrong.stop();

    // WHEN the upstream is gone and containerd has neither the image nor any of its content
    await upstream.stop();
    tokens.forwardTo(undefined);
    containerd.removeImage(REFERENCE);
    expect(containerd.images()).toEqual([]);
    expect(containerd.content()).toEqual([]);

    // THEN containerd pulls it again, from the mirror's cache alone
    mirrorMark = mirror.stderr().length;
    const again = await containerd.pull(REFERENCE, { hostsDir, reach: [mirror.port] });
    expectExit(again, 'success', 'ctr pull from the mirror\'s cache');
    expect(containerd.layerDiffIds(REFERENCE)).toEqual([image.layerDiffId]);
    expect(asked(mirror, mirrorMark, '/v2/library/app/manifests/1')).not.toEqual([]);

    // AND so does containers/image (CRI-O's library) with the registries.conf.d drop-in
    mirrorMark = mirror.stderr().length;
    const crio = await pullWithRegistriesConf(REFERENCE, { dropIns, reach: [mirror.port] });
    expectExit(crio, 'success', 'skopeo pull with the registries.conf.d drop-in');
    expectSameContent(image, crio.image!);
    expect(asked(mirror, mirrorMark, '/v2/library/app/manifests/1')).not.toEqual([]);

    // AND over the whole scenario the upstream sent the layer on the first pull only: once on 3.x, twice on 2.8
    // (2.8's proxy fetches a blob once to stream it to the client and once more to store it: ServeBlob's storeLocal)
    expect(asked(upstream, 0, `/v2/library/app/blobs/${layer}`, ['GET'])).toHaveLength(v.version.major === 2 ? 2 : 1);

    await containerd.stop();
    await mirror.stop();
  });
});

test('a pull that does not reach the mirror fails: the runtimes\' fallback to registry-1.docker.io leaves nothing', async () => {
  // GIVEN node files naming a mirror at a port nothing serves, and clients that may reach only that port
  const port = await freePort();
  const { hostsDir, dropIns } = nodeFiles({ imageHost: 'docker.io', endpoint: `http://127.0.0.1:${port}`, upstreamUrl: 'https://registry-1.docker.io' });
  const containerd = await Containerd.start();

  // WHEN containerd and containers/image pull: the mirror fails, both fall back to the upstream
  const ctr = await containerd.pull(REFERENCE, { hostsDir, reach: [port] });
  const skopeo = await pullWithRegistriesConf(REFERENCE, { dropIns, reach: [port] });

  // THEN both fail at once, the fallback ending inside the namespace (no route, no resolver)
  expectExit(ctr, 'failure', 'ctr pull without a mirror');
  expectExit(skopeo, 'failure', 'skopeo pull without a mirror');
  for (const run of [ctr, skopeo]) {
    expect(run.stderr).toMatch(/registry-1\.docker\.io/);
    expect(run.stderr).toMatch(/network is unreachable|no such host|connection refused/);
    expect(run.ms).toBeLessThan(5000);
  }
  await containerd.stop();
});
