/**
 * Scenario 3: the s3 driver against the real S3 API of a loopback Swift (s3api), credentials only
 * from a Secret managed outside the chart; a 64 MiB layer so multipart upload runs. Also the
 * DigitalOcean Spaces preset with its endpoint pointed at the loopback.
 */
import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  buildImage, cleanupAll, describeVersions, e2eVersions, expectSameContent, httpRequest, listTags, perVersion, pull, push, RegistryPod,
  requireEnvironment, SwiftServer, textOutsideSecrets,
} from './harness';
import { RegistryAuth, RegistryDeployment, RegistryFeature, S3Credentials, S3StorageClass, StorageBackend } from '../../src';
import { validateChart } from '../util/validate-manifests';

const ACCESS_KEY = 'test:tester';
const SECRET_KEY = 'testing';

let swift: SwiftServer;

beforeAll(async () => {
  requireEnvironment();
  swift = await SwiftServer.start();
}, 150000);
afterAll(() => cleanupAll());

describeVersions(e2eVersions({ driver: 's3' }), (v) => {
  /** A bucket of its own for each version, so what one version wrote cannot make another's checks pass. */
  const bucket = (name: string) => perVersion(name, v);

  test('s3 on the Swift s3api: a 64 MiB layer (multipart) pushes and pulls back intact', async () => {
    // GIVEN a bucket and a registry whose credentials come only from an external Secret
    await swift.createContainer(bucket('registry-s3'));
    const chart = Testing.chart();
    const secret = kplus.Secret.fromSecretName(chart, 'S3Credentials', 'registry-s3-credentials');
    new RegistryDeployment(chart, 'Registry', {
      version: v.version,
      auth: RegistryAuth.none(),
      storage: StorageBackend.s3({
        bucket: bucket('registry-s3'),
        region: 'us-east-1',
        regionEndpoint: swift.url,
        secure: false,
        v4auth: true,
        credentials: S3Credentials.fromSecret(secret),
      }),
    });
    const objects = validateChart(chart);
    expect(textOutsideSecrets(objects)).not.toContain(SECRET_KEY);
    expect(textOutsideSecrets(objects)).not.toContain(ACCESS_KEY);
    const pod = new RegistryPod(objects, { externalSecrets: { 'registry-s3-credentials': { accessKey: ACCESS_KEY, secretKey: SECRET_KEY } } });
    await pod.start();
    expect(pod.env.REGISTRY_STORAGE_S3_SECRETKEY).toBe(SECRET_KEY);

    // WHEN a 64 MiB image is pushed and pulled
    const image = buildImage({ sizeBytes: 64 * 1024 * 1024, tag: 'big' });
    const digest = await pod.withLogs(() => push(image, `${pod.address}/big/app:v1`));
    const pulled = await pod.withLogs(() => pull(`${pod.address}/big/app:v1`));

    // THEN it is intact, stored in the bucket, and was uploaded in parts (s3api keeps parts in <bucket>+segments)
    expectSameContent(image, pulled);
    expect(pulled.manifestDigest).toBe(digest);
    expect(await listTags(`${pod.address}/big/app`)).toEqual(['v1']);
    const keys = await swift.listObjects(bucket('registry-s3'));
    expect(keys).toContain('docker/registry/v2/repositories/big/app/_manifests/tags/v1/current/link');
    expect((await swift.listObjects(`${bucket('registry-s3')}+segments`)).length).toBeGreaterThan(1);
  });

  test('the DigitalOcean Spaces preset with its endpoint pointed at the loopback', async () => {
    await swift.createContainer(bucket('spaces-registry'));
    const chart = Testing.chart();
    const secret = kplus.Secret.fromSecretName(chart, 'SpacesKey', 'spaces-key');
    new RegistryDeployment(chart, 'Registry', {
      version: v.version,
      auth: RegistryAuth.none(),
      storage: StorageBackend.digitalOceanSpaces({
        region: 'ams3',
        bucket: bucket('spaces-registry'),
        endpoint: swift.url,
        rootDirectory: '/registry',
        credentials: S3Credentials.fromSecret(secret, { accessKeyKey: 'access', secretKeyKey: 'secret' }),
      }),
    });
    const objects = validateChart(chart);
    expect(textOutsideSecrets(objects)).not.toContain(SECRET_KEY);
    const pod = new RegistryPod(objects, { externalSecrets: { 'spaces-key': { access: ACCESS_KEY, secret: SECRET_KEY } } });
    await pod.start();

    const image = buildImage({ sizeBytes: 2 * 1024 * 1024 });
    await pod.withLogs(() => push(image, `${pod.address}/spaces/app:v1`));
    expectSameContent(image, await pod.withLogs(() => pull(`${pod.address}/spaces/app:v1`)));
    expect(await swift.listObjects(bucket('spaces-registry'))).toContain('registry/docker/registry/v2/repositories/spaces/app/_manifests/tags/v1/current/link');
  });
});

