/**
 * Nodes pull through the synthesized mirror (issue 21): the README's cluster-wide mirror set (`RegistryMirrorSet` of
 * Docker Hub, GHCR, Quay and registry.k8s.io on NodePorts, `NodeRegistryConfig` with `writeFiles`) is what the real
 * container runtimes pull `docker.io/library/app:1` through, with the node files as written, byte for byte, on each
 * version (2.8, 3.0, 3.1); the Docker Hub mirror logs in to an authenticated stand-in for Docker Hub:
 * - containerd 1.6 (`ctr images pull --hosts-dir`, the written `etc/containerd/certs.d`);
 * - containers/image, which CRI-O is built on (`skopeo` with the written `registries.conf.d/50-mirrors.conf`).
 * Clients run in a network namespace that reaches the mirror's NodePort only (harness `runInPrivateNetwork`: the
 * node files' `localhost:<nodePort>` leads to the mirror's loopback port, as kube-proxy forwards a NodePort): the
 * upstream stand-in is out of their reach and their fallback to the real registry-1.docker.io fails at once, so a
 * pull that did not go through the mirror cannot pass and nothing leaves the machine.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  buildImage, cleanupAll, Containerd, describeVersions, E2eVersion, e2eVersions, expectSameContent, freePort, perVersion,
  pullWithRegistriesConf, push, RegistryPod, requireEnvironment, tempDir, textOutsideSecrets, TokenKeyHeader, TokenServer,
} from './harness';
import { PortForward, PrivateRunResult } from './harness/private-network';
import {
  MirrorUpstream, NodeRegistryConfig, RegistryDeployment, RegistryMirrorSet, RegistryVersion, StorageBackend, TokenAuth, TokenAuthFile,
} from '../../src';
import { validateChart } from '../util/validate-manifests';

type Obj = { [key: string]: any };

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

/** What `synthesizeClusterMirrors` gives: the chart's objects and the node files as `writeFiles` wrote them. */
interface ClusterMirrors {
  /** The synthesized objects, run as they are. */
  readonly objects: Obj[];
  /** `metadata.name` of the Docker Hub mirror's Deployment. */
  readonly deployment: string;
  /** The NodePort of the Docker Hub mirror, from the synthesized Service. */
  readonly nodePort: number;
  /** The written `etc/containerd/certs.d` (containerd's `--hosts-dir`). */
  readonly hostsDir: string;
  /** Every file written to `etc/containers/registries.conf.d`, name to text. */
  readonly dropIns: { [fileName: string]: string };
}

/**
 * The README's cluster-wide mirror set (Docker Hub, GHCR, Quay, registry.k8s.io on NodePorts, containerd, CRI-O and
 * OpenShift node config) as a user synthesizes it, plus what the test needs: the release line under test, and a login
 * to Docker Hub from a Secret the user manages (acknowledged on its public NodePort). `app.synth()` and
 * `NodeRegistryConfig.writeFiles(app)` write the manifests and the node files into a temp outdir; the node files are
 * used byte for byte. No network reaches Docker Hub here (and the proxy panics at start when its upstream cannot be
 * reached), so the Docker Hub mirror pulls from the stand-in as a user pulls through another mirror of Docker Hub
 * (`pullFrom`, over http on loopback: `allowInsecureRemote`). Everything runs as synthesized.
 */
function synthesizeClusterMirrors(version: RegistryVersion): ClusterMirrors {
  const outdir = tempDir('cluster-mirrors');
  const app = new App({ outdir });
  const chart = new Chart(app, 'cluster-mirrors', { namespace: 'mirrors' });
  const login = kplus.Secret.fromSecretName(chart, 'HubLogin', 'docker-hub-login');
  const hub = {
    username: { secret: login, key: 'username' },
    password: { secret: login, key: 'password' },
    allowPublicPullThrough: true,
    pullFrom: tokens.url,
    allowInsecureRemote: true,
  };
  const mirrors = new RegistryMirrorSet(chart, 'Mirrors', {
    upstreams: [MirrorUpstream.dockerHub(hub), MirrorUpstream.ghcr(), MirrorUpstream.quay(), MirrorUpstream.k8s()],
    version,
  });
  new NodeRegistryConfig(chart, 'Nodes', { name: 'mirrors', sources: [mirrors], openShift: true });
  const objects = validateChart(chart);
  app.synth();
  const written = NodeRegistryConfig.writeFiles(app);
  expect(textOutsideSecrets(objects)).not.toContain('pw');
  expect(written.filter((f) => f.startsWith('nodes/mirrors/etc/containers/'))).toEqual(['nodes/mirrors/etc/containers/registries.conf.d/50-mirrors.conf']);

  const deployment = mirrors.registryFor('docker.io').name!;
  const services = objects.filter((o) => o.kind === 'Service' && o.spec.type === 'NodePort'
    && Object.entries(o.spec.selector).every(([k, value]) => objects.find((d) => d.kind === 'Deployment' && d.metadata.name === deployment)!
      .spec.template.metadata.labels[k] === value));
  expect(services).toHaveLength(1);
  const nodePort: number = services[0].spec.ports[0].nodePort;
  const node = path.join(outdir, 'nodes', 'mirrors', 'etc');
  const hostsDir = path.join(node, 'containerd', 'certs.d');
  // the node files name the NodePort on localhost, as a node reaches it
  expect(fs.readFileSync(path.join(hostsDir, 'docker.io', 'hosts.toml'), 'utf-8')).toContain(`[host."http://localhost:${nodePort}"]`);
  const dropInDir = path.join(node, 'containers', 'registries.conf.d');
  const dropIns = Object.fromEntries(fs.readdirSync(dropInDir).map((f) => [f, fs.readFileSync(path.join(dropInDir, f), 'utf-8')]));
  expect(dropIns['50-mirrors.conf']).toContain(`location = "localhost:${nodePort}"`);
  return {
    objects,
    deployment,
    nodePort,
    hostsDir,
    dropIns,
  };
}

