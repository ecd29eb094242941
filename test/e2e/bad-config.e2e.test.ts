/**
 * Scenario 6: broken configurations are caught, and the suite reports the registry's own error
 * message (or the kubelet's refusal), never a bare timeout.
 */
import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { buildImage, cleanupAll, push, RegistryPod, requireEnvironment, SwiftServer } from './harness';
import { RegistryAuth, RegistryDeployment, RegistryVersion, S3Credentials, StorageBackend, SwiftAuthVersion, SwiftCredentials } from '../../src';
import { validateChart } from '../util/validate-manifests';

let swift: SwiftServer;

beforeAll(async () => {
  requireEnvironment();
  swift = await SwiftServer.start();
  await swift.createContainer('bad-config');
}, 60000);
afterAll(() => cleanupAll());

function s3Registry(): any[] {
  const chart = Testing.chart();
  new RegistryDeployment(chart, 'Registry', {
    version: RegistryVersion.V2_8,
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

test('a wrong Swift password: the registry exits at start and its own error is reported', async () => {
  const chart = Testing.chart();
  new RegistryDeployment(chart, 'Registry', {
    version: RegistryVersion.V2_8,
    auth: RegistryAuth.none(),
    storage: StorageBackend.swift({
      authUrl: swift.authUrlV1,
      authVersion: SwiftAuthVersion.V1,
      container: 'bad-config',
      credentials: SwiftCredentials.fromSecret(kplus.Secret.fromSecretName(chart, 'SwiftKeys', 'swift-keys')),
    }),
  });
  const pod = new RegistryPod(validateChart(chart), { externalSecrets: { 'swift-keys': { username: swift.user, password: 'not-the-password' } } });
  const started = Date.now();
  const error: Error = await pod.start().then(() => new Error('the registry started'), (e) => e);
  // THEN the registry's own message, quickly: not a readiness timeout
  expect(error.message).toMatch(/the registry exited/);
  expect(error.message).toMatch(/panic: swift authentication failed: Authorization Failed/);
  expect(Date.now() - started).toBeLessThan(8000);
});

test('a wrong S3 secret key: the push fails and the report carries the S3 error from the registry', async () => {
  const pod = new RegistryPod(s3Registry(), { externalSecrets: { 's3-keys': { accessKey: 'test:tester', secretKey: 'wrong-secret' } } });
  await pod.start();
  const image = buildImage({ sizeBytes: 64 * 1024 });
  await expect(pod.withLogs(() => push(image, `${pod.address}/bad/app:v1`))).rejects.toThrow(/SignatureDoesNotMatch/);
});
