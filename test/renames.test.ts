/**
 * Renames move nothing: with `name`, every object a registry and its parts emit is named from it, and nothing in the
 * output depends on construct ids or charts. Synthesized, renamed (chart ids, construct ids), moved to other charts
 * of the same namespace, synthesized again: the same objects, byte for byte.
 * The garbage collection's objects included (`<name>-gc`), the alerts and dashboard (`<name>`, `<name>-dashboard`), and
 * the node files of a `NodeRegistryConfig` with its own `name` (ConfigMap, installer DaemonSet and ServiceAccount).
 */
import { App, Chart, Testing, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  ElbTlsService, GarbageCollection, HtpasswdAuth, Platform, RegistryAutoscaler, RegistryDeployment, RegistryDisruptionBudget, RegistryIngress,
  RegistryAlerts, RegistryIngressTls, RegistryMetrics, RegistryNodePort, RegistryNetworkPolicy, RegistryRoute, S3Credentials, StorageBackend,
  NodeConfigInstaller, NodeRegistryConfig,
} from '../src';
import { manifestErrors, validateChart } from './util/validate-manifests';

type Obj = { [key: string]: any };

const NAMESPACE = 'container-registry';
const certificateArn = 'arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';

/** Where each construct goes: one chart, or the registry in one and everything else in another (same namespace). */
interface Layout {
  readonly registryChart: string;
  readonly partsChart?: string;
  readonly ids: {
    readonly registry: string;
    readonly lb: string;
    readonly ingress: string;
    readonly budget: string;
    readonly policy: string;
    readonly autoscaler: string;
    readonly metrics: string;
    readonly gc: string;
    readonly route: string;
    readonly alerts: string;
    readonly nodePort: string;
    readonly nodes: string;
  };
}

function buildApp(layout: Layout, platform: Platform): Obj[] {
  const app = new App({ outdir: '/dev/null' });
  const registryChart = new Chart(app, layout.registryChart, { namespace: NAMESPACE });
  const partsChart = layout.partsChart ? new Chart(app, layout.partsChart, { namespace: NAMESPACE }) : registryChart;
  const keys = kplus.Secret.fromSecretName(registryChart, 'Keys', 'registry-keys');
  const registry = new RegistryDeployment(registryChart, layout.ids.registry, {
    name: 'registry',
    platform,
    auth: HtpasswdAuth.fromUsers({ users: [{ username: 'ci', password: 'a long random password' }] }),
    storage: StorageBackend.s3({ bucket: 'images', region: 'eu-west-1', credentials: S3Credentials.fromSecret(keys) }),
    httpSecret: { secret: keys, key: 'http-secret' },
    replicas: 3,
    metrics: true,
  });
  const ids = layout.ids;
  if (platform === Platform.OPENSHIFT) {
    const route = new RegistryRoute(partsChart, ids.route, { registry, host: 'registry.apps.example.com' });
    new RegistryNetworkPolicy(partsChart, ids.policy, { registry, allowFromNamespaces: ['ci'] });
    new NodeRegistryConfig(partsChart, ids.nodes, { name: 'registry-nodes', sources: [route], openShift: true });
  } else {
    new ElbTlsService(partsChart, ids.lb, { registry, hostname: 'registry.example.com', certificateArn });
    const nodePort = new RegistryNodePort(partsChart, ids.nodePort, { registry, nodePort: 30500 });
    new NodeRegistryConfig(partsChart, ids.nodes, { name: 'registry-nodes', sources: [nodePort], installer: NodeConfigInstaller.daemonSet() });
    new RegistryIngress(partsChart, ids.ingress, {
      registry, host: 'registry.example.com', tls: RegistryIngressTls.certManagerClusterIssuer('letsencrypt'),
    });
    new RegistryNetworkPolicy(partsChart, ids.policy, {
      registry, allowFromNamespaces: ['ci'], ingressControllerNamespace: 'ingress-nginx', allowFromCidrs: ['10.0.0.0/16'],
    });
  }
  new RegistryDisruptionBudget(partsChart, ids.budget, { registry, maxUnavailable: 2 });
  new RegistryAutoscaler(partsChart, ids.autoscaler, { registry, maxReplicas: 6 });
  const metrics = new RegistryMetrics(partsChart, ids.metrics, { registry, serviceMonitor: true });
  new RegistryAlerts(partsChart, ids.alerts, { metrics, dashboard: true });
  new GarbageCollection(partsChart, ids.gc, { registry });
  // One app, validated as a whole: a way in in one chart points at the Service of another.
  const objects = app.charts.flatMap((chart) => Testing.synth(chart));
  expect(manifestErrors(objects)).toEqual([]);
  return objects;
}


/** The objects keyed by kind and name, as YAML. */
function byIdentity(objects: Obj[]): { [key: string]: string } {
  const out: { [key: string]: string } = {};
  for (const o of objects) {
    out[`${o.kind}/${o.metadata.name}`] = Yaml.stringify(o);
  }
  return out;
}

const ORIGINAL: Layout = {
  registryChart: 'registry',
  ids: {
    registry: 'Registry',
    lb: 'LoadBalancer',
    ingress: 'Ingress',
    budget: 'Budget',
    policy: 'NetworkPolicy',
    autoscaler: 'Autoscaler',
    metrics: 'Metrics',
    gc: 'GarbageCollection',
    route: 'Route',
    alerts: 'Alerts',
    nodePort: 'NodePort',
    nodes: 'Nodes',
  },
};

