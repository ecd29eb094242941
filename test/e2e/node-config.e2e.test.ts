/**
 * NodeRegistryConfig's output used by the real node software, through the shared node-runtime harness (containerd.ts,
 * private-network.ts, skopeo.ts):
 * - the files `writeFiles` writes: containerd 1.6 (`ctr images pull --hosts-dir`) and skopeo (the CRI-O drop-in, its
 *   CA file at /etc/containers/certs.d) pull `docker.io/library/app:1` through an http mirror, and
 *   `registry.example.com:5000/app:1` from a private https registry whose certificate only the synthesized CA file
 *   makes trusted; the clients run in a private network where only the node ports the files name lead to the two
 *   registries. The registries are Debian's docker-registry 2.8.2, standing in for any registry at those endpoints
 *   (the pull-through path with every registry version is the runtimes e2e);
 * - the DaemonSet installer: its init container's synthesized command, run by busybox in a chroot that holds only
 *   busybox, with the ConfigMap laid out as the kubelet writes it and the hostPath volumes as folders standing for
 *   the node's directories, at the container's mount paths: the files land byte-identical, and nothing else changes.
 */
import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, Testing } from 'cdk8s';
import {
  buildImage, cleanEnv, cleanupAll, Containerd, expectSameContent, freePort, httpRequest, isRunning, pullWithRegistriesConf, push, requireEnvironment,
  sleep, tempDir, trackProcess,
} from './harness';
import { NodeConfigInstaller, NodeRegistryConfig, nodeFileKey } from '../../src';
import { validateChart } from '../util/validate-manifests';

type Obj = { [key: string]: any };

beforeAll(() => requireEnvironment(['containerd', 'ctr', 'ip', 'nsenter', 'busybox', 'chroot', 'openssl']));
afterAll(() => cleanupAll());

/** The node ports the node files name; in the clients' private network each leads to its registry's free loopback port. */
const MIRROR_PORT = 30500;
const PRIVATE_PORT = 30443;

/**
 * Debian's docker-registry 2.8.2 serving `config` (with `http.addr` at a free loopback port added) until `cleanupAll()`;
 * resolves with its port and its log when `GET /v2/` answers.
 */
