/**
 * Scenario 6: broken configurations are caught, and the suite reports the registry's own error
 * message (or the kubelet's refusal), never a bare timeout. On every version with the backend: S3 (through
 * the loopback Swift's s3api) and Azure on 2.8/3.0/3.1 where compiled in, Swift on 2.8 only.
 */
import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { buildImage, cleanupAll, describeVersions, e2eVersions, freePort, push, RegistryPod, requireEnvironment, SwiftServer } from './harness';
import { AzureCredentials, RegistryAuth, RegistryDeployment, S3Credentials, StorageBackend, SwiftAuthVersion, SwiftCredentials } from '../../src';
import { validateChart } from '../util/validate-manifests';

let swift: SwiftServer;

beforeAll(async () => {
  requireEnvironment();
  swift = await SwiftServer.start();
  await swift.createContainer('bad-config');
}, 150000);
afterAll(() => cleanupAll());

/**
 * The message of the registry's own exit at start. The harness says whether `start()` failed because "the registry
 * exited" or because it was "not ready within" its timeout: only the exit shows the registry's message.
 */
async function exitAtStart(pod: RegistryPod): Promise<string> {
  const error: Error = await pod.start().then(() => new Error('the registry started'), (e) => e);
  expect(error.message).toMatch(/the registry exited/);
  expect(error.message).not.toMatch(/not ready within/);
  return error.message;
}

describeVersions(e2eVersions({ driver: 's3' }), ({ version }) => {
  function s3Registry(): any[] {
    const chart = Testing.chart();
    new RegistryDeployment(chart, 'Registry', {
      version,
      auth: RegistryAuth.none(),
      storage: StorageBackend.s3({
        bucket: 'bad-config',
        region: 'us-east-1',
        regionEndpoint: swift.url,
        secure: false,
        v4auth: true,
        credentials: S3Credentials.fromSecret(kplus.Secret.fromSecretName(chart, 'Keys', 's3-keys')),
      }),
    });
    return validateChart(chart);
  }

  test('a Secret without the key the manifest names: refused as the kubelet would, naming the key and the Secret', async () => {
    // GIVEN the Secret holds `access_key`, the manifest asks for `accessKey`
    const pod = new RegistryPod(s3Registry(), { externalSecrets: { 's3-keys': { access_key: 'test:tester', secretKey: 'testing' } } });
    await expect(pod.start()).rejects.toThrow(/REGISTRY_STORAGE_S3_ACCESSKEY: couldn't find key accessKey in Secret s3-keys/);
  });

  test('a missing Secret: refused, naming the Secret', async () => {
    const pod = new RegistryPod(s3Registry());
    await expect(pod.start()).rejects.toThrow(/secret "s3-keys" not found/);
  });

  test('a wrong S3 secret key: the push fails and the report carries the S3 error from the registry', async () => {
    const pod = new RegistryPod(s3Registry(), { externalSecrets: { 's3-keys': { accessKey: 'test:tester', secretKey: 'wrong-secret' } } });
    await pod.start();
    const image = buildImage({ sizeBytes: 64 * 1024 });
    await expect(pod.withLogs(() => push(image, `${pod.address}/bad/app:v1`))).rejects.toThrow(/SignatureDoesNotMatch/);
    await pod.stop();
  });
});

describeVersions(e2eVersions({ driver: 'azure' }), ({ version }) => {
  test('an Azure connection string where the account key belongs: the registry exits at start with its own error', async () => {
    // GIVEN the Secret's account key holds the storage account's connection string, a common paste mistake. The
    // driver decodes the key when it starts, before any request, so no Azure (or Azurite) is needed to see it fail.
    const chart = Testing.chart();
    new RegistryDeployment(chart, 'Registry', {
      version,
      auth: RegistryAuth.none(),
      storage: StorageBackend.azure({
        accountName: 'devstoreaccount1',
        container: 'bad-config',
        serviceUrl: `http://127.0.0.1:${await freePort()}/devstoreaccount1`,
        credentials: AzureCredentials.fromSecret(kplus.Secret.fromSecretName(chart, 'Key', 'azure-key'), { accountKeyKey: 'key' }),
      }),
    });
    const connectionString = 'DefaultEndpointsProtocol=https;AccountName=devstoreaccount1;AccountKey=a2V5;EndpointSuffix=core.windows.net';
    const pod = new RegistryPod(validateChart(chart), { externalSecrets: { 'azure-key': { key: connectionString } } });
    // THEN the registry's exit, with its own message: not a readiness timeout
    const message = await exitAtStart(pod);
    expect(message).toMatch(/panic: shared key credentials: decode account key: illegal base64 data/);
  });
});

describeVersions(e2eVersions({ driver: 'swift' }), ({ version }) => {
  test('a wrong Swift password: the registry exits at start and its own error is reported', async () => {
    const chart = Testing.chart();
    new RegistryDeployment(chart, 'Registry', {
      version,
      auth: RegistryAuth.none(),
      storage: StorageBackend.swift({
        authUrl: swift.authUrlV1,
        authVersion: SwiftAuthVersion.V1,
        container: 'bad-config',
        credentials: SwiftCredentials.fromSecret(kplus.Secret.fromSecretName(chart, 'SwiftKeys', 'swift-keys')),
      }),
    });
    const pod = new RegistryPod(validateChart(chart), { externalSecrets: { 'swift-keys': { username: swift.user, password: 'not-the-password' } } });
    // THEN the registry's exit, with its own message: not a readiness timeout
    const message = await exitAtStart(pod);
    expect(message).toMatch(/panic: swift authentication failed: Authorization Failed/);
  });
});
