import { App, Chart, Testing } from 'cdk8s';
import { validateChart } from './validate-manifests';
import { GarbageCollection, RegistryAuth, RegistryDeployment } from '../../src';

describe('object names', () => {
  test('a construct id with \'_\' fails at synth, naming the object, its would-be name and how to fix it', () => {
    const chart = Testing.chart();
    new RegistryDeployment(chart, 'My_Registry', { auth: RegistryAuth.none() });
    expect(() => Testing.synth(chart)).toThrow(
      /test\/My_Registry\/Data: the PersistentVolumeClaim would be named "test-my_registry-data-[0-9a-f]{8}", which is not a DNS-1123 subdomain.*no '_'.*RegistryDeployment's 'name' names all of its objects\) \(and 4 more objects of this chart\)$/,
    );
  });

  test('a chart id starting with a digit gives a Service name the API server refuses', () => {
    const chart = new Chart(new App(), '2026-registry');
    new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none() });
    expect(() => Testing.synth(chart)).toThrow(/2026-registry\/Registry\/Service: the Service would be named "2026-registry-registry-service-[0-9a-f]{8}", which is not a DNS-1035 label/);
  });

  test('with \'name\' set, ids with \'_\' are fine', () => {
    const chart = Testing.chart();
    new RegistryDeployment(chart, 'My_Registry', { name: 'registry', auth: RegistryAuth.none() });
    expect(validateChart(chart).map((o) => o.metadata.name)).toContain('registry');
  });

  test('a long path gives the garbage-collection CronJob a name of at most 52 characters, with cdk8s\'s hash', () => {
    const chart = new Chart(new App(), 'kyma-registry-azure', { namespace: 'kyma-registry-azure' });
    const registry = new RegistryDeployment(chart, 'Registry', {
      auth: RegistryAuth.none(), storageOptions: { deleteEnabled: true },
    });
    const gc = new GarbageCollection(chart, 'GarbageCollection', { registry });
    const cronJob = validateChart(chart).find((o) => o.kind === 'CronJob')!;
    expect(cronJob.metadata.name.length).toBeLessThanOrEqual(52);
    expect(cronJob.metadata.name).toMatch(/-cronjob-[0-9a-f]{8}$/);
    expect(gc.cronJob.name).toEqual(cronJob.metadata.name);
  });

  test('a CronJob name that fits is cdk8s\'s own, unchanged', () => {
    const chart = Testing.chart();
    const registry = new RegistryDeployment(chart, 'Registry', {
      auth: RegistryAuth.none(), storageOptions: { deleteEnabled: true },
    });
    const gc = new GarbageCollection(chart, 'GC', { registry });
    expect(gc.cronJob.name).toMatch(/^test-gc-cronjob-[0-9a-f]{8}$/);
  });
});