/** The Docker Hub mirror's pod, logging in with `password` from the user's Secret. */
function mirrorPod(mirrors: ClusterMirrors, password: string): RegistryPod {
  return new RegistryPod(mirrors.objects, { deployment: mirrors.deployment, externalSecrets: { 'docker-hub-login': { username: 'mirror', password } } });
}

/** The node's NodePort (`localhost:<nodePort>` in the node files) leading to the mirror's loopback port, as kube-proxy forwards it. */
function nodePortOf(mirrors: ClusterMirrors, pod: RegistryPod): PortForward {
  return { port: mirrors.nodePort, to: pod.port };
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
  test('containerd and containers/image pull docker.io/library/app:1 through the README\'s mirror set with its written node files, and from its cache alone once the upstream is gone', async () => {
    // GIVEN the Docker Hub stand-in holding library/app:1 (content of this version's own)
    const upstream = await startUpstream();
    const image = buildImage({ sizeBytes: 256 * 1024, seed: perVersion('app', v) });
    await push(image, `${upstream.address}/library/app:1`, { creds: `publisher:${PUBLISHER_PASSWORD}` });

    // AND the README's mirror set of this version, its Docker Hub mirror running, and the node files written for it
    const mirrors = synthesizeClusterMirrors(v.version);
    const mirror = mirrorPod(mirrors, MIRROR_PASSWORD);
    await mirror.start();
    const { hostsDir, dropIns, nodePort } = mirrors;
    const containerd = await Containerd.start();

    // WHEN containerd pulls docker.io/library/app:1 as a kubelet would have it pulled
    const upMark = upstream.stderr().length;
    let mirrorMark = mirror.stderr().length;
    const tokenMark = tokens.requests.length;
    const first = await containerd.pull(REFERENCE, { hostsDir, reach: [nodePortOf(mirrors, mirror)] });
    expectExit(first, 'success', 'ctr pull through the mirror');

    // THEN containerd holds the image, byte for byte
    expect(containerd.images()).toEqual([REFERENCE]);
    expect(containerd.layerDiffIds(REFERENCE)).toEqual([image.layerDiffId]);
    const layer = containerd.manifest(REFERENCE).layers[0].digest;
    // AND it came through the mirror's NodePort, and the mirror logged in to the upstream with the Secret's credentials
    expect(first.connections[nodePort]).toBeGreaterThan(0);
    // (containerd names the image's own host in `?ns=docker.io`: it used the mirror as docker.io's)
    expect(asked(mirror, mirrorMark, '/v2/library/app/manifests/1').join('\n')).toContain('?ns=docker.io');
    expect(asked(upstream, upMark, '/v2/library/app/manifests/1')).not.toEqual([]);
    expect(tokens.requests.slice(tokenMark).some((r) => r.user === 'mirror' && r.status === 200
      && r.granted!.some((g) => g.name === 'library/app' && g.actions.includes('pull')))).toBe(true);

    // AND the same mirror with a wrong password in its Secret serves nothing: the pull fails (the upstream refused the login)
    const wrong = mirrorPod(mirrors, `${MIRROR_PASSWORD}x`);
    await wrong.start();
    const refusedMark = tokens.requests.length;
    const refused = [
      await containerd.pull(REFERENCE, { hostsDir, reach: [nodePortOf(mirrors, wrong)] }),
      await pullWithRegistriesConf(REFERENCE, { dropIns, reach: [nodePortOf(mirrors, wrong)] }),
    ];
    for (const result of refused) {
      expectExit(result, 'failure', 'a pull through a mirror with a wrong password');
      expect(result.connections[nodePort]).toBeGreaterThan(0);
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
    const again = await containerd.pull(REFERENCE, { hostsDir, reach: [nodePortOf(mirrors, mirror)] });
    expectExit(again, 'success', 'ctr pull from the mirror\'s cache');
    expect(containerd.layerDiffIds(REFERENCE)).toEqual([image.layerDiffId]);
    expect(asked(mirror, mirrorMark, '/v2/library/app/manifests/1')).not.toEqual([]);

    // AND so does containers/image (CRI-O's library) with the written registries.conf.d drop-in
    mirrorMark = mirror.stderr().length;
    const crio = await pullWithRegistriesConf(REFERENCE, { dropIns, reach: [nodePortOf(mirrors, mirror)] });
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
  // GIVEN the README's node files, their NodePort leading to a port nothing serves, and clients that may reach only it
  const { hostsDir, dropIns, nodePort } = synthesizeClusterMirrors(RegistryVersion.V3_1);
  const reach = [{ port: nodePort, to: await freePort() }];
  const containerd = await Containerd.start();

  // WHEN containerd and containers/image pull: the mirror fails, both fall back to the upstream
  const ctr = await containerd.pull(REFERENCE, { hostsDir, reach });
  const skopeo = await pullWithRegistriesConf(REFERENCE, { dropIns, reach });

  // THEN both fail at once, the fallback ending inside the namespace (no route, no resolver)
  expectExit(ctr, 'failure', 'ctr pull without a mirror');
  expectExit(skopeo, 'failure', 'skopeo pull without a mirror');
  for (const run of [ctr, skopeo]) {
    expect(run.connections[nodePort]).toBeGreaterThan(0);
    expect(run.stderr).toMatch(/registry-1\.docker\.io/);
    expect(run.stderr).toMatch(/network is unreachable|no such host|connection refused/);
    expect(run.ms).toBeLessThan(5000);
  }
  await containerd.stop();
});
