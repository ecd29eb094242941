/**
 * High availability and safe lifecycle on the real registry: three registry processes started pod-style
 * from one synthesized Deployment, sharing the loopback Swift store through its S3 API, behind a
 * round-robin proxy (the Service). Chunked uploads whose requests land on different replicas; the same
 * without the shared http.secret fails; SIGTERM during an upload drains it; a rollout with broken storage
 * credentials never becomes available.
 */
import { createHash } from 'crypto';
import * as http from 'http';
import { Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  buildImage, cleanupAll, describeVersions, e2eVersions, expectSameContent, perVersion, pull, push, RegistryPod, requireEnvironment, RoundRobinProxy,
  sleep, SwiftServer,
} from './harness';
import { RegistryAuth, RegistryDeployment, RegistryVersion, S3Credentials, StorageBackend } from '../../src';
import { validateChart } from '../util/validate-manifests';

type Obj = { [key: string]: any };

const ACCESS_KEY = 'test:tester';
const SECRET_KEY = 'testing';
const HTTP_SECRET = 'a-long-random-value-shared-by-every-replica-0123456789';
const MiB = 1024 * 1024;

/** 2.8 (the last line with swift) and 3.1 (the current one); 3.0 renders the same HA settings. */
const VERSIONS = e2eVersions({ driver: 's3', filter: (v) => v.version.line !== '3.0' });

let swift: SwiftServer;

beforeAll(async () => {
  requireEnvironment();
  swift = await SwiftServer.start();
}, 150000);
afterAll(() => cleanupAll());

/** The chart a platform engineer writes for three replicas on S3. */
function haObjects(version: RegistryVersion, bucket: string): Obj[] {
  const chart = Testing.chart();
  new RegistryDeployment(chart, 'Registry', {
    name: 'registry',
    version,
    auth: RegistryAuth.none(),
    replicas: 3,
    storage: StorageBackend.s3({
      bucket,
      region: 'us-east-1',
      regionEndpoint: swift.url,
      secure: false,
      v4auth: true,
      credentials: S3Credentials.fromSecret(kplus.Secret.fromSecretName(chart, 'S3', 'registry-s3')),
    }),
    httpSecret: { secret: kplus.Secret.fromSecretName(chart, 'HttpSecret', 'registry-http'), key: 'secret' },
    // Short health checks keep the rollout scenario quick; the gate is computed from them as in production.
    storageHealthCheckInterval: Duration.seconds(1),
  });
  return validateChart(chart);
}

function secrets(secretKey = SECRET_KEY) {
  return {
    'registry-s3': { accessKey: ACCESS_KEY, secretKey },
    'registry-http': { secret: HTTP_SECRET },
  };
}

/** Test-only patches of the synthesized objects (never something the library renders). */
function withoutHttpSecret(objects: Obj[]): Obj[] {
  const copy: Obj[] = JSON.parse(JSON.stringify(objects));
  const container = copy.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0];
  const before = container.env.length;
  container.env = container.env.filter((e: Obj) => e.name !== 'REGISTRY_HTTP_SECRET');
  expect(container.env.length).toBe(before - 1);
  return copy;
}

function withoutDrainTimeout(objects: Obj[]): Obj[] {
  const copy: Obj[] = JSON.parse(JSON.stringify(objects));
  const configMap = copy.find((o) => o.kind === 'ConfigMap')!;
  const key = Object.keys(configMap.data)[0];
  expect(configMap.data[key]).toMatch(/\n {2}draintimeout: 60s\n/);
  configMap.data[key] = configMap.data[key].replace(/\n {2}draintimeout: 60s\n/, '\n');
  return copy;
}

async function startReplicas(objects: Obj[], count: number, secretKey = SECRET_KEY): Promise<RegistryPod[]> {
  const pods = Array.from({ length: count }, () => new RegistryPod(objects, { externalSecrets: secrets(secretKey) }));
  for (const pod of pods) await pod.start();
  return pods;
}

