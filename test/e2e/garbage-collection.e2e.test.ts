/**
 * Garbage collection on the real registry, pod-style from the synthesized objects, on 2.8, 3.0 and 3.1, with
 * filesystem (a PVC) and S3 (the loopback Swift s3api) storage. The maintenance window is played step by step from
 * the job's rendered containers (`MaintenanceWindow`, harness/garbage-collection.ts): the switch ConfigMap the job
 * applies from its own pod annotations, the registry pod restarted with its env resolved against the switch as the
 * kubelet would (the optional configMapKeyRef), the job's own collector and flush, the switch emptied and deleted.
 * A GitOps controller re-applying the synthesized objects mid-window is played as what it causes at worst: the
 * registry's pod started again from the synthesized Deployment.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  blobKey, blobsOf, buildImage, cleanupAll, describeVersions, e2eVersions, expectSameContent, httpRequest, listTags, MaintenanceWindow,
  MANIFEST_TYPES, OciImage, perVersion, pull, push, RedisServer, RegistryPod, requireEnvironment, SwiftServer,
} from './harness';
import { GarbageCollection, READ_ONLY_ENV, RedisBlobDescriptorCache, RegistryAuth, RegistryDeployment, RegistryFeature, S3Credentials, StorageBackend } from '../../src';
import { validateChart } from '../util/validate-manifests';

const S3_SECRET = { 'gc-s3': { accessKey: 'test:tester', secretKey: 'testing' } };

/** The steps of the window, in the order the job's pod runs them. */
const WINDOW = ['enter-read-only', 'restart-read-only', 'wait-read-only-ready', 'garbage-collect', 'leave-read-only', 'restart-writable', 'remove-switch'];

let swift: SwiftServer;

beforeAll(async () => {
  requireEnvironment(['redis-server', 'redis-cli']);
  swift = await SwiftServer.start();
}, 180000);
afterAll(() => cleanupAll());

/** A push the registry must refuse because it is read-only (405, `unsupported`). */
async function expectPushRefused(pod: RegistryPod, image: OciImage, tag: string): Promise<void> {
  const error = await push(image, `${pod.address}/app/refused:${tag}`).then(() => undefined, (e: Error) => e);
  expect(error).toBeDefined();
  expect(error!.message).toMatch(/405|method not allowed|unsupported/i);
}