const RENAMED: Layout = {
  registryChart: 'zq-images',
  partsChart: 'zq-edge',
  ids: {
    registry: 'Zq Registry',
    lb: 'ZqElb',
    ingress: 'ZqPublic',
    budget: 'ZqPdb',
    policy: 'ZqFirewall',
    autoscaler: 'ZqHpa',
    metrics: 'ZqPrometheus',
    gc: 'ZqSweep',
    route: 'ZqRoute',
    alerts: 'ZqPagers',
    nodePort: 'ZqNodes',
    nodes: 'ZqNodeFiles',
  },
};

describe.each([Platform.KUBERNETES, Platform.OPENSHIFT])('on %s', (platform) => {
  test('renaming chart and construct ids and moving the registry to another chart changes no object', () => {
    const before = buildApp(ORIGINAL, platform);
    const after = buildApp(RENAMED, platform);
    // THEN every object has the same identity and the same bytes
    expect(byIdentity(after)).toEqual(byIdentity(before));
    // AND nothing in them names a construct id or a chart
    const text = Object.values(byIdentity(after)).join('\n');
    expect(text.toLowerCase()).not.toContain('zq');
    expect(text).not.toContain('cdk8s.io/metadata.addr');
  });

  test('every object is named from the registry\'s name and carries its own component', () => {
    const objects = buildApp(ORIGINAL, platform);
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    const expected = [
      'ConfigMap/registry-config', 'Deployment/registry', 'HorizontalPodAutoscaler/registry', 'NetworkPolicy/registry',
      'PodDisruptionBudget/registry', 'Secret/registry-htpasswd', 'Service/registry', 'Service/registry-metrics',
      'ServiceAccount/registry', 'ServiceMonitor/registry',
      'PrometheusRule/registry', 'ConfigMap/registry-dashboard',
      'CronJob/registry-gc', 'Role/registry-gc', 'RoleBinding/registry-gc', 'ServiceAccount/registry-gc',
      'ConfigMap/registry-nodes', // the node files (NodeRegistryConfig's own name)
      ...(platform === Platform.OPENSHIFT ? ['Route/registry']
        : ['Ingress/registry', 'Service/registry-lb', 'Service/registry-node-port', 'DaemonSet/registry-nodes', 'ServiceAccount/registry-nodes']),
    ].sort();
    expect(names).toEqual(expected);
    const components = Object.fromEntries(objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/instance'] === 'registry')
      .map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.labels['app.kubernetes.io/component']]));
    expect(components).toMatchObject({
      'HorizontalPodAutoscaler/registry': 'autoscaler',
      'NetworkPolicy/registry': 'network-policy',
      'PodDisruptionBudget/registry': 'disruption-budget',
      'Service/registry': 'registry',
      'Service/registry-metrics': 'metrics',
      'Secret/registry-htpasswd': 'htpasswd',
      'ServiceMonitor/registry': 'metrics',
      'PrometheusRule/registry': 'alerts',
      'ConfigMap/registry-dashboard': 'dashboard',
      'CronJob/registry-gc': 'garbage-collection',
      'Role/registry-gc': 'garbage-collection',
      'RoleBinding/registry-gc': 'garbage-collection',
      'ServiceAccount/registry-gc': 'garbage-collection',
      ...(platform === Platform.OPENSHIFT ? { 'Route/registry': 'route' } : { 'Ingress/registry': 'ingress', 'Service/registry-lb': 'load-balancer', 'Service/registry-node-port': 'node-port' }),
    });
  });
});

test('the htpasswd hash and checksum/htpasswd do not depend on the construct path once the registry has a name', () => {
  const render = (id: string) => {
    const app = new App({ outdir: '/dev/null' });
    const chart = new Chart(app, `chart-${id.length}`, { namespace: NAMESPACE });
    const scope = new Construct(chart, `Scope${id.length}`);
    new RegistryDeployment(scope, id, { name: 'registry', auth: HtpasswdAuth.fromUsers({ users: [{ username: 'ci', password: 'a long random password' }] }) });
    const objects = validateChart(chart);
    const secret = objects.find((o) => o.kind === 'Secret')!;
    const pod = objects.find((o) => o.kind === 'Deployment')!.spec.template;
    return { name: secret.metadata.name, htpasswd: secret.stringData.htpasswd, checksum: pod.metadata.annotations['checksum/htpasswd'] };
  };
  const a = render('Registry');
  const b = render('Renamed-Registry');
  expect(a.name).toBe('registry-htpasswd');
  expect(a.htpasswd).toMatch(/^ci:\$2b\$05\$/);
  expect(b).toEqual(a);
  // another registry name (or namespace) still gets another salt
  const app = new App({ outdir: '/dev/null' });
  const chart = new Chart(app, 'c', { namespace: NAMESPACE });
  new RegistryDeployment(chart, 'Registry', { name: 'other', auth: HtpasswdAuth.fromUsers({ users: [{ username: 'ci', password: 'a long random password' }] }) });
  expect(validateChart(chart).find((o) => o.kind === 'Secret')!.stringData.htpasswd).not.toEqual(a.htpasswd);
});