interface RawResponse { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

/** One request with a binary body; `body` may be a function that streams it (for a slow upload). */
type Body = Buffer | ((req: http.ClientRequest) => Promise<void>);

function raw(url: string, method: string, headers: { [k: string]: string | number }, body?: Body): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (typeof body === 'function') {
      body(req).then(() => req.end(), reject);
    } else {
      req.end(body);
    }
  });
}

/** GETs a blob through `base`, following the registry's redirect to the object store as a client does. */
async function fetchBlob(base: string, repo: string, digest: string): Promise<Buffer> {
  let res = await raw(`${base}/v2/${repo}/blobs/${digest}`, 'GET', {});
  if (res.status === 307 || res.status === 302) {
    res = await raw(new URL(res.headers.location!, base).toString(), 'GET', {});
  }
  expect(res.status).toBe(200);
  return res.body;
}

function digestOf(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function randomBytes(size: number, seed: string): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let offset = 0; offset < size; offset += block.length) {
    block.copy(out, offset);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/** POST, then one PATCH a chunk, then PUT: the registry's chunked upload, each request through `base`. */
async function chunkedUpload(base: string, repo: string, data: Buffer, chunkSize: number): Promise<RawResponse[]> {
  const answers: RawResponse[] = [];
  const started = await raw(`${base}/v2/${repo}/blobs/uploads/`, 'POST', { 'Content-Length': 0 });
  answers.push(started);
  if (started.status !== 202) return answers;
  let location = new URL(started.headers.location!, base).toString();
  for (let offset = 0; offset < data.length; offset += chunkSize) {
    const chunk = data.subarray(offset, Math.min(offset + chunkSize, data.length));
    const res = await raw(location, 'PATCH', {
      'Content-Type': 'application/octet-stream',
      'Content-Range': `${offset}-${offset + chunk.length - 1}`,
      'Content-Length': chunk.length,
    }, chunk);
    answers.push(res);
    if (res.status !== 202) return answers;
    location = new URL(res.headers.location!, base).toString();
  }
  const put = new URL(location);
  put.searchParams.set('digest', digestOf(data));
  answers.push(await raw(put.toString(), 'PUT', { 'Content-Length': 0 }));
  return answers;
}

describeVersions(VERSIONS, (v) => {
  const version = v.version;
  const image = v.runs;
  const bucket = perVersion('ha', v);

  test('three replicas behind a round-robin proxy: chunked uploads across replicas, pulls verified; without the shared http.secret uploads fail', async () => {
    // GIVEN three replicas of one synthesized Deployment on one bucket, behind a round-robin proxy
    await swift.createContainer(bucket);
    const objects = haObjects(version, bucket);
    const pods = await startReplicas(objects, 3);
    const proxy = await RoundRobinProxy.start(pods.map((p) => p.address));

    // WHEN a blob is uploaded in three 6 MiB chunks (S3 multipart parts), each request to the next replica
    const blob = randomBytes(18 * MiB, `${image}-blob`);
    const mark = proxy.log.length;
    const answers = await chunkedUpload(proxy.url, 'ha/chunked', blob, 6 * MiB);
    // THEN every step succeeded, the five requests went to all three replicas, and the blob reads back intact
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 201]);
    const uploadRequests = proxy.log.slice(mark);
    expect(new Set(uploadRequests.map((r) => r.backend)).size).toBe(3);
    expect(digestOf(await fetchBlob(proxy.url, 'ha/chunked', digestOf(blob)))).toBe(digestOf(blob));

    // AND a real client pushes and pulls whole images through the proxy, its uploads spread over replicas
    const image1 = buildImage({ sizeBytes: 12 * MiB, seed: `${image}-app` });
    const pushMark = proxy.log.length;
    await push(image1, `${proxy.address}/ha/app:v1`);
    const uploadHops = proxy.log.slice(pushMark).filter((r) => r.path.includes('/blobs/uploads/'));
    expect(new Set(uploadHops.map((r) => r.backend)).size).toBeGreaterThan(1);
    for (let i = 0; i < 3; i++) {
      expectSameContent(image1, await pull(`${proxy.address}/ha/app:v1`));
    }
    await proxy.stop();
    for (const pod of pods) await pod.stop();

    // WHEN the same replicas run without the shared http.secret (patched out here, in the test only)
    const unshared = await startReplicas(withoutHttpSecret(objects), 3);
    const proxy2 = await RoundRobinProxy.start(unshared.map((p) => p.address));
    const failed = await chunkedUpload(proxy2.url, 'ha/unshared', blob, 6 * MiB);
    // THEN the upload fails as soon as a request reaches a replica that did not start it: its upload state is
    // signed with another replica's secret
    expect(failed[0].status).toBe(202);
    expect(failed[failed.length - 1].status).toBeGreaterThanOrEqual(400);
    // (the registry answers before reading the chunk and closes, so the reason is in its log, written when the
    // request completes, which can be after the client saw the answer)
    const logs = () => unshared.map((p) => p.stderr()).join('\n');
    for (let i = 0; i < 100 && !/blob upload (invalid|unknown)/i.test(logs()); i++) await sleep(50);
    if (!/blob upload (invalid|unknown)/i.test(logs())) {
      // Say everything a flake would need to be understood: which replica got which request, and what it answered.
      throw new Error(`no replica logged why the upload failed: answers ${JSON.stringify(failed.map((a) => a.status))}, `
        + `proxy ${JSON.stringify(proxy2.log)}; replica logs:\n${logs()}`);
    }
    await expect(push(buildImage({ sizeBytes: 2 * MiB, seed: `${image}-unshared` }), `${proxy2.address}/ha/unshared:v1`)).rejects.toThrow();
    await proxy2.stop();
    for (const pod of unshared) await pod.stop();
  });

  /**
   * A PATCH whose body arrives in two halves; between them the replica serving it is taken out of rotation
   * (what the preStop pause gives the Service time to do) and gets SIGTERM.
   */
  interface SigtermRun {
    patch: RawResponse | Error; pods: RegistryPod[]; proxy: RoundRobinProxy; blob: Buffer; location: string; victim: RegistryPod;
  }
  async function uploadAcrossSigterm(objects: Obj[], repo: string): Promise<SigtermRun> {
    const pods = await startReplicas(objects, 2);
    const proxy = await RoundRobinProxy.start(pods.map((p) => p.address));
    const blob = randomBytes(8 * MiB, `${image}-${repo}`);
    const started = await raw(`${proxy.url}/v2/${repo}/blobs/uploads/`, 'POST', { 'Content-Length': 0 });
    expect(started.status).toBe(202);
    const victim = pods.find((p) => p.address === proxy.peekNext())!;
    let patch: RawResponse | Error;
    try {
      patch = await raw(new URL(started.headers.location!, proxy.url).toString(), 'PATCH', {
        'Content-Type': 'application/octet-stream', 'Content-Range': `0-${blob.length - 1}`, 'Content-Length': blob.length,
      }, async (req) => {
        req.write(blob.subarray(0, blob.length / 2));
        await sleep(200); // let the first half reach the registry, so the request is in flight
        proxy.remove(victim.address);
        process.kill(victim.pid!, 'SIGTERM');
        // Carry on only once the registry has reacted to the signal (drains, or has died).
        while (victim.pid !== undefined && !/stopping server gracefully/.test(victim.stderr())) await sleep(20);
        req.write(blob.subarray(blob.length / 2));
      });
    } catch (e) {
      patch = e as Error;
    }
    return { patch, pods, proxy, blob, location: patch instanceof Error ? '' : new URL(patch.headers.location ?? '/', proxy.url).toString(), victim };
  }

  test('SIGTERM during an upload: the replica drains it, the upload completes on another replica, no pull fails; without draintimeout it fails', async () => {
    await swift.createContainer(`${bucket}-drain`);
    const objects = haObjects(version, `${bucket}-drain`);
    const pod = await startReplicas(objects, 1);
    const seeded = buildImage({ sizeBytes: 4 * MiB, seed: `${image}-seed` });
    await push(seeded, `${pod[0].address}/ha/seed:v1`);
    await pod[0].stop();

    // GIVEN an upload in flight on a replica that is told to stop
    const run = await uploadAcrossSigterm(objects, 'ha/drain');
    // WHEN pulls run through the proxy meanwhile
    const pulls = Promise.all([1, 2, 3].map(() => pull(`${run.proxy.address}/ha/seed:v1`)));
    // THEN the PATCH completed on the terminating replica, which then exited cleanly
    expect(run.patch).not.toBeInstanceOf(Error);
    expect((run.patch as RawResponse).status).toBe(202);
    expect(run.victim.stderr()).toMatch(/stopping server gracefully. Draining connections for 1m0s/);
    while (run.victim.pid !== undefined) await sleep(50);
    // AND the upload is finished by the other replica, and reads back intact
    const put = new URL(run.location);
    put.searchParams.set('digest', digestOf(run.blob));
    expect((await raw(put.toString(), 'PUT', { 'Content-Length': 0 })).status).toBe(201);
    expect(digestOf(await fetchBlob(run.proxy.url, 'ha/drain', digestOf(run.blob)))).toBe(digestOf(run.blob));
    for (const pulled of await pulls) expectSameContent(seeded, pulled);
    await run.proxy.stop();
    for (const p of run.pods) await p.stop();

    // WHEN the same happens without http.draintimeout (patched out here, in the test only)
    const control = await uploadAcrossSigterm(withoutDrainTimeout(objects), 'ha/nodrain');
    // THEN the registry dies on the signal and the upload in flight fails
    const failedPatch = control.patch instanceof Error || control.patch.status !== 202;
    expect(failedPatch).toBe(true);
    await control.proxy.stop();
    for (const p of control.pods) await p.stop();
  });

  /**
   * The kubelet's readiness probe and the Deployment controller's availability rule, run with the
   * manifest's own numbers: probing starts after initialDelaySeconds, every periodSeconds; failureThreshold
   * failures in a row make the pod unready; a pod counts as available once ready for minReadySeconds.
   * Returns whether the pod became available within one full window of those numbers.
   */
  async function becomesAvailable(objects: Obj[], pod: RegistryPod, startedAt: number): Promise<boolean> {
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    const probe = deployment.spec.template.spec.containers[0].readinessProbe;
    const minReady: number = deployment.spec.minReadySeconds ?? 0;
    const period: number = probe.periodSeconds ?? 10;
    const failureThreshold: number = probe.failureThreshold ?? 3;
    const window = (probe.initialDelaySeconds ?? 0) + minReady + period * (failureThreshold + 2);
    let readySince: number | undefined;
    let failures = 0;
    let next = startedAt + (probe.initialDelaySeconds ?? 0) * 1000;
    while (next <= startedAt + window * 1000) {
      await sleep(Math.max(0, next - Date.now()));
      const answer = await raw(`${pod.url}${probe.httpGet.path}`, 'GET', {}).catch(() => undefined);
      if (answer?.status === 200) {
        failures = 0;
        readySince = readySince ?? Date.now();
      } else if (++failures >= failureThreshold) {
        readySince = undefined;
      }
      if (readySince !== undefined && Date.now() - readySince >= minReady * 1000) return true;
      next += period * 1000;
    }
    return false;
  }

  test('a rollout with broken storage credentials never becomes available; with good ones it does', async () => {
    await swift.createContainer(`${bucket}-rollout`);
    const objects = haObjects(version, `${bucket}-rollout`);
    const good = new RegistryPod(objects, { externalSecrets: secrets() });
    const broken = new RegistryPod(objects, { externalSecrets: secrets('wrong-secret-key') });
    const goodStart = Date.now();
    await good.start();
    const brokenStart = Date.now();
    // The registry itself starts and answers 200 at first even with wrong credentials ...
    await broken.start();
    const [goodAvailable, brokenAvailable] = await Promise.all([
      becomesAvailable(objects, good, goodStart), becomesAvailable(objects, broken, brokenStart),
    ]);
    // ... but the gate (readiness delay + minReadySeconds) outlasts the storage check's verdict
    expect(brokenAvailable).toBe(false);
    const answer = await raw(`${broken.url}/`, 'GET', {});
    expect(answer.status).toBe(503);
    expect(answer.body.toString('utf-8')).toMatch(/health check failed/);
    expect(goodAvailable).toBe(true);
    await good.stop();
    await broken.stop();
  });
});
