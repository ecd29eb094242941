import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { RegistryAuth, RegistryDeployment, RegistryDeploymentProps, RegistryVersion, StorageBackend, SwiftCredentials } from '../../src';
import { chooseRelease } from '../../src/config/release-choice';
import { validateChart } from '../util/validate-manifests';

type Obj = { [key: string]: any };

function build(props: Partial<RegistryDeploymentProps> = {}, chart = Testing.chart()): RegistryDeployment {
  return new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), ...props });
}

const construct = (props: Partial<RegistryDeploymentProps>) => () => build(props);

function synth(props: Partial<RegistryDeploymentProps> = {}) {
  const chart = Testing.chart();
  const registry = build(props, chart);
  const deployment = validateChart(chart).find((o) => o.kind === 'Deployment')!;
  return { registry, container: deployment.spec.template.spec.containers[0] as Obj };
}

describe('chooseRelease: version, else the image tag\'s release, else the newest release with the driver', () => {
  const scope = () => Testing.chart();

  test('nothing given: the newest release that has the storage driver', () => {
    expect(chooseRelease(scope(), { driver: 's3' })).toBe(RegistryVersion.V3_1);
    expect(chooseRelease(scope(), { driver: 'swift' })).toBe(RegistryVersion.V2_8);
    expect(() => chooseRelease(scope(), { driver: 'ftp' })).toThrow(/^test: 'storage' uses driver 'ftp', which no supported registry release has/);
  });

  test('the image\'s tag names the release when no version is given; the version wins when both agree', () => {
    expect(chooseRelease(scope(), { driver: 'filesystem', image: 'mirror.example.com/registry:3.0.0' }).version).toBe('3.0.0');
    expect(chooseRelease(scope(), { driver: 'filesystem', image: 'registry:2.8.3' })).toEqual(RegistryVersion.V2_8);
    expect(chooseRelease(scope(), { driver: 'filesystem', version: RegistryVersion.V3_0, image: 'registry:3.0.0' })).toBe(RegistryVersion.V3_0);
  });

  test('each error names the prop at fault', () => {
    expect(() => chooseRelease(scope(), { driver: 'filesystem', image: 'registry:edge' })).toThrow(/^test: 'image' \('registry:edge'\) has no tag naming/);
    expect(() => chooseRelease(scope(), { driver: 'filesystem', image: 'registry:3.2.0' })).toThrow(/^test: 'image' registry version '3\.2\.0' is of release line 3\.2/);
    expect(() => chooseRelease(scope(), { driver: 'swift', version: RegistryVersion.V3_1 }))
      .toThrow(/^test: 'version' \(3\.1\.2\) has no 'swift' storage driver \(its drivers: .*\); 'swift' exists in registry 2\.8\.x: pin RegistryVersion\.V2_8/);
    expect(() => chooseRelease(scope(), { driver: 'filesystem', version: RegistryVersion.V3_1, image: 'registry:2.8.3' }))
      .toThrow(/^test: 'image' \('registry:2\.8\.3'\) runs 2\.8\.3, but 'version' is 3\.1\.2/);
  });
});

describe('floating image tags', () => {
  const make = (props: Partial<RegistryDeploymentProps>) => () => {
    const chart = Testing.chart();
    build(props, chart);
    Testing.synth(chart);
  };

  test("the floating registry:2 of Kyma's seeds reads as 2.8, the only 2.x line the tag can point at", () => {
    const { container, registry } = synth({ image: 'registry:2' });
    expect(registry.version.version).toBe(RegistryVersion.V2_8.version);
    expect(container.image).toBe('registry:2'); // kept as written
    expect(container.args).toEqual(['serve', '/etc/docker/registry/config.yml']);
    expect(synth({ image: 'eu.gcr.io/kyma-project/external/registry:2', version: RegistryVersion.V2_8 }).registry.version).toBe(RegistryVersion.V2_8);
    expect(make({ image: 'registry:2', version: RegistryVersion.V3 })).toThrow(/'image' \('registry:2'\) runs the newest 2.x \(2.8 or later\), but 'version' is 3\.\d+\.\d+/);
  });

  test('a tag floating over releases whose config differs fails with exactly what to pin', () => {
    const pin = RegistryVersion.V3.version;
    const expected = (image: string, what: string, repository: string) => new RegExp(`'image' \\('${image}'\\) names no release: ${what}, whose config keys differ, `
      + `so the config cannot be chosen for it: pin the release, image: '${repository}:${pin.replace(/\./g, '\\.')}', `
      + `or keep the tag and set version: RegistryVersion\\.of\\('${pin.replace(/\./g, '\\.')}'\\)`);
    expect(make({ image: 'registry:3' })).toThrow(expected('registry:3', "tag '3' floats over the 3.x releases", 'registry'));
    expect(make({ image: 'mirror.example.com:5000/registry' })).toThrow(expected('mirror.example.com:5000/registry', "without a tag it is 'latest', which floats over every release", 'mirror.example.com:5000/registry'));
    // WHEN the user follows the advice THEN it synthesizes
    expect(synth({ image: 'registry:3', version: RegistryVersion.of(pin) }).container.image).toBe('registry:3');
    expect(synth({ image: `registry:${pin}` }).registry.version.version).toBe(pin);
  });

  test('an image pinned by digest only is not \'latest\': the error asks for the version, not for a tag', () => {
    const image = `registry@sha256:${'a'.repeat(64)}`;
    expect(make({ image })).toThrow(/'version'/);
    expect(make({ image })).not.toThrow(/latest/);
    expect(synth({ image, version: RegistryVersion.V3_1 }).container.image).toBe(image);
  });
});

describe('image tags that float away from the pinned version', () => {
  test('registry:3 on a 2.8 registry with swift: the image lacks the driver', () => {
    const chart = Testing.chart();
    const storage = StorageBackend.swift({
      authUrl: 'https://identity.example.com/v3',
      container: 'images',
      credentials: SwiftCredentials.fromSecret(kplus.Secret.fromSecretName(chart, 'S', 'swift')),
    });
    expect(() => build({ version: RegistryVersion.V2_8, image: 'registry:3', storage }, chart))
      .toThrow(/^test\/Registry: 'image' \('registry:3'\) runs the newest 3.x \(3.1 or later\), which has no 'swift' storage driver, but 'version' is 2.8.3.*pin the image to registry:2.8.3/);
  });

  test('registry:3 or latest on a pinned 3.0, registry:2 on 3.x; the matching lines pass', () => {
    expect(construct({ version: RegistryVersion.V3_0, image: 'registry:3' })).toThrow(/'image' \('registry:3'\) runs the newest 3.x \(3.1 or later\), but 'version' is 3.0.0/);
    expect(construct({ version: RegistryVersion.V3_0, image: 'registry' })).toThrow(/'image' \('registry'\) runs the newest 3.x/);
    expect(construct({ version: RegistryVersion.V3_1, image: 'registry:2' })).toThrow(/'image' \('registry:2'\) runs the newest 2.x \(2.8 or later\), but 'version' is 3.1.2/);
    expect(construct({ version: RegistryVersion.V3_1, image: 'registry:3' })).not.toThrow();
    expect(construct({ version: RegistryVersion.V3_1, image: 'mirror.example.com/registry:3.1' })).not.toThrow();
    expect(construct({ version: RegistryVersion.V2_8, image: 'registry:2' })).not.toThrow();
  });
});
