import { App, Chart, Testing } from 'cdk8s';
import { build, objectsOf } from './helpers';
import { RegistryAuth, RegistryDeployment, RegistryVersion, StorageBackend } from '../../src';
import { validateChart } from '../util/validate-manifests';

describe('stable identities', () => {
  function named(chartId: string, constructId: string) {
    const app = Testing.app();
    const chart = new Chart(app, chartId);
    new RegistryDeployment(chart, constructId, { auth: RegistryAuth.none(), name: 'registry', version: RegistryVersion.V2_8 });
    return validateChart(chart);
  }

  test('with a name, renaming the chart or construct id changes no object, selector or label', () => {
    const a = named('old-chart', 'Registry');
    const b = named('new-chart', 'Renamed Registry/With Slash');
    expect(JSON.stringify(b)).toEqual(JSON.stringify(a));
    const deployment = a.find((o) => o.kind === 'Deployment')!;
    expect(deployment.spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/instance': 'registry', 'app.kubernetes.io/name': 'registry' } });
    expect(deployment.spec.template.metadata.labels['cdk8s.io/metadata.addr']).toBeUndefined();
    // every selector but the Deployment's own (immutable) names the component
    expect(a.find((o) => o.kind === 'Service')!.spec.selector).toEqual({
      'app.kubernetes.io/instance': 'registry', 'app.kubernetes.io/name': 'registry', 'app.kubernetes.io/component': 'registry',
    });
    expect(a.find((o) => o.kind === 'PersistentVolumeClaim')!.metadata).toMatchObject({
      name: 'registry-data', labels: { 'app.kubernetes.io/instance': 'registry', 'app.kubernetes.io/component': 'storage' },
    });
  });

  test('a claim name the user sets is kept', () => {
    const { chart } = build({ name: 'registry', storage: StorageBackend.persistentVolumeClaim({ claimName: 'registry-images' }) });
    expect(objectsOf(chart).objects.find((o) => o.kind === 'PersistentVolumeClaim')!.metadata.name).toBe('registry-images');
    expect(() => build({ storage: StorageBackend.persistentVolumeClaim({ claimName: 'Bad_Name' }) })).toThrow(/'storage.claimName' \("Bad_Name"\) must be a DNS-1123 subdomain/);
  });

  test.each([
    ['My Registry', 'my-registry'],
    ['--Weird ID--', 'weird-id'],
    ['x'.repeat(200), undefined],
    ['!!!', 'registry'],
  ])('construct id %j gives a valid instance label', (id, expected) => {
    const { chart } = build({}, id);
    const labels = objectsOf(chart).deployment.metadata.labels;
    const instance: string = labels['app.kubernetes.io/instance'];
    expect(instance.length).toBeLessThanOrEqual(63);
    expect(instance).toMatch(/^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/);
    if (expected) expect(instance).toBe(expected);
  });

  test('two long ids with the same start get different labels', () => {
    const app = new App();
    const chart = new Chart(app, 'c');
    const a = new RegistryDeployment(chart, `${'a'.repeat(70)}1`, { auth: RegistryAuth.none() });
    const b = new RegistryDeployment(chart, `${'a'.repeat(70)}2`, { auth: RegistryAuth.none() });
    expect(a.labels['app.kubernetes.io/instance']).not.toEqual(b.labels['app.kubernetes.io/instance']);
  });
});
