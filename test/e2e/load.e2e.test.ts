/**
 * Scenario 5: 20 concurrent pushes of distinct images to a filesystem registry, then every image
 * pulled back intact. Prints the wall time.
 */
import { Size, Testing } from 'cdk8s';
import {
  buildImage, cleanupAll, describeVersions, E2eVersion, e2eVersions, expectSameContent, listTags, OciImage, pull, push, RegistryPod,
  requireEnvironment,
} from './harness';
import { RegistryAuth, RegistryDeployment, StorageBackend } from '../../src';
import { validateChart } from '../util/validate-manifests';

const IMAGES = 20;

beforeAll(() => requireEnvironment());
afterAll(() => cleanupAll());

/** The registry version of the describe block running. */
let current: E2eVersion;

describeVersions(e2eVersions(), (v) => {
  beforeAll(() => { current = v; });

  test(`${IMAGES} concurrent pushes of distinct images, each pulled back intact`, async () => {
    const chart = Testing.chart();
    new RegistryDeployment(chart, 'Registry', {
      version: current.version,
      auth: RegistryAuth.none(),
      storage: StorageBackend.persistentVolumeClaim({ size: Size.gibibytes(5) }),
    });
    const pod = new RegistryPod(validateChart(chart));
    await pod.start();
    const images: OciImage[] = [];
    for (let i = 0; i < IMAGES; i++) {
      images.push(buildImage({ sizeBytes: 1024 * 1024 + i * 4096, seed: `load-${i}`, tag: `v${i}` }));
    }
    expect(new Set(images.map((i) => i.layerDiffId)).size).toBe(IMAGES);

    // WHEN all are pushed at once
    const started = Date.now();
    const digests = await pod.withLogs(() => Promise.all(images.map((image, i) => push(image, `${pod.address}/load/app-${i}:v${i}`))));
    const pushed = Date.now();
    // THEN every one pulls back intact, under its own tag only
    const pulled = await pod.withLogs(() => Promise.all(images.map((_, i) => pull(`${pod.address}/load/app-${i}:v${i}`))));
    const done = Date.now();
    pulled.forEach((p, i) => {
      expectSameContent(images[i], p);
      expect(p.manifestDigest).toBe(digests[i]);
    });
    expect(await listTags(`${pod.address}/load/app-7`)).toEqual(['v7']);
    // eslint-disable-next-line no-console
    console.log(`load: ${IMAGES} concurrent pushes in ${pushed - started} ms, ${IMAGES} concurrent pulls in ${done - pushed} ms, `
      + `wall time ${done - started} ms`);
  });
});
