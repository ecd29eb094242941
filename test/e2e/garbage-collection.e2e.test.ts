/**
 * Garbage collection on the real registry, pod-style from the synthesized objects, on 2.8, 3.0 and 3.1, with
 * filesystem (a PVC) and S3 (the loopback Swift s3api) storage. The maintenance window is played the way the
 * cluster would: the job's own `enter-read-only` patch is applied to the Deployment and the registry restarted
 * from it, the job's own `garbage-collect` container runs while a push is attempted, then the job's own
 * `leave-read-only` patch brings the Deployment back to exactly what was synthesized.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  blobKey, blobsOf, buildImage, cleanupAll, commandOf, describeVersions, e2eVersions, expectSameContent, httpRequest, listTags, MANIFEST_TYPES,
  patchObject, perVersion, pull, push, RedisServer, RegistryPod, requireEnvironment, SwiftServer,
} from './harness';
import { GarbageCollection, RedisBlobDescriptorCache, RegistryAuth, RegistryDeployment, RegistryFeature, S3Credentials, StorageBackend } from '../../src';
import { validateChart } from '../util/validate-manifests';

const S3_SECRET = { 'gc-s3': { accessKey: 'test:tester', secretKey: 'testing' } };

let swift: SwiftServer;

beforeAll(async () => {
  requireEnvironment(['redis-server', 'redis-cli']);
  swift = await SwiftServer.start();
}, 180000);
afterAll(() => cleanupAll());

describeVersions(e2eVersions({ driver: 's3' }), (v) => {
  const version = v.version;
  test.each(['filesystem', 's3'])('garbage collection, %s: blobs of a deleted image are freed, a push during GC is refused, the kept image pulls intact', async (backend) => {
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
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    const cronJob = objects.find((o) => o.kind === 'CronJob')!;
    const jobPod = cronJob.spec.jobTemplate.spec.template.spec;
    expect(gc.maintenanceWindow).toBe(true);
    const options = { externalSecrets: backend === 's3' ? S3_SECRET : undefined };

    const pod = new RegistryPod(objects, options);
    await pod.start();
    const blobExists = async (digest: string) => backend === 's3'
      ? (await swift.listObjects(bucket)).includes(blobKey(digest))
      : fs.existsSync(path.join(pod.dataDir(objects.find((o) => o.kind === 'PersistentVolumeClaim')!.metadata.name), blobKey(digest)));

    // AND two images, one of which is deleted
    const keep = buildImage({ sizeBytes: 512 * 1024, seed: `keep-${version}-${backend}` });
    const drop = buildImage({ sizeBytes: 512 * 1024, seed: `drop-${version}-${backend}` });
    await pod.withLogs(() => push(keep, `${pod.address}/app/keep:v1`));
    await pod.withLogs(() => push(drop, `${pod.address}/app/drop:v1`));
    const kept = await blobsOf(pod.url, 'app/keep', 'v1');
    const dropped = await blobsOf(pod.url, 'app/drop', 'v1');
    expect((await httpRequest(`${pod.url}/v2/app/drop/manifests/${dropped.manifest}`, { method: 'DELETE' })).status).toBe(202);
    for (const digest of [...kept.blobs, ...dropped.blobs]) expect(await blobExists(digest)).toBe(true);

    // WHEN the job's maintenance window runs: its own patch, its own collector command, env and volumes
    const enterPatch = commandOf(jobPod, 'enter-read-only').find((a) => a.startsWith('--patch='))!;
    const readOnlyObjects = patchObject(objects, 'deployment', deployment.metadata.name, enterPatch);
    await pod.stop();
    const readOnlyPod = new RegistryPod(readOnlyObjects, { ...options, claimsFrom: pod });
    await readOnlyPod.start();
    const collector = new RegistryPod(objects, { ...options, job: cronJob.metadata.name, container: 'garbage-collect', claimsFrom: pod });
    const during = buildImage({ sizeBytes: 256 * 1024, seed: `during-${version}-${backend}` });
    const [result, pushError] = await Promise.all([
      collector.run(),
      push(during, `${readOnlyPod.address}/app/during:v1`).then(() => undefined, (e: Error) => e),
    ]);

    // THEN the collection succeeded and freed exactly the deleted image's blobs
    expect(result.output).not.toMatch(/panic|level=error/);
    expect(result.exitCode).toBe(0);
    for (const digest of dropped.blobs) {
      expect(result.output).toContain(`blob eligible for deletion: ${digest}`);
      expect(await blobExists(digest)).toBe(false);
    }
    for (const digest of kept.blobs) expect(await blobExists(digest)).toBe(true);
    // AND the push was refused cleanly by the read-only registry, and pulls kept working
    expect(pushError).toBeDefined();
    expect(pushError!.message).toMatch(/405|method not allowed|unsupported/i);
    expectSameContent(keep, await readOnlyPod.withLogs(() => pull(`${readOnlyPod.address}/app/keep:v1`)));

    // WHEN the window closes with the job's own patch
    const leavePatch = commandOf(jobPod, 'leave-read-only').find((a) => a.startsWith('--patch='))!;
    const afterObjects = patchObject(readOnlyObjects, 'deployment', deployment.metadata.name, leavePatch);
    // THEN the Deployment is exactly what was synthesized, and the registry (fresh caches) takes pushes again
    expect(afterObjects.find((o) => o.kind === 'Deployment')).toEqual(deployment);
    await readOnlyPod.stop();
    const after = new RegistryPod(afterObjects, { ...options, claimsFrom: pod });
    await after.start();
    expectSameContent(keep, await after.withLogs(() => pull(`${after.address}/app/keep:v1`)));
    expect((await httpRequest(`${after.url}/v2/app/drop/manifests/${dropped.manifest}`, { headers: { Accept: MANIFEST_TYPES } })).status).toBe(404);
    await after.withLogs(() => push(during, `${after.address}/app/during:v1`));
    expectSameContent(during, await after.withLogs(() => pull(`${after.address}/app/during:v1`)));
    expect(await listTags(`${after.address}/app/keep`)).toEqual(['v1']);
    await after.stop();
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
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    const cronJob = objects.find((o) => o.kind === 'CronJob')!;
    const jobPod = cronJob.spec.jobTemplate.spec.template.spec;
    expect(jobPod.initContainers.map((c: { name: string }) => c.name).slice(-2)).toEqual(['garbage-collect', 'flush-blob-descriptor-cache']);
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

    // WHEN the job's steps run in order: its read-only patch, its collector, its flush, its patch back
    const enterPatch = commandOf(jobPod, 'enter-read-only').find((a) => a.startsWith('--patch='))!;
    const readOnlyObjects = patchObject(objects, 'deployment', deployment.metadata.name, enterPatch);
    await pod.stop();
    const readOnlyPod = new RegistryPod(readOnlyObjects, { ...options, claimsFrom: pod });
    await readOnlyPod.start();
    const collected = await new RegistryPod(objects, { ...options, job: cronJob.metadata.name, container: 'garbage-collect', claimsFrom: pod }).run();
    expect(collected.exitCode).toBe(0);
    for (const digest of dropped.blobs) expect(blobExists(digest)).toBe(false);
    for (const digest of kept.blobs) expect(blobExists(digest)).toBe(true);
    // (the blobs are gone, but the cache still lists them: this is what the flush is for)
    expect(redis.keys(3)).toEqual(expect.arrayContaining(droppedKeys));
    const flushed = await new RegistryPod(objects, { ...options, job: cronJob.metadata.name, container: 'flush-blob-descriptor-cache', claimsFrom: pod }).run();
    expect(flushed.exitCode).toBe(0);
    const leavePatch = commandOf(jobPod, 'leave-read-only').find((a) => a.startsWith('--patch='))!;
    await readOnlyPod.stop();
    const after = new RegistryPod(patchObject(readOnlyObjects, 'deployment', deployment.metadata.name, leavePatch), { ...options, claimsFrom: pod });
    await after.start();

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