describeVersions(e2eVersions({ driver: 's3' }), (v) => {
  const version = v.version;
  test.each(['filesystem', 's3'])('the garbage collection window, %s: writable; switch on; restarted read-only; a GitOps re-apply stays read-only; collect; switch off; restarted writable', async (backend) => {
    // GIVEN a registry with the delete API and its garbage collection job
    const chart = Testing.chart();
    const bucket = perVersion('gc', v);
    if (backend === 's3') await swift.createContainer(bucket);
    const storage = backend === 's3'
      ? StorageBackend.s3({
        bucket,
        region: 'us-east-1',
        regionEndpoint: swift.url,
        secure: false,
        v4auth: true,
        credentials: S3Credentials.fromSecret(kplus.Secret.fromSecretName(chart, 'S3', 'gc-s3')),
      })
      : StorageBackend.persistentVolumeClaim();
    const registry = new RegistryDeployment(chart, 'Registry', { version, auth: RegistryAuth.none(), storage, storageOptions: { deleteEnabled: true } });
    const gc = new GarbageCollection(chart, 'GC', { registry });
    const objects = validateChart(chart);
    expect(gc.maintenanceWindow).toBe(true);
    const options = { externalSecrets: backend === 's3' ? S3_SECRET : undefined };

    // AND the registry running as synthesized, the switch absent: the optional reference leaves the variable unset
    const pod = new RegistryPod(objects, options);
    await pod.start();
    expect(pod.env[READ_ONLY_ENV]).toBeUndefined();
    const window = new MaintenanceWindow(objects, pod, options);
    expect(window.steps).toEqual(WINDOW);
    expect(window.switchName).toBe(gc.maintenanceSwitch);
    const blobExists = async (digest: string) => backend === 's3'
      ? (await swift.listObjects(bucket)).includes(blobKey(digest))
      : fs.existsSync(path.join(pod.dataDir(objects.find((o) => o.kind === 'PersistentVolumeClaim')!.metadata.name), blobKey(digest)));

    // AND two images, one of which is deleted
    const keep = buildImage({ sizeBytes: 512 * 1024, seed: `keep-${version}-${backend}` });
    const drop = buildImage({ sizeBytes: 512 * 1024, seed: `drop-${version}-${backend}` });
    const during = buildImage({ sizeBytes: 256 * 1024, seed: `during-${version}-${backend}` });
    await pod.withLogs(() => push(keep, `${pod.address}/app/keep:v1`));
    await pod.withLogs(() => push(drop, `${pod.address}/app/drop:v1`));
    const kept = await blobsOf(pod.url, 'app/keep', 'v1');
    const dropped = await blobsOf(pod.url, 'app/drop', 'v1');
    expect((await httpRequest(`${pod.url}/v2/app/drop/manifests/${dropped.manifest}`, { method: 'DELETE' })).status).toBe(202);
    for (const digest of [...kept.blobs, ...dropped.blobs]) expect(await blobExists(digest)).toBe(true);

    // WHEN the job switches the registry to read-only
    await window.play('enter-read-only');
    // THEN the switch holds the registry's read-only map, and the pod that started before it still takes writes: it must go
    expect(window.switchData).toEqual({ readonly: '{"enabled":true}' });
    await window.registry.withLogs(() => push(during, `${window.registry.address}/app/before-restart:v1`));

    // WHEN the job restarts the registry's pods and waits for them
    await window.play('restart-read-only');
    await window.play('wait-read-only-ready');
    // THEN the new pod resolved the switch into its env and refuses pushes, while pulls work
    expect(window.registry.env[READ_ONLY_ENV]).toBe('{"enabled":true}');
    await expectPushRefused(window.registry, during, 'read-only');
    expectSameContent(keep, await window.registry.withLogs(() => pull(`${window.registry.address}/app/keep:v1`)));

    // WHEN a GitOps controller re-applies Git in the middle of the window
    // THEN Git's objects are what runs (the window changed nothing Git manages: no drift to revert) ...
    expect(Testing.synth(chart)).toEqual(objects);
    // ... and the registry restarted from them is still read-only: the switch is not Git's, so it stays
    await window.restartRegistry(Testing.synth(chart));
    expect(window.registry.env[READ_ONLY_ENV]).toBe('{"enabled":true}');
    await expectPushRefused(window.registry, during, 'after-gitops');

    // WHEN the job's collector runs while a push is attempted
    const [, pushError] = await Promise.all([
      window.play('garbage-collect'),
      push(during, `${window.registry.address}/app/during:v1`).then(() => undefined, (e: Error) => e),
    ]);
    // THEN exactly the deleted image's blobs are gone (and the blobs pushed before the restart stay: a manifest names them)
    const collected = window.outputs['garbage-collect'];
    expect(collected).not.toMatch(/panic|level=error/);
    for (const digest of dropped.blobs) {
      expect(collected).toContain(`blob eligible for deletion: ${digest}`);
      expect(await blobExists(digest)).toBe(false);
    }
    for (const digest of kept.blobs) expect(await blobExists(digest)).toBe(true);
    // AND the push during the collection was refused, not half-written
    expect(pushError?.message).toMatch(/405|method not allowed|unsupported/i);

    // WHEN the job empties the switch: the running pod (started read-only) still refuses, until the restart
    await window.play('leave-read-only');
    expect(window.switchData).toEqual({});
    await expectPushRefused(window.registry, during, 'before-writable-restart');
    await window.play('restart-writable');
    // THEN the restarted pod is writable (fresh caches), the deleted image is gone, the kept one pulls intact
    expect(window.registry.env[READ_ONLY_ENV]).toBeUndefined();
    const after = window.registry;
    expectSameContent(keep, await after.withLogs(() => pull(`${after.address}/app/keep:v1`)));
    expect((await httpRequest(`${after.url}/v2/app/drop/manifests/${dropped.manifest}`, { headers: { Accept: MANIFEST_TYPES } })).status).toBe(404);
    await after.withLogs(() => push(during, `${after.address}/app/during:v1`));
    expectSameContent(during, await after.withLogs(() => pull(`${after.address}/app/during:v1`)));
    expect(await listTags(`${after.address}/app/keep`)).toEqual(['v1']);

    // WHEN the job removes the switch, and the registry restarts later for any reason
    await window.play('remove-switch');
    expect(window.switchData).toBeUndefined();
    await window.restartRegistry();
    // THEN it is writable, as synthesized
    expect(window.registry.env[READ_ONLY_ENV]).toBeUndefined();
    await window.registry.withLogs(() => push(drop, `${window.registry.address}/app/drop:v2`));
    await window.registry.stop();
  });
});

