/**
 * Azure Blob Storage for real: registry 3.0 and 3.1's azure driver against Azurite on the loopback, with the
 * Kyma Secret layout (account name, key and container all from the Secret) and with the account and container
 * in props (only the key from the Secret). Debian's 2.8.2 has no azure driver: the 2.8 rendering is checked
 * against the 2.8 source in test/storage/azure-storage.test.ts.
 */
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  AzuriteServer, buildImage, cleanupAll, describeVersions, e2eVersions, expectSameContent, listTags, perVersion, pull, push, RegistryPod,
  requireEnvironment, textOutsideSecrets,
} from './harness';
import { AzureCredentials, RegistryAuth, RegistryDeployment, StorageBackend } from '../../src';
import { validateChart } from '../util/validate-manifests';

let azurite: AzuriteServer;

beforeAll(async () => {
  requireEnvironment();
  azurite = await AzuriteServer.start();
}, 60000);
afterAll(() => cleanupAll());

describeVersions(e2eVersions({ driver: 'azure' }), (v) => {
  const container = (name: string) => perVersion(name, v);
  const onAzurite = (chart: Chart, storage: StorageBackend) => new RegistryDeployment(chart, 'Registry', {
    version: v.version,
    auth: RegistryAuth.none(),
    // Blobs served through the registry: Azurite answers 403 to the SAS URLs the driver redirects blob GETs to
    // (measured here with both 3.x binaries; pushes work). Against Azure itself the redirect is the default.
    storageOptions: { redirectDisabled: true },
    storage,
  });

  test('the Kyma Secret layout: account, key and container from the Secret; push, pull, blobs in the container', async () => {
    await azurite.createContainer(container('kyma'));
    const chart = Testing.chart();
    onAzurite(chart, StorageBackend.azure({
      serviceUrl: azurite.serviceUrl,
      credentials: AzureCredentials.fromSecret(kplus.Secret.fromSecretName(chart, 'AzureStorage', 'azure-storage')),
    }));
    const objects = validateChart(chart);
    expect(textOutsideSecrets(objects)).not.toContain(azurite.accountKey);
    const pod = new RegistryPod(objects, {
      externalSecrets: { 'azure-storage': { accountName: azurite.accountName, accountKey: azurite.accountKey, container: container('kyma') } },
    });
    await pod.start();
    expect(pod.registry.runs).toBe(v.runs);

    const image = buildImage({ sizeBytes: 6 * 1024 * 1024, tag: 'v1' });
    const digest = await pod.withLogs(() => push(image, `${pod.address}/kyma/app:v1`));
    const pulled = await pod.withLogs(() => pull(`${pod.address}/kyma/app:v1`));
    expectSameContent(image, pulled);
    expect(pulled.manifestDigest).toBe(digest);
    expect(await azurite.listBlobs(container('kyma'))).toContain('docker/registry/v2/repositories/kyma/app/_manifests/tags/v1/current/link');
    await pod.stop();
  });

  test('account and container in props, the key from a Secret, under a root directory', async () => {
    await azurite.createContainer(container('props'));
    const chart = Testing.chart();
    onAzurite(chart, StorageBackend.azure({
      accountName: azurite.accountName,
      container: container('props'),
      serviceUrl: azurite.serviceUrl,
      rootDirectory: '/registry',
      credentials: AzureCredentials.fromSecret(kplus.Secret.fromSecretName(chart, 'Key', 'azure-key'), { accountKeyKey: 'key' }),
    }));
    const objects = validateChart(chart);
    expect(textOutsideSecrets(objects)).not.toContain(azurite.accountKey);
    const pod = new RegistryPod(objects, { externalSecrets: { 'azure-key': { key: azurite.accountKey } } });
    await pod.start();

    const image = buildImage({ sizeBytes: 1024 * 1024 });
    await pod.withLogs(() => push(image, `${pod.address}/props/app:v1`));
    expectSameContent(image, await pod.withLogs(() => pull(`${pod.address}/props/app:v1`)));
    expect(await listTags(`${pod.address}/props/app`)).toEqual(['v1']);
    expect(await azurite.listBlobs(container('props'))).toContain('registry/docker/registry/v2/repositories/props/app/_manifests/tags/v1/current/link');
    await pod.stop();
  });
});
