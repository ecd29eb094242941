/**
 * Scenario 1: the example app (a registry on a PersistentVolumeClaim), rendered for each registry version
 * and run as its pod would run on that version's binary: push, pull, list tags, then a restart on the same
 * data keeps the image and its digest.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import {
  buildImage, cleanupAll, describeVersions, e2eVersions, expectSameContent, inspectDigest, listTags, pull, push, RegistryPod,
  requireEnvironment,
} from './harness';
import { PvcRegistryChart } from '../../examples/main';
import { RegistryFeature } from '../../src';
import { validateChart } from '../util/validate-manifests';

beforeAll(() => requireEnvironment());
afterAll(() => cleanupAll());

describeVersions(e2eVersions(), (v) => {
  test('the example PVC registry: push, pull, list tags, restart on the same data', async () => {
    // GIVEN the example app, rendered for this registry version
    const chart = new PvcRegistryChart(Testing.app(), 'pvc-registry', { version: v.version });
    const objects = validateChart(chart);
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    const claimName = deployment.spec.template.spec.volumes.find((vol: any) => vol.persistentVolumeClaim).persistentVolumeClaim.claimName;
    const pod = new RegistryPod(objects);
    await pod.start();
    expect(pod.registry.runs).toBe(v.runs);

    // the pod runs as its securityContext says, with only the pod's env
    expect(pod.env.AWS_CA_BUNDLE).toBeUndefined();
    // 3.x exports traces to localhost:4318 unless told not to; the manifest turns that off
    expect(pod.env.OTEL_TRACES_EXPORTER).toBe(v.version.supports(RegistryFeature.TRACING) ? 'none' : undefined);
    const podEnv = (deployment.spec.template.spec.containers[0].env ?? []).map((e: any) => e.name);
    expect(Object.keys(pod.env).sort()).toEqual(['HOME', 'PATH', 'REGISTRY_HTTP_ADDR', ...podEnv].sort());

    // the process runs as the pod's user, with the volumes at their paths and a read-only root
    const status = fs.readFileSync(`/proc/${pod.pid}/status`, 'utf-8');
    expect(status).toMatch(/^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
    expect(status).toMatch(/^Gid:\s+1000\s+1000\s+1000\s+1000$/m);
    expect(status).toMatch(/^Groups:\s+1000\s*$/m);
    expect(status).toMatch(/^CapEff:\s+0+$/m);
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    const mounts = new Map(fs.readFileSync(`/proc/${pod.pid}/mountinfo`, 'utf-8').trim().split('\n')
      .map((line) => line.split(' ')).map((f) => [f[4], f[5].split(',')] as [string, string[]]));
    expect(mounts.get('/')).toContain('ro');
    expect(mounts.get(path.dirname(v.version.configPath))).toContain('ro');
    expect(mounts.get('/var/lib/registry')).toContain('rw');
    expect(mounts.get('/tmp')).toContain('rw');

    // WHEN two tags are pushed and one pulled back
    const image = buildImage({ sizeBytes: 3 * 1024 * 1024, tag: 'v1' });
    const pushedDigest = await push(image, `${pod.address}/team/app:v1`);
    await push(image, `${pod.address}/team/app:stable`);
    const pulled = await pull(`${pod.address}/team/app:v1`);

    // THEN the content is intact and both tags are listed
    expectSameContent(image, pulled);
    expect(pulled.manifestDigest).toBe(pushedDigest);
    expect(await listTags(`${pod.address}/team/app`)).toEqual(['stable', 'v1']);

    // and the data landed on the claim, written by the pod's user (uid 1000) into the fsGroup-owned root
    const repoDir = `${pod.dataDir(claimName)}/docker/registry/v2/repositories/team/app`;
    expect(fs.existsSync(repoDir)).toBe(true);
    expect(fs.statSync(repoDir).uid).toBe(deployment.spec.template.spec.securityContext.runAsUser);
    expect(fs.statSync(repoDir).gid).toBe(deployment.spec.template.spec.securityContext.fsGroup);

    // WHEN the registry restarts on the same claim
    const firstPid = pod.pid;
    await pod.restart();
    expect(pod.pid).not.toBe(firstPid);

    // THEN the image is still there with the same digest, and pulls intact
    expect(await inspectDigest(`${pod.address}/team/app:v1`)).toBe(pushedDigest);
    expect(await listTags(`${pod.address}/team/app`)).toEqual(['stable', 'v1']);
    expectSameContent(image, await pull(`${pod.address}/team/app:v1`));
    // and no tracing exporter complained meanwhile
    expect(pod.stderr()).not.toMatch(/msg="traces export/);
    await pod.stop();
  });
});