describeVersions(e2eVersions(), ({ version }) => {
  test('a job that dies mid-window leaves the registry read-only with the switch in place; the next run ends the window', async () => {
    // GIVEN a registry and its collection, with an image deleted
    const chart = Testing.chart();
    const registry = new RegistryDeployment(chart, 'Registry', {
      version, auth: RegistryAuth.none(), storage: StorageBackend.persistentVolumeClaim(), storageOptions: { deleteEnabled: true },
    });
    new GarbageCollection(chart, 'GC', { registry });
    const objects = validateChart(chart);
    const claim = objects.find((o) => o.kind === 'PersistentVolumeClaim')!.metadata.name;
    const pod = new RegistryPod(objects);
    await pod.start();
    const drop = buildImage({ sizeBytes: 256 * 1024, seed: `dies-${version}` });
    await pod.withLogs(() => push(drop, `${pod.address}/app/drop:v1`));
    const dropped = await blobsOf(pod.url, 'app/drop', 'v1');
    expect((await httpRequest(`${pod.url}/v2/app/drop/manifests/${dropped.manifest}`, { method: 'DELETE' })).status).toBe(202);
    const window = new MaintenanceWindow(objects, pod);

    // WHEN a run opens the window and dies before collecting (evicted, out of memory, node lost)
    await window.play('enter-read-only');
    await window.play('restart-read-only');
    // THEN the switch stays (the alertable condition: the ConfigMap exists with no job running) ...
    expect(window.switchData).toEqual({ readonly: '{"enabled":true}' });
    // ... and however the registry restarts (a drain, a GitOps sync), it stays read-only: safe, pulls work
    await window.restartRegistry();
    await expectPushRefused(window.registry, drop, 'dead-job');

    // WHEN the next run runs every step from the start (each is idempotent: the switch already exists)
    for (const step of window.steps) await window.play(step);

    // THEN the window is over: no switch, the blobs collected, the registry writable
    expect(window.switchData).toBeUndefined();
    for (const digest of dropped.blobs) expect(fs.existsSync(path.join(pod.dataDir(claim), blobKey(digest)))).toBe(false);
    expect(window.registry.env[READ_ONLY_ENV]).toBeUndefined();
    await window.registry.withLogs(() => push(drop, `${window.registry.address}/app/drop:v2`));
    await window.registry.stop();
  });
});

