/**
 * The whole-app check (test/util/cluster-check.ts) on every example app and on apps of the shapes the unit suite
 * builds: every selector picks exactly the pods it means (evaluated by `kubectl kustomize`), at most one budget per
 * pod, every reference resolves in its namespace, every kubectl a job runs is allowed by its Role. And the check
 * itself: each rule fails on the mistake it exists for.
 */
import { App, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { buildExamples } from '../examples/main';
import {
  ElbTlsService, GarbageCollection, HtpasswdAuth, Platform, RedisBlobDescriptorCache, RegistryAuth, RegistryAutoscaler, RegistryChart,
  RegistryDeployment, RegistryDisruptionBudget, RegistryIngress, RegistryMetrics, RegistryNetworkPolicy, RegistryRoute, RegistryTls,
  RouteTermination, S3Credentials, StorageBackend, PodAntiAffinity,
} from '../src';
import { clusterCheck, ClusterCheckResult, declaredExternals } from './util/cluster-check';

type Obj = { [key: string]: any };

/** Synthesizes every chart of the app and checks the objects together. */
function checkApp(app: App): ClusterCheckResult {
  const objects = app.charts.flatMap((chart) => Testing.synth(chart));
  return clusterCheck(objects, { external: declaredExternals(app) });
}

const certificateArn = 'arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';

function sharedStorage(chart: Chart) {
  const keys = kplus.Secret.fromSecretName(chart, 'Keys', 'registry-keys');
  return {
    storage: StorageBackend.s3({ bucket: 'images', region: 'eu-west-1', credentials: S3Credentials.fromSecret(keys) }),
    httpSecret: { secret: keys, key: 'http-secret' },
  };
}

test('every example app: selectors, budgets, references and RBAC hold', () => {
  const app = Testing.app();
  buildExamples(app);
  const result = checkApp(app);
  expect(result.problems).toEqual([]);
  // the check did look: every Service of the examples picks its registry's Deployment only
  const services = result.picks.filter((p) => p.source.startsWith('Service '));
  expect(services.length).toBeGreaterThanOrEqual(app.charts.length);
  for (const pick of services) expect(pick.picked).toHaveLength(1);
});

describe('apps of the unit suite\'s shapes', () => {
  test('several replicas with every availability part and a way in, two registries in one namespace', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'registry', { namespace: 'container-registry' });
    const storage = sharedStorage(chart);
    for (const name of ['registry', 'mirror']) {
      const registry = new RegistryDeployment(chart, name, {
        name,
        auth: HtpasswdAuth.fromUsers({ users: [{ username: 'ci', password: 'a long random password' }] }),
        ...storage,
        replicas: 3,
        metrics: true,
        placement: { antiAffinity: PodAntiAffinity.PREFERRED },
      });
      new RegistryDisruptionBudget(chart, `${name}-budget`, { registry, maxUnavailable: 2 });
      new RegistryAutoscaler(chart, `${name}-autoscaler`, { registry, maxReplicas: 6 });
      new RegistryMetrics(chart, `${name}-metrics`, { registry, serviceMonitor: true });
      new RegistryNetworkPolicy(chart, `${name}-policy`, {
        registry, allowFromPods: { app: 'builder' }, ingressControllerNamespace: 'ingress-nginx', allowFromCidrs: ['10.0.0.0/16'],
      });
      new RegistryIngress(chart, `${name}-ingress`, { registry, host: `${name}.example.com` });
      registry.addPart(new RedisBlobDescriptorCache({ addresses: ['redis.cache.svc:6379'] }));
    }
    const result = checkApp(app);
    expect(result.problems).toEqual([]);
    // THEN each registry's selectors pick its own pods only, though both share name=registry
    const budget = result.picks.find((p) => p.source === 'PodDisruptionBudget container-registry/mirror spec.selector')!;
    expect(budget.picked).toEqual(['Deployment/container-registry/mirror']);
  });

  test('OpenShift with a reencrypt Route and a policy; an ELB with an NLB', () => {
    const app = Testing.app();
    const openshift = new Chart(app, 'openshift', { namespace: 'registry-os' });
    const tls = RegistryTls.fromSecret(kplus.Secret.fromSecretName(openshift, 'Tls', 'registry-tls'));
    const os = new RegistryDeployment(openshift, 'Registry', { name: 'registry', platform: Platform.OPENSHIFT, auth: RegistryAuth.none({ allowPublicAccess: true }), tls });
    new RegistryRoute(openshift, 'Route', { registry: os, host: 'registry.apps.example.com', termination: RouteTermination.reencrypt() });
    new RegistryNetworkPolicy(openshift, 'Policy', { registry: os });
    const aws = new Chart(app, 'aws', { namespace: 'registry-aws' });
    const elb = new RegistryDeployment(aws, 'Registry', { auth: RegistryAuth.none({ allowPublicAccess: true }), ...sharedStorage(aws), replicas: 2 });
    new ElbTlsService(aws, 'Nlb', { registry: elb, hostname: 'registry.example.com', certificateArn });
    expect(checkApp(app).problems).toEqual([]);
  });

  test('a registry with a garbage collection window: the job picks the registry\'s pods only, and no registry selector its pod', () => {
    const app = Testing.app();
    new RegistryChart(app, 'registry', {
      namespace: 'container-registry',
      registry: { name: 'registry', auth: RegistryAuth.none(), storageOptions: { deleteEnabled: true } },
      garbageCollection: {},
    });
    expect(checkApp(app).problems).toEqual([]);
  });

  test('a garbage collection of a registry with several replicas on shared storage', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'registry', { namespace: 'container-registry' });
    const registry = new RegistryDeployment(chart, 'Registry', { name: 'registry', auth: RegistryAuth.none(), ...sharedStorage(chart), replicas: 2, storageOptions: { deleteEnabled: true } });
    new GarbageCollection(chart, 'GarbageCollection', { registry });
    expect(checkApp(app).problems).toEqual([]);
  });
});

