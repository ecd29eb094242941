import { App, Chart, Testing } from 'cdk8s';
import { validateChart } from './validate-manifests';
import { ElbTlsService, GarbageCollection, RegistryAuth, RegistryChart, RegistryDeployment } from '../../src';

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

  test('a chart namespace the API server refuses fails at synth, naming the chart and its namespace', () => {
    for (const namespace of ['Registry', 'container_registry', 'registry.example.com', '-registry', 'a'.repeat(64)]) {
      const chart = new Chart(new App(), 'team', { namespace });
      new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none() });
      expect(() => Testing.synth(chart)).toThrow(new RegExp(`team: 'namespace' \\(${JSON.stringify(namespace).replace(/\./g, '\\.')}\\) must be a DNS-1123 label`));
    }
    const ok = new Chart(new App(), 'team', { namespace: 'container-registry-2' });
    new RegistryDeployment(ok, 'Registry', { auth: RegistryAuth.none() });
    expect(Testing.synth(ok).every((o) => o.metadata.namespace === 'container-registry-2')).toBe(true);
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

describe('object names shared across charts', () => {
  const none = () => RegistryAuth.none();

  test.each([['a', 'b'], ['b', 'a']])('two registries of one name in one namespace, charts %s then %s: refused, naming both', (first, second) => {
    // GIVEN two charts of one App in the same namespace
    const app = Testing.app();
    new RegistryDeployment(new Chart(app, first, { namespace: 'team' }), 'Registry', { name: 'registry', auth: none() });
    const chart = new Chart(app, second, { namespace: 'team' });
    // THEN the second registry of that name names the first, the property and both fixes
    expect(() => new RegistryDeployment(chart, 'Registry', { name: 'registry', auth: none() })).toThrow(new RegExp(
      `^${second}/Registry: 'name' \\("registry"\\) is already the name of registry ${first}/Registry in namespace "team": `
      + '.*overwrite each other. Give each registry its own name, or put the registries in charts of different namespaces$'));
  });

  test('charts without a namespace share kubectl\'s default one', () => {
    const app = Testing.app();
    new RegistryDeployment(new Chart(app, 'a'), 'Registry', { name: 'registry', auth: none() });
    expect(() => new RegistryDeployment(new Chart(app, 'b'), 'Registry', { name: 'registry', auth: none() }))
      .toThrow(/^b\/Registry: 'name' \("registry"\) is already the name of registry a\/Registry in the kubectl default namespace/);
  });

  test('the same name in different namespaces, or in different Apps, is fine', () => {
    const app = Testing.app();
    const a = new Chart(app, 'a', { namespace: 'team-a' });
    const b = new Chart(app, 'b', { namespace: 'team-b' });
    new RegistryDeployment(a, 'Registry', { name: 'registry', auth: none() });
    new RegistryDeployment(b, 'Registry', { name: 'registry', auth: none() });
    const other = new Chart(Testing.app(), 'a', { namespace: 'team-a' });
    new RegistryDeployment(other, 'Registry', { name: 'registry', auth: none() });
    for (const chart of [a, b, other]) {
      expect(validateChart(chart).filter((o) => o.metadata.name === 'registry').map((o) => o.kind)).toEqual(
        expect.arrayContaining(['Deployment', 'Service', 'ServiceAccount']));
    }
  });

  test('a registry removed from its chart frees its name', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'a', { namespace: 'team' });
    new RegistryDeployment(chart, 'Old', { name: 'registry', auth: none() });
    chart.node.tryRemoveChild('Old');
    expect(() => new RegistryDeployment(chart, 'New', { name: 'registry', auth: none() })).not.toThrow();
  });

  test.each([['a', 'b'], ['b', 'a']])('two ways in of one name in one namespace, charts %s then %s: refused at synth, naming both', (first, second) => {
    const app = Testing.app();
    const elb = (id: string, registryName: string) => {
      const chart = new Chart(app, id, { namespace: 'team' });
      const registry = new RegistryDeployment(chart, 'Registry', { name: registryName, auth: RegistryAuth.none({ allowPublicAccess: true }) });
      new ElbTlsService(chart, 'LoadBalancer', {
        registry,
        name: 'registry-public',
        hostname: `${registryName}.example.com`,
        certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012',
      });
      return chart;
    };
    elb(first, `registry-${first}`);
    const chart = elb(second, `registry-${second}`);
    expect(() => Testing.synth(chart)).toThrow(new RegExp(
      `${second}/LoadBalancer: the Service "registry-public" in namespace "team" is also rendered by ${first}/LoadBalancer: `
      + 'applied together, one would overwrite the other. Give one of them another \'name\''));
  });

  test('a Namespace created by two charts: refused at synth, saying to create it in one', () => {
    const app = Testing.app();
    new RegistryChart(app, 'a', { namespace: 'team', registry: { name: 'registry-a', auth: none() } });
    const b = new RegistryChart(app, 'b', { namespace: 'team', registry: { name: 'registry-b', auth: none() } });
    expect(() => Testing.synth(b)).toThrow(
      /b\/Namespace: the Namespace "team" is also rendered by a\/Namespace, and it has no namespace: .*Render it in one chart only \(RegistryChart: 'createNamespace': false in the others\)/);
    // createNamespace: false in one of them is the fix
    const app2 = Testing.app();
    new RegistryChart(app2, 'a', { namespace: 'team', registry: { name: 'registry-a', auth: none() } });
    const fixed = new RegistryChart(app2, 'b', { namespace: 'team', createNamespace: false, registry: { name: 'registry-b', auth: none() } });
    expect(validateChart(fixed).map((o) => o.kind)).not.toContain('Namespace');
  });
});
