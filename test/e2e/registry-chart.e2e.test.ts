/**
 * The one-line chart on the real registry (2.8, 3.0 and 3.1): `RegistryChart` with htpasswd from a Secret, a claim and
 * garbage collection synthesizes, its registry runs pod-style and takes authenticated pushes and pulls, and the
 * collector of its own GC job frees the blobs of a deleted image and keeps the other one intact.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  blobKey, blobsOf, buildImage, cleanupAll, describeVersions, e2eVersions, expectSameContent, httpRequest, listTags, MANIFEST_TYPES, pull,
  push, RegistryPod, requireEnvironment,
} from './harness';
import { HtpasswdAuth, RegistryChart, StorageBackend } from '../../src';
import { validateChart } from '../util/validate-manifests';

const PASSWORD = 'e2e-Chart-3f9a1c27';
const CREDS = { username: 'admin', password: PASSWORD };

beforeAll(() => requireEnvironment(['htpasswd']));
afterAll(() => cleanupAll());

describeVersions(e2eVersions(), ({ version }) => {
  test('RegistryChart with htpasswd, a claim and GC: authenticated push and pull, its GC job frees a deleted image', async () => {
    // GIVEN the common case in one props object, the htpasswd file in a Secret managed outside the chart
    const app = Testing.app();
    const chart = new RegistryChart(app, 'registry', {
      namespace: 'container-registry',
      registry: {
        name: 'registry',
        version,
        auth: HtpasswdAuth.fromSecret(kplus.Secret.fromSecretName(app, 'Htpasswd', 'registry-htpasswd')),
        storage: StorageBackend.persistentVolumeClaim(),
        storageOptions: { deleteEnabled: true },
      },
      garbageCollection: {},
    });
    const objects = validateChart(chart);
    expect(objects[0].kind).toBe('Namespace');
    expect(chart.garbageCollection!.maintenanceWindow).toBe(true);
    const htpasswd = execFileSync('htpasswd', ['-nbB', '-C', '5', 'admin', PASSWORD], { encoding: 'utf-8' });
    const options = { externalSecrets: { 'registry-htpasswd': { htpasswd } } };
    const claim = objects.find((o) => o.kind === 'PersistentVolumeClaim')!.metadata.name;
    const cronJob = objects.find((o) => o.kind === 'CronJob')!;

    // WHEN its registry runs THEN it asks for credentials and takes pushes with them
    const pod = new RegistryPod(objects, options);
    await pod.start();
    expect(pod.registry.version.line).toBe(version.line);
    expect((await httpRequest(`${pod.url}/v2/`)).status).toBe(401);
    const creds = `admin:${PASSWORD}`;
    const keep = buildImage({ sizeBytes: 512 * 1024, seed: `chart-keep-${version}` });
    const drop = buildImage({ sizeBytes: 512 * 1024, seed: `chart-drop-${version}` });
    await pod.withLogs(() => push(keep, `${pod.address}/app/keep:v1`, { creds }));
    await pod.withLogs(() => push(drop, `${pod.address}/app/drop:v1`, { creds }));
    const kept = await blobsOf(pod.url, 'app/keep', 'v1', CREDS);
    const dropped = await blobsOf(pod.url, 'app/drop', 'v1', CREDS);
    expect((await httpRequest(`${pod.url}/v2/app/drop/manifests/${dropped.manifest}`, { ...CREDS, method: 'DELETE' })).status).toBe(202);
    await pod.stop();

    // WHEN the collector of the chart's own GC job runs on the claim (the registry is stopped: stricter than read-only)
    const result = await new RegistryPod(objects, { ...options, job: cronJob.metadata.name, container: 'garbage-collect', claimsFrom: pod }).run();

    // THEN the deleted image's blobs are freed and the kept image's are not
    expect(result.output).not.toMatch(/panic|level=error/);
    expect(result.exitCode).toBe(0);
    const exists = (digest: string) => fs.existsSync(path.join(pod.dataDir(claim), blobKey(digest)));
    for (const digest of dropped.blobs) {
      expect(result.output).toContain(`blob eligible for deletion: ${digest}`);
      expect(exists(digest)).toBe(false);
    }
    for (const digest of kept.blobs) expect(exists(digest)).toBe(true);

    // AND the registry, started again, serves the kept image intact and not the deleted one
    await pod.start();
    expectSameContent(keep, await pod.withLogs(() => pull(`${pod.address}/app/keep:v1`, { creds })));
    expect(await listTags(`${pod.address}/app/keep`, { creds })).toEqual(['v1']);
    const gone = await httpRequest(`${pod.url}/v2/app/drop/manifests/${dropped.manifest}`, { ...CREDS, headers: { Accept: MANIFEST_TYPES } });
    expect(gone.status).toBe(404);
    await pod.stop();
  });
});