describeVersions(e2eVersions({ filter: (v) => v.version.supports(RegistryFeature.SAFE_DELETE_UNTAGGED) }), ({ version }) => {
  test('garbage collection with --delete-untagged frees the image a tag moved away from', async () => {
    // GIVEN a tag pushed twice: the first image is left untagged
    const chart = Testing.chart();
    const registry = new RegistryDeployment(chart, 'Registry', { version, auth: RegistryAuth.none(), storage: StorageBackend.persistentVolumeClaim() });
    new GarbageCollection(chart, 'GC', { registry, deleteUntagged: true });
    const objects = validateChart(chart);
    const cronJob = objects.find((o) => o.kind === 'CronJob')!;
    const claim = objects.find((o) => o.kind === 'PersistentVolumeClaim')!.metadata.name;
    const pod = new RegistryPod(objects);
    await pod.start();
    const first = buildImage({ sizeBytes: 256 * 1024, seed: `first-${version}` });
    const second = buildImage({ sizeBytes: 256 * 1024, seed: `second-${version}` });
    await pod.withLogs(() => push(first, `${pod.address}/app/moving:latest`));
    const old = await blobsOf(pod.url, 'app/moving', 'latest');
    await pod.withLogs(() => push(second, `${pod.address}/app/moving:latest`));
    const current = await blobsOf(pod.url, 'app/moving', 'latest');
    await pod.stop();

    // WHEN the job's collector runs (in the window: the registry is stopped here, which is stricter)
    const result = await new RegistryPod(objects, { job: cronJob.metadata.name, container: 'garbage-collect', claimsFrom: pod }).run();

    // THEN the untagged image is gone, the tagged one intact
    expect(result.exitCode).toBe(0);
    const exists = (digest: string) => fs.existsSync(path.join(pod.dataDir(claim), blobKey(digest)));
    for (const digest of old.blobs) expect(exists(digest)).toBe(false);
    for (const digest of current.blobs) expect(exists(digest)).toBe(true);
    await pod.start();
    expectSameContent(second, await pod.withLogs(() => pull(`${pod.address}/app/moving:latest`)));
    expect((await httpRequest(`${pod.url}/v2/app/moving/manifests/${old.manifest}`, { headers: { Accept: MANIFEST_TYPES } })).status).toBe(404);
    await pod.stop();
  });

});

describeVersions(e2eVersions(), ({ version }) => {
  test('garbage collection as a dry run reports the blobs of a deleted image and deletes nothing, with no window', async () => {
    const chart = Testing.chart();
    const registry = new RegistryDeployment(chart, 'Registry', {
      version,
      auth: RegistryAuth.none(),
      storage: StorageBackend.persistentVolumeClaim(),
      storageOptions: { deleteEnabled: true },
    });
    const gc = new GarbageCollection(chart, 'GC', { registry, dryRun: true });
    const objects = validateChart(chart);
    expect(gc.maintenanceWindow).toBe(false);
    const cronJob = objects.find((o) => o.kind === 'CronJob')!;
    const claim = objects.find((o) => o.kind === 'PersistentVolumeClaim')!.metadata.name;
    const pod = new RegistryPod(objects);
    await pod.start();
    await pod.withLogs(() => push(buildImage({ sizeBytes: 256 * 1024, seed: 'dry' }), `${pod.address}/app/dry:v1`));
    const dropped = await blobsOf(pod.url, 'app/dry', 'v1');
    expect((await httpRequest(`${pod.url}/v2/app/dry/manifests/${dropped.manifest}`, { method: 'DELETE' })).status).toBe(202);

    // WHEN the dry run runs beside the serving registry
    const result = await new RegistryPod(objects, { job: cronJob.metadata.name, container: 'garbage-collect', claimsFrom: pod }).run();

    // THEN it names the blobs and leaves them
    expect(result.exitCode).toBe(0);
    for (const digest of dropped.blobs) {
      expect(result.output).toContain(`blob eligible for deletion: ${digest}`);
      expect(fs.existsSync(path.join(pod.dataDir(claim), blobKey(digest)))).toBe(true);
    }
    await pod.stop();
  });
});

