/**
 * What the library refuses at synth time, shown on the real registry: the config the refusal prevents fails the way
 * its message says, and the config it asks for instead works. 2.8, 3.0 and 3.1 where the setting exists.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import {
  buildImage, cleanupAll, describeVersions, e2eVersions, expectSameContent, freePort, pull, push, RegistryPod,
  requireEnvironment, run, stopProcess, tempDir, trackProcess,
} from './harness';
import { RedisBlobDescriptorCache, RegistryAuth, RegistryDeployment, RegistryFeature, RegistryVersion, StorageBackend } from '../../src';
import { validateChart } from '../util/validate-manifests';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const YAML = require('yaml');

beforeAll(() => requireEnvironment(['busybox', 'redis-server']));
afterAll(() => cleanupAll());

type Obj = { [key: string]: any };

describeVersions(e2eVersions(), (v) => {
  test('a redis cache pointed at a Redis Sentinel: the sentinel refuses every cache command (why sentinel addresses are refused)', async () => {
    // GIVEN a real sentinel (Debian's redis-server in sentinel mode), on a free port, so the library's port check
    // (26379) does not stop the chart
    const port = await freePort();
    const dir = tempDir('sentinel');
    fs.writeFileSync(path.join(dir, 'sentinel.conf'), `port ${port}\nbind 127.0.0.1\ndir ${dir}\n`);
    const sentinel = spawn('redis-server', [path.join(dir, 'sentinel.conf'), '--sentinel'], { stdio: 'ignore', detached: true });
    trackProcess(sentinel);
    const chart = new Chart(Testing.app(), 'sentinel');
    const registry = new RegistryDeployment(chart, 'Registry', { version: v.version, storage: StorageBackend.emptyDir(), auth: RegistryAuth.none() });
    registry.addPart(new RedisBlobDescriptorCache({ addresses: [`127.0.0.1:${port}`] }));
    const pod = new RegistryPod(validateChart(chart));
    await pod.start();
    // WHEN an image is pushed and pulled: the registry serves it from storage
    const image = buildImage({ sizeBytes: 16 * 1024 });
    await pod.withLogs(() => push(image, `${pod.address}/team/app:v1`));
    expectSameContent(image, await pod.withLogs(() => pull(`${pod.address}/team/app:v1`)));
    // THEN the sentinel refuses the cache's commands: 3.x logs the refusal; 2.8 swallows it and reconnects for every
    // call (so the cache silently caches nothing)
    expect(run('redis-cli', ['-p', String(port), 'HSET', 'blobs::sha256:0', 'size', '1'])).toMatch(/ERR unknown command 'HSET'/);
    if (v.version.major === 3) {
      await pod.waitForLog(/unknown command/i, 15000);
    }
    await pod.stop();
    await stopProcess(sentinel);
  });

  test('a debug address on the registry\'s own port: the registry exits at start (what the library refuses)', async () => {
    // GIVEN the registry's own address and the debug server's are the same (as `:5000` for both in the pod)
    const port = await freePort();
    const dir = tempDir('debug-port');
    const config = path.join(dir, 'config.yml');
    fs.writeFileSync(config, YAML.stringify({
      version: 0.1,
      log: { level: 'info' },
      storage: { inmemory: {} },
      http: { addr: `127.0.0.1:${port}`, debug: { addr: `127.0.0.1:${port}` } },
    }));
    // WHEN it starts
    const child = spawn(v.binary, ['serve', config], { env: { PATH: process.env.PATH, HOME: dir, OTEL_TRACES_EXPORTER: 'none' }, detached: true });
    trackProcess(child);
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), 10000);
      child.on('exit', (c) => { clearTimeout(timer); resolve(c); });
    });
    // THEN it exits: whichever listener comes second fails
    expect({ code, output }).toEqual({ code: expect.any(Number), output: expect.stringMatching(/address already in use/) });
    expect(code).not.toBe(0);
  });
});

describeVersions(e2eVersions({ filter: (v) => v.version.supports(RegistryFeature.PROXY_TTL) }), ({ version }) => {
  test('a hand-written proxy section expires content only with deletes enabled: disabled, every expiry fails with "operation unsupported"', async () => {
    // GIVEN an upstream holding one image
    const upChart = new Chart(Testing.app(), 'upstream');
    new RegistryDeployment(upChart, 'Upstream', { version: RegistryVersion.V2_8, storage: StorageBackend.emptyDir(), auth: RegistryAuth.none() });
    const upstream = new RegistryPod(validateChart(upChart));
    await upstream.start();
    const image = buildImage({ sizeBytes: 64 * 1024, seed: 'proxy-expiry' });
    await push(image, `${upstream.address}/library/app:v1`);

    // AND a mirror of it written by hand, as the README shows it (deletes enabled), with a short ttl
    const chart = new Chart(Testing.app(), 'mirror');
    const mirror = new RegistryDeployment(chart, 'Mirror', { version, storage: StorageBackend.emptyDir(), auth: RegistryAuth.none(), storageOptions: { deleteEnabled: true } });
    mirror.addConfigSection('proxy', { remoteurl: upstream.url, ttl: '2s' });
    const objects = validateChart(chart);
    const blobGets = () => upstream.stderr().split('\n').filter((l) => /"GET \/v2\/library\/app\/blobs\/sha256:[0-9a-f]+ HTTP\/1\.1" 200 /.test(l)).length;

    // WHEN a client pulls through it, the ttl passes, and it pulls again
    const pod = new RegistryPod(objects);
    await pod.start();
    expectSameContent(image, await pod.withLogs(() => pull(`${pod.address}/library/app:v1`)));
    const fetchedOnce = blobGets();
    await new Promise((r) => setTimeout(r, 4000));
    expectSameContent(image, await pod.withLogs(() => pull(`${pod.address}/library/app:v1`)));
    // THEN the cached blobs expired (the mirror fetched them from the upstream again) and no expiry failed
    expect(blobGets()).toBeGreaterThan(fetchedOnce);
    expect(pod.stderr()).not.toMatch(/operation unsupported/);
    await pod.stop();

    // AND with deletes disabled (what the library refuses), every expiry fails and the content stays for good
    const noDeletes = objects.map((o: Obj) => {
      if (o.kind !== 'ConfigMap') return o;
      const key = Object.keys(o.data)[0];
      const config = YAML.parse(o.data[key]);
      config.storage.delete = { enabled: false };
      return { ...o, data: { [key]: YAML.stringify(config) } };
    });
    const stuck = new RegistryPod(noDeletes);
    await stuck.start();
    expectSameContent(image, await stuck.withLogs(() => pull(`${stuck.address}/library/app:v1`)));
    await stuck.waitForLog(/Scheduler error returned from OnExpire\([^)]*\): operation unsupported/, 15000);
    await stuck.stop();
    await upstream.stop();
  });
});