describe('the check fails on the mistakes it exists for', () => {
  const labels = { 'app.kubernetes.io/name': 'registry', 'app.kubernetes.io/instance': 'registry' };
  const deployment = (extra: Obj = {}): Obj => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'registry', namespace: 'ns', labels },
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels: { ...labels, 'app.kubernetes.io/component': 'registry' } }, spec: { containers: [{ name: 'registry', image: 'registry:3.1.2', ...extra }] } } },
  });
  // a job's pod labelled as the shared label decision says: not the registry's name and instance together
  const partLabels = { 'app.kubernetes.io/name': 'registry-garbage-collection', 'app.kubernetes.io/instance': 'registry', 'app.kubernetes.io/component': 'garbage-collection' };
  const job = (container: Obj, podLabels: Obj = { ...labels, 'app.kubernetes.io/component': 'garbage-collection' }): Obj => ({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'gc', namespace: 'ns', labels },
    spec: { schedule: '0 3 * * 0', jobTemplate: { spec: { template: { metadata: { labels: podLabels }, spec: { serviceAccountName: 'gc', containers: [{ name: 'step', image: 'kubectl', ...container }] } } } } },
  });
  const account: Obj = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'gc', namespace: 'ns' } };

  test('a Service selecting by name and instance only picks the job\'s pods too', () => {
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'registry', namespace: 'ns', labels }, spec: { selector: labels } };
    const { problems } = clusterCheck([deployment(), job({ command: ['true'] }), account, service]);
    expect(problems).toContainEqual(expect.stringMatching(/^Service ns\/registry spec.selector \(.*\) picks CronJob\/ns\/gc, Deployment\/ns\/registry, but should pick Deployment\/ns\/registry$/));
  });

  test('matchExpressions and != are evaluated as Kubernetes does (absent keys match != and NotIn)', () => {
    const pdb = (name: string, selector: Obj) => ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: 'ns', labels }, spec: { maxUnavailable: 1, selector } });
    const result = clusterCheck([deployment(), job({ command: ['true'] }), account,
      pdb('a', { matchLabels: labels, matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'NotIn', values: ['garbage-collection'] }] }),
      pdb('b', { matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'In', values: ['registry'] }] })]);
    expect(result.picks.find((p) => p.source.includes('PodDisruptionBudget ns/a'))!.picked).toEqual(['Deployment/ns/registry']);
    // two budgets for one pod: refused by Kubernetes' eviction
    expect(result.problems).toContainEqual(expect.stringMatching(/^Deployment\/ns\/registry: its pods are selected by 2 PodDisruptionBudgets/));
    const kubectl = job({ command: ['kubectl', 'wait', 'pod', '--for=delete', '--selector=app.kubernetes.io/name=registry,maintenance!=read-only'] });
    expect(clusterCheck([deployment(), kubectl, account]).problems)
      .toContainEqual(expect.stringMatching(/container step: kubectl wait pod .* picks CronJob\/ns\/gc, Deployment\/ns\/registry, but should pick Deployment\/ns\/registry/));
  });

  test('references that do not resolve, unless declared external', () => {
    const env = { env: [{ name: 'KEY', valueFrom: { secretKeyRef: { name: 's3-keys', key: 'accessKey' } } }] };
    const config = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'config', namespace: 'other' }, data: { 'config.yml': '' } };
    const volumes = deployment({ volumeMounts: [] });
    volumes.spec.template.spec.volumes = [{ name: 'c', configMap: { name: 'config' } }, { name: 'd', persistentVolumeClaim: { claimName: 'data' } }];
    volumes.spec.template.spec.containers[0].env = env.env;
    const problems = clusterCheck([volumes, config]).problems;
    expect(problems).toContainEqual('Deployment/ns/registry volume c: ConfigMap "config" is neither in the output in namespace ns nor declared external');
    expect(problems).toContainEqual('Deployment/ns/registry volume d: PersistentVolumeClaim "data" is neither in the output in namespace ns nor declared external');
    expect(problems).toContainEqual('Deployment/ns/registry container registry env KEY: Secret "s3-keys" is neither in the output in namespace ns nor declared external');
    expect(clusterCheck([volumes], { external: ['ConfigMap/ns/config', 'PersistentVolumeClaim/ns/data', 'Secret/ns/s3-keys'] }).problems).toEqual([]);
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's3-keys', namespace: 'ns' }, stringData: { secretKey: 'x' } };
    expect(clusterCheck([volumes, secret], { external: ['ConfigMap/ns/config', 'PersistentVolumeClaim/ns/data'] }).problems)
      .toEqual(['Deployment/ns/registry container registry env KEY: Secret "s3-keys" has no key "accessKey"']);
  });

  test('a kubectl verb its Role does not grant, in argv or in a shell script', () => {
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'gc', namespace: 'ns' },
      rules: [{ apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['registry'], verbs: ['get', 'patch'] }, { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
    };
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'gc', namespace: 'ns' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'gc' },
      subjects: [{ kind: 'ServiceAccount', name: 'gc', namespace: 'ns' }],
    };
    const patch = job({ command: ['kubectl', 'patch', 'deployment', 'registry', '--type=strategic', '-p', '{}'] }, partLabels);
    expect(clusterCheck([deployment(), patch, account, role, binding]).problems).toEqual([]);
    const other = job({ command: ['kubectl', 'patch', 'deployment/other', '-p', '{}'] }, partLabels);
    expect(clusterCheck([deployment(), other, account, role, binding]).problems)
      .toContainEqual(expect.stringMatching(/kubectl patch deployment\/other -p \{\}: ServiceAccount gc may not patch deployments.apps other in namespace ns/));
    const script = job({ command: ['/bin/sh', '-c', 'set -e\nkubectl rollout status deployment/registry --timeout=60s && kubectl delete pod -l app=x'] }, partLabels);
    const problems = clusterCheck([deployment(), script, account, role, binding]).problems;
    expect(problems).toContainEqual(expect.stringMatching(/kubectl rollout status deployment\/registry --timeout=60s: ServiceAccount gc may not list deployments.apps registry/));
    expect(problems).toContainEqual(expect.stringMatching(/kubectl delete pod -l app=x: ServiceAccount gc may not delete pods in namespace ns/));
    // a job bound to nothing may do nothing
    expect(clusterCheck([deployment(), patch, account]).problems).toContainEqual(expect.stringMatching(/may not patch deployments.apps registry/));
  });
});