describeVersions(e2eVersions({ driver: 's3' }), (v) => {
  test('storageClass: the driver of each release starts with the classes the library lets it render', async () => {
    // The s3 driver checks `storageclass` against its own list when it starts (2.8: STANDARD, REDUCED_REDUNDANCY;
    // 3.x: the instant-retrieval classes too), so a start is the proof; Swift's s3api stores only STANDARD, so no push.
    const storageClass = v.version.supports(RegistryFeature.S3_INSTANT_RETRIEVAL_STORAGE_CLASSES)
      ? S3StorageClass.GLACIER_IR
      : S3StorageClass.REDUCED_REDUNDANCY;
    await swift.createContainer(perVersion('storage-class', v));
    const chart = Testing.chart();
    new RegistryDeployment(chart, 'Registry', {
      version: v.version,
      auth: RegistryAuth.none(),
      storage: StorageBackend.s3({
        bucket: perVersion('storage-class', v),
        region: 'us-east-1',
        regionEndpoint: swift.url,
        secure: false,
        storageClass,
        credentials: S3Credentials.fromSecret(kplus.Secret.fromSecretName(chart, 'Keys', 's3-keys')),
      }),
    });
    const objects = validateChart(chart);
    expect(objects.find((o) => o.kind === 'ConfigMap')!.data['config.yml']).toContain(`storageclass: ${storageClass}\n`);
    const pod = new RegistryPod(objects, { externalSecrets: { 's3-keys': { accessKey: ACCESS_KEY, secretKey: SECRET_KEY } } });
    await pod.start();
    expect((await httpRequest(`${pod.url}/v2/`)).status).toBe(200);
    await pod.stop();
  });

  test("Kyma's regionEndpoint without a scheme: rendered as the driver completes it, and the registry works", async () => {
    // GIVEN the endpoint written as Kyma's samples write it: host and port, no scheme
    const kymaBucket = perVersion('kyma-registry', v);
    await swift.createContainer(kymaBucket);
    const chart = Testing.chart();
    const hostAndPort = swift.url.replace(/^http:\/\//, '');
    new RegistryDeployment(chart, 'Registry', {
      version: v.version,
      auth: RegistryAuth.none(),
      storage: StorageBackend.s3({
        bucket: kymaBucket,
        region: 'us-east-1',
        regionEndpoint: hostAndPort,
        secure: false,
        credentials: S3Credentials.fromSecret(kplus.Secret.fromSecretName(chart, 'Keys', 's3-keys')),
      }),
    });
    const objects = validateChart(chart);
    const pod = new RegistryPod(objects, { externalSecrets: { 's3-keys': { accessKey: ACCESS_KEY, secretKey: SECRET_KEY } } });
    const configYml = objects.find((o) => o.kind === 'ConfigMap')!.data['config.yml'];
    expect(configYml).toContain(`regionendpoint: http://${hostAndPort}\n`);
    await pod.start();

    // WHEN an image is pushed and pulled THEN it lands in the bucket intact
    const image = buildImage({ sizeBytes: 1024 * 1024 });
    await pod.withLogs(() => push(image, `${pod.address}/kyma/app:v1`));
    expectSameContent(image, await pod.withLogs(() => pull(`${pod.address}/kyma/app:v1`)));
    expect(await swift.listObjects(kymaBucket)).toContain('docker/registry/v2/repositories/kyma/app/_manifests/tags/v1/current/link');
  });
});
