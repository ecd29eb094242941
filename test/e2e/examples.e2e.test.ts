/**
 * Every examples/ chart whose backend a 3.x registry has, synthesized as a user would (the same class, its
 * defaults: registry 3.1, image `registry:3.1.2`, run by the 3.1.1 build), run as its pod, with an image pushed
 * and pulled back intact; where the chart has htpasswd, with credentials, and an anonymous push is refused.
 *
 * The charts name public cloud endpoints. The one substitution here is the harness's `endpointOverrides`
 * (harness README, substitution 5): the S3 endpoint (AWS, DigitalOcean Spaces) is the loopback Swift s3api, the
 * Azure service URL is Azurite, and the Route or ELB in front is the pod's own address. The DigitalOcean chart
 * renders for OpenShift, so it runs with the UID the restricted-v2 SCC would assign (substitution 6).
 *
 * Covered elsewhere or not here:
 * - `PvcRegistryChart` (examples/main.ts): test/e2e/filesystem.e2e.test.ts on 2.8, 3.0 and 3.1 (its 3.1
 *   rendering is the chart's default, checked below).
 * - `SoftLayerRegistryChart`: test/e2e/swift.e2e.test.ts (swift is 2.8-only: no 3.x has the driver);
 *   `SwiftRegistryChart` uses Keystone v2 auth, which the loopback Swift (tempauth) lacks.
 * - `KymaGcsRegistryChart`: excluded. There is no GCS emulator here, and faking one would prove nothing; its
 *   keys are checked against the gcs driver's source of each tag (test/storage).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { Chart, Testing } from 'cdk8s';
import {
  AzuriteServer, buildImage, cleanupAll, describeVersions, e2eVersions, expectSameContent, httpRequest, listTags, perVersion, pull, push,
  RegistryPod, RegistryPodOptions, requireEnvironment, SwiftServer, textOutsideSecrets,
} from './harness';
import { DigitalOceanSpacesRegistryChart } from '../../examples/digitalocean-spaces';
import {
  KymaAzureRegistryChart, KymaBtpObjectStoreRegistryChart, KymaPvcRegistryChart, KymaS3RegistryChart,
} from '../../examples/kyma-registry';
import { buildExamples, PvcRegistryChart } from '../../examples/main';
import { S3ElbRegistryChart } from '../../examples/s3-elb-registry';
import { RegistryVersion } from '../../src';
import { validateChart } from '../util/validate-manifests';

const PASSWORD = 'e2e-Example-4f2a9c7e1b';
/** The UID OpenShift's restricted-v2 SCC assigns from a namespace's range (substitution 6). */
const OPENSHIFT_UID = 1000680000;

let swift: SwiftServer;
let azurite: AzuriteServer;
let htpasswd: string;

beforeAll(async () => {
  requireEnvironment(['htpasswd']);
  [swift, azurite] = await Promise.all([SwiftServer.start(), AzuriteServer.start()]);
  htpasswd = execFileSync('htpasswd', ['-Bbn', '-C', '5', 'admin', PASSWORD], { encoding: 'utf-8' });
}, 150000);
afterAll(() => cleanupAll());

/** What `pushAndPull` checks besides the push and pull. */
interface Checks {
  /** The repository pushed to. */
  readonly repo: string;
  /** The release the harness must run. */
  readonly runs: string;
  /** Push and pull only with the password (anonymous and wrong-password access refused). */
  readonly auth?: boolean;
  /** Credentials that must not appear in the synthesized objects outside Secrets. */
  readonly secrets?: string[];
  /** The keys of the object store after the push: the tag's link must be among them. */
  readonly landed?: () => Promise<string[]>;
}

