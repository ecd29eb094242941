/**
 * What a new user runs first, on the real registry: the README's quick start exactly as written (synthesized from
 * the README's own code block, on the release it picks), and Kyma's seeds' floating `image: 'registry:2'`
 * (read as 2.8, run on the 2.8 binary).
 */
import { Testing } from 'cdk8s';
import { buildImage, cleanupAll, expectSameContent, listTags, pull, push, RegistryPod, requireEnvironment, synthesizeDocProgram } from './harness';
import { RegistryAuth, RegistryDeployment, RegistryVersion, StorageBackend } from '../../src';
import { manifestErrors, validateChart } from '../util/validate-manifests';

/** The README's quick start, run as a user runs it (its `app.synth()` writes into a temp folder), and what it wrote. */
function synthesizeQuickStart(): any[] {
  return synthesizeDocProgram('README.md', /^## Quick start/m).objects;
}

async function pushAndPull(pod: RegistryPod, repository: string): Promise<void> {
  const image = buildImage({ sizeBytes: 2 * 1024 * 1024, tag: 'v1' });
  const digest = await pod.withLogs(() => push(image, `${pod.address}/${repository}:v1`));
  const pulled = await pod.withLogs(() => pull(`${pod.address}/${repository}:v1`));
  expectSameContent(image, pulled);
  expect(pulled.manifestDigest).toBe(digest);
  expect(await listTags(`${pod.address}/${repository}`)).toEqual(['v1']);
}

beforeAll(() => requireEnvironment());
afterAll(() => cleanupAll());

test("the README's quick start, as written, on the release it picks", async () => {
  // GIVEN the quick start's own code, unchanged
  const objects = synthesizeQuickStart();
  expect(manifestErrors(objects)).toEqual([]);
  const image = objects.find((o) => o.kind === 'Deployment').spec.template.spec.containers[0].image;
  expect(image).toBe(RegistryVersion.V3.image); // the default: the newest 3.x, pinned

  // WHEN its pod runs on that release's binary THEN images push and pull
  const pod = new RegistryPod(objects);
  await pod.start();
  expect(pod.registry.version.line).toBe(RegistryVersion.V3.line);
  await pushAndPull(pod, 'quick/start');
});

test("Kyma's floating image: 'registry:2' is read as 2.8 and runs on the 2.8 binary", async () => {
  // GIVEN the image reference seeds 001 and 003 use
  const chart = Testing.chart();
  new RegistryDeployment(chart, 'Registry', { name: 'registry', image: 'registry:2', auth: RegistryAuth.none(), storage: StorageBackend.emptyDir() });
  const objects = validateChart(chart);
  const container = objects.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0];
  expect(container.image).toBe('registry:2');
  expect(container.args).toEqual(['serve', RegistryVersion.V2_8.configPath]);

  // WHEN its pod runs THEN the 2.8 registry reads the 2.8 config at the 2.8 path, and images push and pull
  const pod = new RegistryPod(objects);
  await pod.start();
  expect(pod.registry.runs).toMatch(/^2\.8\./);
  await pushAndPull(pod, 'kyma/app');
});
