import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  ElbTlsService, GarbageCollection, HtpasswdAuth, Platform, RegistryAuth, RegistryChart, RegistryChartProps, RegistryDeployment, RegistryIngress,
  RegistryRoute, RegistryVersion, RouteTermination, StorageBackend,
} from '../src';
import { validateChart } from './util/validate-manifests';

type Obj = { [key: string]: any };

const ARN = 'arn:aws:acm:eu-central-1:123456789012:certificate/0b7c0d4e-1f2a-4b3c-8d9e-0f1a2b3c4d5e';

/** The common case: htpasswd from a Secret, a claim, an Ingress and GC. */
function commonProps(scope: Construct): RegistryChartProps {
  return {
    namespace: 'container-registry',
    registry: {
      name: 'registry',
      auth: HtpasswdAuth.fromSecret(kplus.Secret.fromSecretName(scope, 'Htpasswd', 'registry-htpasswd')),
      storageOptions: { deleteEnabled: true },
    },
    ingress: { host: 'registry.example.com' },
    garbageCollection: {},
  };
}

const kinds = (objects: Obj[]) => objects.map((o) => o.kind);

describe('RegistryChart', () => {
  test('Namespace, registry, Ingress and GC from one props object; snapshot', () => {
    // GIVEN the common case in one props object
    const app = Testing.app();
    const chart = new RegistryChart(app, 'registry', commonProps(app));

    // WHEN synthesized (and validated against the Kubernetes schemas)
    const objects = validateChart(chart);

    // THEN the Namespace comes first and carries no namespace; every other object is in it
    expect(objects[0]).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'container-registry' }, spec: {} });
    for (const o of objects.slice(1)) expect([o.kind, o.metadata.namespace]).toEqual([o.kind, 'container-registry']);
    expect(kinds(objects)).toEqual(expect.arrayContaining(['Deployment', 'Service', 'ConfigMap', 'Ingress', 'CronJob', 'Role', 'RoleBinding']));
    // AND the parts are wired to each other: the Ingress sets the external URL, GC runs the registry's image
    expect(objects.find((o) => o.kind === 'ConfigMap')!.data['config.yml']).toContain('host: https://registry.example.com');
    const cronJob = objects.find((o) => o.kind === 'CronJob')!;
    const jobPod = cronJob.spec.jobTemplate.spec.template.spec;
    const collector = [...(jobPod.initContainers ?? []), ...jobPod.containers].find((c: Obj) => c.name === 'garbage-collect');
    expect(collector.image).toBe(RegistryVersion.V3.image);
    expect(objects).toMatchSnapshot();
  });

  test('renders exactly what the same constructs composed by hand render', () => {
    // GIVEN the chart, and the same constructs written out by hand with the same ids
    const fromChart = Testing.synth(new RegistryChart(Testing.app(), 'registry', commonProps(Testing.app())));
    const app = Testing.app();
    const chart = new Chart(app, 'registry', { namespace: 'container-registry' });
    const namespace = new kplus.Namespace(chart, 'Namespace', { metadata: { name: 'container-registry' } });
    ApiObject.of(namespace).addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    const registry = new RegistryDeployment(chart, 'Registry', {
      name: 'registry',
      auth: HtpasswdAuth.fromSecret(kplus.Secret.fromSecretName(chart, 'Htpasswd', 'registry-htpasswd')),
      storageOptions: { deleteEnabled: true },
    });
    new RegistryIngress(chart, 'Ingress', { registry, host: 'registry.example.com' });
    new GarbageCollection(chart, 'GarbageCollection', { registry });

    // THEN the output is the same: the chart adds no config of its own
    expect(fromChart).toEqual(Testing.synth(chart));
  });

  test('exposes each construct for further customizing', () => {
    const app = Testing.app();
    const chart = new RegistryChart(app, 'registry', commonProps(app));
    expect(chart.registry).toBeInstanceOf(RegistryDeployment);
    expect(chart.ingress).toBeInstanceOf(RegistryIngress);
    expect(chart.garbageCollection).toBeInstanceOf(GarbageCollection);
    expect(chart.loadBalancer).toBeUndefined();
    expect(chart.route).toBeUndefined();

    // WHEN the user customizes the composed constructs
    chart.namespaceObject!.metadata.addLabel('pod-security.kubernetes.io/enforce', 'restricted');
    chart.registry.addConfigSection('catalog', { maxentries: 500 });
    const objects = validateChart(chart);

    // THEN their changes render
    expect(objects[0].metadata.labels).toEqual({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    expect(objects.find((o) => o.kind === 'ConfigMap')!.data['config.yml']).toMatch(/catalog:\n\s+maxentries: 500/);
  });

  test('a load balancer or a Route as the way in', () => {
    const elb = new RegistryChart(Testing.app(), 'elb', {
      namespace: 'registry',
      registry: { auth: RegistryAuth.none({ allowPublicAccess: true }) },
      loadBalancer: { certificateArn: ARN, hostname: 'registry.example.com', name: 'registry-public' },
    });
    const elbObjects = validateChart(elb);
    expect(elb.loadBalancer).toBeInstanceOf(ElbTlsService);
    expect(elbObjects.find((o) => o.kind === 'Service' && o.metadata.name === 'registry-public')!.spec.type).toBe('LoadBalancer');
    expect(kinds(elbObjects)).not.toContain('CronJob');

    const route = new RegistryChart(Testing.app(), 'route', {
      namespace: 'registry',
      registry: { auth: RegistryAuth.none({ allowPublicAccess: true }), platform: Platform.OPENSHIFT },
      route: { host: 'registry.apps.example.com', termination: RouteTermination.edge() },
    });
    const routeObjects = validateChart(route);
    expect(route.route).toBeInstanceOf(RegistryRoute);
    expect(routeObjects.find((o) => o.kind === 'Route')!.spec.tls.termination).toBe('edge');
    expect(routeObjects.find((o) => o.kind === 'ConfigMap')!.data['config.yml']).toContain('host: https://registry.apps.example.com');
  });

  test('createNamespace: false renders no Namespace, and needs no namespace', () => {
    const chart = new RegistryChart(Testing.app(), 'registry', { createNamespace: false, registry: { auth: RegistryAuth.none() } });
    const objects = validateChart(chart);
    expect(kinds(objects)).not.toContain('Namespace');
    expect(chart.namespaceObject).toBeUndefined();
    expect(objects.every((o) => o.metadata.namespace === undefined)).toBe(true);
  });

  test('bad combinations are refused with the chart path, the property and what would be valid', () => {
    const none = { auth: RegistryAuth.none() };
    expect(() => new RegistryChart(Testing.app(), 'reg', { registry: none }))
      .toThrow(/^reg: 'namespace' is required to create the Namespace: .*createNamespace: false/);
    expect(() => new RegistryChart(Testing.app(), 'reg', { namespace: 'Registry_NS', registry: none }))
      .toThrow(/^reg: 'namespace' \("Registry_NS"\) must be a DNS-1123 label/);
    expect(() => new RegistryChart(Testing.app(), 'reg', { namespace: 'Registry_NS', createNamespace: false, registry: none }))
      .toThrow(/^reg: 'namespace' \("Registry_NS"\) must be a DNS-1123 label/);
    expect(() => new RegistryChart(Testing.app(), 'reg', {
      namespace: 'registry',
      registry: none,
      ingress: { host: 'registry.example.com' },
      route: { host: 'registry.example.com' },
    })).toThrow(/^reg: 'route' cannot be combined with 'ingress': each way in sets the registry's external URL/);
    expect(() => new RegistryChart(Testing.app(), 'reg', {
      namespace: 'registry',
      registry: none,
      loadBalancer: { certificateArn: ARN, hostname: 'registry.example.com' },
      ingress: { host: 'registry.example.com' },
    })).toThrow(/^reg: 'ingress' cannot be combined with 'loadBalancer'/);
    expect(() => new RegistryChart(Testing.app(), 'reg', { namespace: 'registry' } as RegistryChartProps))
      .toThrow(/^reg: 'registry' is required/);
  });

  test("errors of the composed constructs name the composed construct's path", () => {
    const base = { namespace: 'registry', registry: { auth: RegistryAuth.none() } };
    expect(() => new RegistryChart(Testing.app(), 'reg', { ...base, registry: { auth: RegistryAuth.none(), replicas: 2 } }))
      .toThrow(/^reg\/Registry: 'replicas' \(2\)/);
    // (an open registry behind a public way in is judged at synth, once every part is known)
    expect(() => Testing.synth(new RegistryChart(Testing.app(), 'reg', { ...base, ingress: { host: 'registry.example.com' } })))
      .toThrow(/reg\/Ingress: 'registry' \(reg\/Registry\) has no authentication/);
    expect(() => new RegistryChart(Testing.app(), 'reg', { ...base, route: { host: 'registry.example.com' } }))
      .toThrow(/^reg\/Route: 'registry' \(reg\/Registry\) is written for platform kubernetes/);
    expect(() => new RegistryChart(Testing.app(), 'reg', { ...base, ingress: { host: 'not a host' } }))
      .toThrow(/^reg\/Ingress: 'host'/);
    expect(() => new RegistryChart(Testing.app(), 'reg', { ...base, loadBalancer: { certificateArn: 'nope', hostname: 'registry.example.com' } }))
      .toThrow(/^reg\/LoadBalancer: 'certificateArn'/);
    expect(() => new RegistryChart(Testing.app(), 'reg', {
      ...base,
      registry: { auth: RegistryAuth.none(), version: RegistryVersion.V2_8, storage: StorageBackend.persistentVolumeClaim() },
      garbageCollection: { deleteUntagged: true },
    })).toThrow(/^reg\/GarbageCollection: 'deleteUntagged' cannot be used with registry 2\.8/);
  });
});