async function serveRegistry(work: string, name: string, tls: string): Promise<{ port: number; log: () => string }> {
  const port = await freePort();
  const config = path.join(work, `${name}.yml`);
  fs.writeFileSync(config, `version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: ${work}/${name}-data\n`
    + `http:\n  addr: 127.0.0.1:${port}\n${tls}`);
  const child = spawn('docker-registry', ['serve', config], { env: cleanEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  trackProcess(child);
  let output = '';
  child.stdout!.on('data', (d) => output += d);
  child.stderr!.on('data', (d) => output += d);
  const url = `${tls === '' ? 'http' : 'https'}://127.0.0.1:${port}/v2/`;
  for (let i = 0; i < 100; i++) {
    if (!isRunning(child)) break;
    if (await httpRequest(url).then((r) => r.status === 200, () => false)) return { port, log: () => output };
    await sleep(100);
  }
  throw new Error(`registry ${name} did not answer ${url}; its output:\n${output}`);
}

test('containerd 1.6 and skopeo pull through the synthesized files: an http mirror and a private https registry with its CA', async () => {
  const work = tempDir('node-files');
  // GIVEN a CA and a server certificate for 127.0.0.1 (the private registry's)
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=node-files test CA'], { cwd: work, stdio: 'pipe' });
  fs.writeFileSync(path.join(work, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], { cwd: work, stdio: 'pipe' });
  execFileSync('openssl', ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext'], { cwd: work, stdio: 'pipe' });
  const ca = fs.readFileSync(path.join(work, 'ca.crt'), 'utf-8');

  // AND the node files, as a user's app writes them
  const outdir = path.join(work, 'dist');
  const app = new App({ outdir });
  new NodeRegistryConfig(new Chart(app, 'nodes', { namespace: 'node-config' }), 'Nodes', {
    name: 'mirrors',
    sources: [{
      nodeRegistryHosts: [
        { imageHost: 'docker.io', endpoint: `http://127.0.0.1:${MIRROR_PORT}`, upstreamUrl: 'https://registry-1.docker.io' },
        { imageHost: 'registry.example.com:5000', endpoint: `https://127.0.0.1:${PRIVATE_PORT}`, caCertificate: ca, requiresPullSecret: true },
      ],
    }],
  });
  app.synth();
  NodeRegistryConfig.writeFiles(app);
  const node = path.join(outdir, 'nodes', 'mirrors');
  expect(fs.readFileSync(path.join(node, 'etc/containers/certs.d', `127.0.0.1:${PRIVATE_PORT}`, 'ca.crt'), 'utf-8')).toBe(ca.trim() + '\n');
  const dropInDir = path.join(node, 'etc/containers/registries.conf.d');
  const dropIns = Object.fromEntries(fs.readdirSync(dropInDir).map((f) => [f, fs.readFileSync(path.join(dropInDir, f), 'utf-8')]));
  expect(Object.keys(dropIns)).toEqual(['50-mirrors.conf']);

  // AND two registries: the mirror (http) and the private one (https), each holding the image
  const image = buildImage({ sizeBytes: 4096, tag: '1', seed: 'node-files' });
  const mirror = await serveRegistry(work, 'mirror', '');
  const registry = await serveRegistry(work, 'private', `  tls:\n    certificate: ${work}/server.crt\n    key: ${work}/server.key\n`);
  await push(image, `127.0.0.1:${mirror.port}/library/app:1`);
  await push(image, `127.0.0.1:${registry.port}/app:1`);
  // (the clients reach the node ports of the files, each leading to its registry, and nothing else)
  const reach = [{ port: MIRROR_PORT, to: mirror.port }, { port: PRIVATE_PORT, to: registry.port }];

  // WHEN containerd (the shared harness's daemon) and skopeo (with the drop-in and the CA files) pull from both
  const containerd = await Containerd.start();
  const hostsDir = path.join(node, 'etc/containerd/certs.d');
  const runs = {
    'ctr docker.io': await containerd.pull('docker.io/library/app:1', { hostsDir, reach }),
    'ctr private': await containerd.pull('registry.example.com:5000/app:1', { hostsDir, reach }),
    'skopeo docker.io': await pullWithRegistriesConf('docker.io/library/app:1', { dropIns, reach, certsDir: path.join(node, 'etc/containers/certs.d') }),
    'skopeo private': await pullWithRegistriesConf('registry.example.com:5000/app:1', { dropIns, reach, certsDir: path.join(node, 'etc/containers/certs.d') }),
  };
  for (const [title, result] of Object.entries(runs)) {
    if (result.exitCode !== 0) throw new Error(`${title} failed (${result.exitCode}):\n${result.stdout}${result.stderr}\n--- containerd:\n${containerd.log().slice(-3000)}`);
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/registry-1\.docker\.io|failed to decode hosts\.toml|x509|unknown authority/);
  }

  // THEN each holds the image, byte for byte
  expect(containerd.layerDiffIds('docker.io/library/app:1')).toEqual([image.layerDiffId]);
  expect(containerd.layerDiffIds('registry.example.com:5000/app:1')).toEqual([image.layerDiffId]);
  expectSameContent(image, runs['skopeo docker.io'].image!);
  expectSameContent(image, runs['skopeo private'].image!);
  // AND each pull reached the registry the files name: docker.io through the mirror (with containerd's ?ns=), never the upstream
  expect(mirror.log()).toMatch(/"HEAD \/v2\/library\/app\/manifests\/1\?ns=docker.io HTTP\/1.1" 200 .*containerd/);
  expect(mirror.log()).toMatch(/"GET \/v2\/library\/app\/manifests\/1 HTTP\/1.1" 200 .*skopeo/);
  expect(registry.log()).toMatch(/"HEAD \/v2\/app\/manifests\/1\?ns=registry.example.com%3A5000 HTTP\/1.1" 200 .*containerd/);
  expect(registry.log()).toMatch(/"GET \/v2\/app\/manifests\/1 HTTP\/1.1" 200 .*skopeo/);
  await containerd.stop();
});

/** The ConfigMap's keys as the kubelet's atomic writer lays them out: a timestamped folder, `..data`, one link per key. */
function writeConfigMapVolume(dir: string, data: { [key: string]: string }): void {
  const stamp = '..2026_01_01_00_00_00.000000001';
  fs.mkdirSync(path.join(dir, stamp), { recursive: true });
  for (const [key, value] of Object.entries(data)) {
    fs.writeFileSync(path.join(dir, stamp, key), value, { mode: 0o644 });
    fs.symlinkSync(path.join('..data', key), path.join(dir, key));
  }
  fs.symlinkSync(stamp, path.join(dir, '..data'));
}

/** Every file under `dir`, relative, with its bytes. */
function tree(dir: string): { [file: string]: string } {
  const out: { [file: string]: string } = {};
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p); else out[path.relative(dir, p)] = fs.readFileSync(p, 'utf-8');
    }
  };
  walk(dir);
  return out;
}

