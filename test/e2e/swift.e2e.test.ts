/**
 * Scenario 4: the swift driver with v1 auth (tempauth), as the IBM SoftLayer setup uses, against a
 * loopback Swift; credentials only from a Secret managed outside the chart.
 */
import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  buildImage, cleanupAll, describeVersions, E2eVersion, e2eVersions, expectSameContent, inspectDigest, listTags, pull, push, RegistryPod,
  requireEnvironment, SwiftServer, textOutsideSecrets,
} from './harness';
import { SoftLayerRegistryChart } from '../../examples/softlayer-registry';
import { RegistryAuth, RegistryDeployment, StorageBackend, SwiftAuthVersion, SwiftCredentials } from '../../src';
import { validateChart } from '../util/validate-manifests';

let swift: SwiftServer;

beforeAll(async () => {
  requireEnvironment();
  swift = await SwiftServer.start();
}, 150000);
afterAll(() => cleanupAll());

/** The registry version of the describe block running. */
let current: E2eVersion;

describeVersions(e2eVersions({ driver: 'swift' }), (v) => {
  beforeAll(() => { current = v; });

  test('swift with v1 auth: push, pull, list; credentials only in the Secret', async () => {
    // GIVEN a container and a registry on it
    await swift.createContainer('softlayer-registry');
    const chart = Testing.chart();
    const secret = kplus.Secret.fromSecretName(chart, 'SwiftCredentials', 'softlayer-credentials');
    new RegistryDeployment(chart, 'Registry', {
      version: current.version,
      auth: RegistryAuth.none(),
      storage: StorageBackend.swift({
        authUrl: swift.authUrlV1,
        authVersion: SwiftAuthVersion.V1,
        container: 'softlayer-registry',
        prefix: 'registry',
        credentials: SwiftCredentials.fromSecret(secret),
      }),
    });
    const objects = validateChart(chart);
    expect(textOutsideSecrets(objects)).not.toContain(swift.key);
    expect(textOutsideSecrets(objects)).not.toContain(swift.user);
    const pod = new RegistryPod(objects, { externalSecrets: { 'softlayer-credentials': { username: swift.user, password: swift.key } } });
    await pod.start();

    // WHEN an image is pushed and pulled
    const image = buildImage({ sizeBytes: 12 * 1024 * 1024 });
    const digest = await pod.withLogs(() => push(image, `${pod.address}/softlayer/app:v1`));

    // THEN it is intact, in the container under the prefix (the driver keeps objects under <prefix>/files)
    expectSameContent(image, await pod.withLogs(() => pull(`${pod.address}/softlayer/app:v1`)));
    expect(await inspectDigest(`${pod.address}/softlayer/app:v1`)).toBe(digest);
    expect(await listTags(`${pod.address}/softlayer/app`)).toEqual(['v1']);
    expect(await swift.listObjects('softlayer-registry')).toContain('registry/files/docker/registry/v2/repositories/softlayer/app/_manifests/tags/v1/current/link');
  });

  test('seed 004, the SoftLayer example chart itself, with the seed\'s OS_USERNAME/OS_PASSWORD Secret keys', async () => {
    // GIVEN the example, pointed at the loopback Swift instead of SoftLayer's Dallas endpoint
    await swift.createContainer('docker-registry');
    const objects = validateChart(new SoftLayerRegistryChart(Testing.app(), 'softlayer-registry', { authUrl: swift.authUrlV1 }));
    expect(textOutsideSecrets(objects)).not.toContain(swift.key);
    const pod = new RegistryPod(objects, { externalSecrets: { 'softlayer-object-storage': { OS_USERNAME: swift.user, OS_PASSWORD: swift.key } } });
    await pod.start();

    // WHEN an image is pushed and pulled THEN it is intact and stored in the seed's container
    const image = buildImage({ sizeBytes: 2 * 1024 * 1024 });
    await pod.withLogs(() => push(image, `${pod.address}/seed/app:v1`));
    expectSameContent(image, await pod.withLogs(() => pull(`${pod.address}/seed/app:v1`)));
    expect((await swift.listObjects('docker-registry')).some((name) => name.includes('repositories/seed/app/_manifests/tags/v1'))).toBe(true);
  });
});