/** Runs the chart's registry pod and checks a push and pull, and where the data landed; the caller stops the pod. */
async function pushAndPull(chart: Chart, options: RegistryPodOptions, check: Checks): Promise<RegistryPod> {
  const objects = validateChart(chart);
  for (const secret of check.secrets ?? []) expect(textOutsideSecrets(objects)).not.toContain(secret);
  const pod = new RegistryPod(objects, options);
  await pod.start();
  expect(pod.registry.runs).toBe(check.runs);
  const creds = check.auth ? `admin:${PASSWORD}` : undefined;
  const image = buildImage({ sizeBytes: 2 * 1024 * 1024, tag: 'v1' });
  if (check.auth) {
    // anonymous and wrong-password access is refused: no push, no pull
    expect((await httpRequest(`${pod.url}/v2/`)).status).toBe(401);
    await expect(push(image, `${pod.address}/${check.repo}:anonymous`)).rejects.toThrow(/unauthorized|authentication required|401/i);
    await expect(push(image, `${pod.address}/${check.repo}:wrong`, { creds: 'admin:wrong' })).rejects.toThrow(/unauthorized|authentication required|401/i);
  }
  const digest = await pod.withLogs(() => push(image, `${pod.address}/${check.repo}:v1`, { creds }));
  const pulled = await pod.withLogs(() => pull(`${pod.address}/${check.repo}:v1`, { creds }));
  expectSameContent(image, pulled);
  expect(pulled.manifestDigest).toBe(digest);
  expect(await listTags(`${pod.address}/${check.repo}`, { creds })).toEqual(['v1']);
  if (check.auth) await expect(pull(`${pod.address}/${check.repo}:v1`)).rejects.toThrow(/unauthorized|authentication required|401/i);
  if (check.landed) expect(await check.landed()).toContain(tagLink(check.repo));
  return pod;
}

/** A blob key under the registry's tree, for asserting where the data landed. */
const tagLink = (repo: string) => `docker/registry/v2/repositories/${repo}/_manifests/tags/v1/current/link`;

test('the examples render registry 3.1 by default, but the swift ones (2.8: no 3.x has the swift driver)', () => {
  const app = Testing.app();
  buildExamples(app);
  const images = Object.fromEntries(app.charts.map((chart) => [chart.node.id,
    [...new Set(Testing.synth(chart).filter((o) => o.kind === 'Deployment').map((d) => d.spec.template.spec.containers[0].image))]]));
  for (const [id, image] of Object.entries(images)) {
    expect([id, image]).toEqual([id, [/swift|softlayer/.test(id) ? RegistryVersion.V2_8.image : RegistryVersion.V3_1.image]]);
  }
  expect(RegistryVersion.V3_1.image).toBe('registry:3.1.2');
  // the version prop of the charts that have one only pins what the default already is
  const synth = (build: (c: Chart) => Chart) => JSON.stringify(Testing.synth(build(new Chart(Testing.app(), 'scope'))));
  expect(synth((s) => new PvcRegistryChart(s, 'pvc'))).toBe(synth((s) => new PvcRegistryChart(s, 'pvc', { version: RegistryVersion.V3_1 })));
  expect(synth((s) => new S3ElbRegistryChart(s, 'elb'))).toBe(synth((s) => new S3ElbRegistryChart(s, 'elb', { version: RegistryVersion.V3_1 })));
});