test('the DaemonSet installer\'s init container copies every file into the node\'s directories, byte-identical', () => {
  const ca = fs.readFileSync(path.join(__dirname, '..', 'nodes', 'fixtures', 'ca.pem'), 'utf-8');
  const render = (endpoint: string, withGhcr = true) => {
    const chart = new Chart(Testing.app(), 'nodes', { namespace: 'node-config' });
    const config = new NodeRegistryConfig(chart, 'Nodes', {
      sources: [{
        nodeRegistryHosts: [
          { imageHost: 'docker.io', endpoint, upstreamUrl: 'https://registry-1.docker.io' },
          ...(withGhcr ? [{ imageHost: 'ghcr.io', endpoint: 'https://mirror.example.com:8443', upstreamUrl: 'https://ghcr.io', caCertificate: ca }] : []),
          { imageHost: 'registry.example.com:5000', endpoint: 'https://registry.example.com:5000', caCertificate: ca },
        ],
      }],
      installer: NodeConfigInstaller.daemonSet(),
    });
    const objects = validateChart(chart);
    return { config, configMap: objects.find((o) => o.kind === 'ConfigMap')!, daemonSet: objects.find((o) => o.kind === 'DaemonSet')! };
  };

  // GIVEN a node with a registry configuration of its own, which the installer must leave alone
  const work = tempDir('node-installer');
  const nodeRoot = path.join(work, 'node');
  fs.mkdirSync(path.join(nodeRoot, 'etc/containerd/certs.d/other.example.com'), { recursive: true });
  fs.writeFileSync(path.join(nodeRoot, 'etc/containerd/certs.d/other.example.com/hosts.toml'), 'server = "https://other.example.com"\n');

  const install = (rendered: ReturnType<typeof render>) => {
    const pod: Obj = rendered.daemonSet.spec.template.spec;
    const init = pod.initContainers[0];
    expect(init.command.slice(0, 2)).toEqual(['sh', '-c']);
    // the container's filesystem: busybox only (its applets on /bin), read-only once the volumes are in place
    const rootfs = fs.mkdtempSync(path.join(work, 'rootfs-'));
    fs.mkdirSync(path.join(rootfs, 'bin'));
    fs.copyFileSync('/usr/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
    fs.chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
    for (const applet of execFileSync('/usr/bin/busybox', ['--list'], { encoding: 'utf-8' }).split('\n').filter((a) => /^[a-z0-9_.[-]+$/.test(a) && a !== 'busybox')) {
      fs.symlinkSync('busybox', path.join(rootfs, 'bin', applet));
    }
    const libs = ['/lib/x86_64-linux-gnu', '/lib64'];
    const mounts: [string, string, boolean][] = libs.map((l) => [l, l, true]);
    // the volumes: the ConfigMap as the kubelet writes it, each hostPath (DirectoryOrCreate) a folder of the node
    const configDir = fs.mkdtempSync(path.join(work, 'configmap-'));
    writeConfigMapVolume(configDir, rendered.configMap.data);
    for (const m of init.volumeMounts) {
      const volume = pod.volumes.find((v: Obj) => v.name === m.name);
      if (volume.configMap) {
        expect(volume.configMap.name).toBe(rendered.configMap.metadata.name);
        mounts.push([configDir, m.mountPath, true]);
      } else {
        expect(volume.hostPath.type).toBe('DirectoryOrCreate');
        const hostDir = path.join(nodeRoot, volume.hostPath.path);
        fs.mkdirSync(hostDir, { recursive: true });
        mounts.push([hostDir, m.mountPath, m.readOnly ?? false]);
      }
    }
    for (const [, target] of mounts) fs.mkdirSync(path.join(rootfs, target), { recursive: true });
    // the runtime's /dev/null, as in every container
    fs.mkdirSync(path.join(rootfs, 'dev'));
    fs.writeFileSync(path.join(rootfs, 'dev', 'null'), '');
    mounts.push(['/dev/null', '/dev/null', false]);
    const q = (s: string) => `'${s}'`;
    const script = [
      'set -e',
      `mount --bind ${q(rootfs)} ${q(rootfs)}`,
      ...mounts.flatMap(([source, target, ro]) => [
        `mount --bind ${q(source)} ${q(path.join(rootfs, target))}`,
        ...(ro ? [`mount -o remount,bind,ro ${q(path.join(rootfs, target))}`] : []),
      ]),
      `mount -o remount,bind,ro ${q(rootfs)}`,
      `exec chroot ${q(rootfs)} /bin/env -i PATH=/bin "$@"`,
    ].join('\n');
    const result = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'sh', ...init.command],
      { encoding: 'utf-8', timeout: 30_000 });
    if (result.status !== 0) throw new Error(`the init container failed (${result.status}):\n${result.stdout}${result.stderr}`);
    return result.stdout;
  };

  // WHEN the installer runs
  const first = render('http://localhost:30500');
  const output = install(first);

  // THEN every file is at its node path with the same bytes, the node's own file is untouched, and nothing else is there
  const expected: { [file: string]: string } = { 'etc/containerd/certs.d/other.example.com/hosts.toml': 'server = "https://other.example.com"\n' };
  for (const file of first.config.files) expected[file.path] = file.content;
  const record = 'etc/containerd/certs.d/.cdk8s-registry-nodes.installed';
  expected[record] = first.config.files.map((f) => `${f.path}\n`).join('');
  expect(tree(nodeRoot)).toEqual(expected);
  for (const file of first.config.files) {
    expect(output).toContain(`installed /${file.path}`);
    expect(first.configMap.data[nodeFileKey(file.path)]).toBe(file.content);
  }

  // AND a changed endpoint, with ghcr.io dropped, installed again (the rollout the hash annotation causes): the files
  // are replaced in place, ghcr.io's files are removed, the node's own file stays
  const second = render('http://localhost:30600', false);
  expect(second.daemonSet.spec.template.metadata.annotations).not.toEqual(first.daemonSet.spec.template.metadata.annotations);
  const again = install(second);
  const after: { [file: string]: string } = { 'etc/containerd/certs.d/other.example.com/hosts.toml': 'server = "https://other.example.com"\n' };
  for (const file of second.config.files) after[file.path] = file.content;
  after[record] = second.config.files.map((f) => `${f.path}\n`).join('');
  expect(tree(nodeRoot)).toEqual(after);
  expect(after['etc/containerd/certs.d/docker.io/hosts.toml']).toContain('http://localhost:30600');
  expect(again).toContain('removed /etc/containerd/certs.d/ghcr.io/hosts.toml');
  expect(again).toContain('removed /etc/containers/certs.d/mirror.example.com:8443/ca.crt');
  expect(fs.existsSync(path.join(nodeRoot, 'etc/containerd/certs.d/ghcr.io'))).toBe(false);
});