describeVersions(e2eVersions(), ({ version }) => {
  test('garbage collection with a redis blob descriptor cache: the job flushes the cache before the window ends, so the deleted image pushes again in full', async () => {
    // GIVEN a registry whose blob descriptor cache is redis (password from a Secret), and its garbage collection job
    const redis = await RedisServer.start({ password: 'gc-redis"pw' });
    redis.cli(['-n', '3', 'set', 'not-the-registry:key', 'kept']);
    const chart = Testing.chart();
    const registry = new RegistryDeployment(chart, 'Registry', {
      version, auth: RegistryAuth.none(), storage: StorageBackend.persistentVolumeClaim(), storageOptions: { deleteEnabled: true },
    });
    registry.addPart(new RedisBlobDescriptorCache({
      addresses: [redis.address], db: 3, password: { secret: kplus.Secret.fromSecretName(chart, 'RedisLogin', 'redis-login'), key: 'password' },
    }));
    new GarbageCollection(chart, 'GC', { registry });
    const objects = validateChart(chart);
    const claim = objects.find((o) => o.kind === 'PersistentVolumeClaim')!.metadata.name;
    const options = { externalSecrets: { 'redis-login': { password: 'gc-redis"pw' } } };
    const pod = new RegistryPod(objects, options);
    await pod.start();
    const blobExists = (digest: string) => fs.existsSync(path.join(pod.dataDir(claim), blobKey(digest)));

    // AND two images pushed and pulled (the cache holds both), one of which is deleted
    const keep = buildImage({ sizeBytes: 256 * 1024, seed: `redis-keep-${version}` });
    const drop = buildImage({ sizeBytes: 256 * 1024, seed: `redis-drop-${version}` });
    await pod.withLogs(() => push(keep, `${pod.address}/app/keep:v1`));
    await pod.withLogs(() => push(drop, `${pod.address}/app/drop:v1`));
    await pod.withLogs(() => pull(`${pod.address}/app/keep:v1`));
    await pod.withLogs(() => pull(`${pod.address}/app/drop:v1`));
    const kept = await blobsOf(pod.url, 'app/keep', 'v1');
    const dropped = await blobsOf(pod.url, 'app/drop', 'v1');
    expect((await httpRequest(`${pod.url}/v2/app/drop/manifests/${dropped.manifest}`, { method: 'DELETE' })).status).toBe(202);
    const droppedKeys = dropped.blobs.flatMap((d) => [`blobs::${d}`, `repository::app/drop::blobs::${d}`]);
    expect(redis.keys(3)).toEqual(expect.arrayContaining([...droppedKeys, 'repository::app/drop::blobs']));

    // WHEN the job's steps run in order: the switch, the read-only restart, its collector, its flush, the way back
    const window = new MaintenanceWindow(objects, pod, options);
    expect(window.steps).toEqual([...WINDOW.slice(0, 4), 'flush-blob-descriptor-cache', ...WINDOW.slice(4)]);
    for (const step of window.steps.slice(0, window.steps.indexOf('garbage-collect') + 1)) await window.play(step);
    for (const digest of dropped.blobs) expect(blobExists(digest)).toBe(false);
    for (const digest of kept.blobs) expect(blobExists(digest)).toBe(true);
    // (the blobs are gone, but the cache still lists them: this is what the flush is for)
    expect(redis.keys(3)).toEqual(expect.arrayContaining(droppedKeys));
    await window.play('flush-blob-descriptor-cache');
    const flushed = { output: window.outputs['flush-blob-descriptor-cache'] };
    for (const step of window.steps.slice(window.steps.indexOf('flush-blob-descriptor-cache') + 1)) await window.play(step);
    const after = window.registry;
    expect(after.env[READ_ONLY_ENV]).toBeUndefined();

    // THEN the registry's keys are gone from redis, and only those
    expect(Number(flushed.output.trim())).toBeGreaterThanOrEqual(droppedKeys.length + 1);
    expect(redis.keys(3)).toEqual(['not-the-registry:key']);
    // AND the kept image pulls intact
    expectSameContent(keep, await after.withLogs(() => pull(`${after.address}/app/keep:v1`)));
    // AND pushing the deleted image again uploads its blobs again (a stale cache would claim they exist)
    await after.withLogs(() => push(drop, `${after.address}/app/drop:v1`));
    for (const digest of dropped.blobs) expect(blobExists(digest)).toBe(true);
    expectSameContent(drop, await after.withLogs(() => pull(`${after.address}/app/drop:v1`)));
    await after.stop();
    await redis.stop();
  });
});