describeVersions(e2eVersions({ filter: (v) => v.version.line === RegistryVersion.V3_1.line }), (v) => {
  test('Kyma, an existing claim: push and pull, the data on the claim', async () => {
    const pod = await pushAndPull(new KymaPvcRegistryChart(Testing.app(), 'kyma-registry-pvc'), {}, { repo: 'kyma/pvc', runs: v.runs });
    expect(fs.existsSync(`${pod.dataDir('existing-pvc')}/${tagLink('kyma/pvc')}`)).toBe(true);
    await pod.stop();
  });

  test('Kyma, S3 (AWS endpoint → loopback S3): keys from the Secret s3-storage, blobs in the bucket', async () => {
    await swift.createContainer('kyma-registry-images');
    const pod = await pushAndPull(new KymaS3RegistryChart(Testing.app(), 'kyma-registry-s3'), {
      externalSecrets: { 's3-storage': { accessKey: swift.user, secretKey: swift.key } },
      endpointOverrides: { s3: swift },
    }, { repo: 'kyma/s3', runs: v.runs, secrets: [swift.key], landed: () => swift.listObjects('kyma-registry-images') });
    await pod.stop();
  });

  test('Kyma, BTP Object Store on AWS: bucket, region and keys from the binding Secret', async () => {
    await swift.createContainer('btp-bucket');
    const pod = await pushAndPull(new KymaBtpObjectStoreRegistryChart(Testing.app(), 'kyma-registry-btp'), {
      externalSecrets: {
        'btp-object-store-secret': { bucket: 'btp-bucket', region: swift.region, access_key_id: swift.user, secret_access_key: swift.key },
      },
      endpointOverrides: { s3: swift },
    }, { repo: 'kyma/btp', runs: v.runs, secrets: [swift.key], landed: () => swift.listObjects('btp-bucket') });
    await pod.stop();
  });

  test('Kyma, Azure (Azure endpoint → Azurite): account, key and container from the Secret azure-storage', async () => {
    await azurite.createContainer('kyma-images');
    const pod = await pushAndPull(new KymaAzureRegistryChart(Testing.app(), 'kyma-registry-azure'), {
      externalSecrets: { 'azure-storage': { accountName: azurite.accountName, accountKey: azurite.accountKey, container: 'kyma-images' } },
      endpointOverrides: { azure: azurite },
    }, { repo: 'kyma/azure', runs: v.runs, secrets: [azurite.accountKey], landed: () => azurite.listBlobs('kyma-images') });
    await pod.stop();
  });

  test('DigitalOcean Spaces on OpenShift (Spaces → loopback S3, Route → the pod): htpasswd, http secret, blobs in the Space', async () => {
    await swift.createContainer('space-name');
    // one of the chart's two replicas; both would share the bucket and the http secret
    const pod = await pushAndPull(new DigitalOceanSpacesRegistryChart(Testing.app(), 'digitalocean-spaces'), {
      externalSecrets: {
        'spaces-credentials': { accessKey: swift.user, secretKey: swift.key },
        'registry-htpasswd': { htpasswd },
        'registry-http-secret': { secret: 'e2e-http-secret-0123456789abcdef' },
      },
      endpointOverrides: { s3: swift, externalUrl: true },
      openShiftUid: OPENSHIFT_UID,
    }, { repo: 'spaces/app', auth: true, runs: v.runs, secrets: [swift.key], landed: () => swift.listObjects('space-name') });
    // the process ran as OpenShift runs it: the SCC's UID, GID 0, the UID as fsGroup (supplementary group)
    const status = fs.readFileSync(`/proc/${pod.pid}/status`, 'utf-8');
    expect(status).toMatch(new RegExp(`^Uid:\\s+${OPENSHIFT_UID}\\s`, 'm'));
    expect(status).toMatch(/^Gid:\s+0\s/m);
    expect(status).toMatch(new RegExp(`^Groups:\\s+${OPENSHIFT_UID}\\s*$`, 'm'));
    expect(pod.env.REGISTRY_HTTP_SECRET).toBe('e2e-http-secret-0123456789abcdef');
    await pod.stop();
  });
});

describeVersions(e2eVersions({ driver: 's3' }), (v) => {
  test('seed 001, S3 behind an ELB (S3 → loopback S3, ELB → the pod): htpasswd from its Secret, blobs in the bucket', async () => {
    await swift.createContainer('myregistry');
    const repo = perVersion('my-app', v);
    // the user's chart as is on the default release; on the others, only the version differs
    const isDefault = v.version.line === RegistryVersion.V3_1.line;
    const chart = new S3ElbRegistryChart(Testing.app(), 's3-elb-registry', isDefault ? {} : { version: v.version });
    const pod = await pushAndPull(chart, {
      externalSecrets: {
        'registry-htpasswd': { htpasswd },
        's3-credentials': { accessKey: swift.user, secretKey: swift.key },
      },
      endpointOverrides: { s3: swift, externalUrl: true },
    }, { repo, auth: true, runs: v.runs, secrets: [swift.key], landed: () => swift.listObjects('myregistry') });
    await pod.stop();
  });
});
