/**
 * Which pods each selector of the garbage-collection window picks, decided by Kubernetes' own label-selector code
 * (kustomize's `target.labelSelector`, in `kubectl kustomize`, parses and matches selectors with
 * k8s.io/apimachinery/pkg/labels), not by a matcher written here. Every pod template of the app becomes a Pod; each
 * selector the job's kubectl commands and affinity terms use becomes a patch target that marks the pods it picks.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import * as YAML from 'yaml';
import { GarbageCollection, RegistryAuth, RegistryDeployment, RegistryDisruptionBudget, RegistryMetrics, RegistryNetworkPolicy, S3Credentials, StorageBackend } from '../../src';
import { validateChart } from '../util/validate-manifests';

type Obj = { [key: string]: any };

/** The pods of an app as the cluster would run them: one per pod template (Deployment, CronJob, Job). */
function podsOf(objects: Obj[]): Obj[] {
  return objects.flatMap((o) => {
    const template = o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : o.kind === 'Deployment' || o.kind === 'Job' ? o.spec.template : undefined;
    if (!template) return [];
    return [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: `${o.kind.toLowerCase()}-${o.metadata.name}`, labels: template.metadata?.labels ?? {} }, spec: { containers: [{ name: 'c', image: 'x' }] } }];
  });
}

/** A label selector (`matchLabels` or the `--selector` string kubectl takes) as kustomize's labelSelector string. */
function selectorString(selector: { [key: string]: string } | string): string {
  return typeof selector === 'string' ? selector : Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',');
}

/** For each selector, the names of the pods it picks, as `kubectl kustomize` decides. */
function picked(pods: Obj[], selectors: { [name: string]: { [key: string]: string } | string }): { [name: string]: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gc-selectors-'));
  try {
    fs.writeFileSync(path.join(dir, 'pods.yaml'), pods.map((p) => YAML.stringify(p)).join('---\n'));
    const names = Object.keys(selectors);
    const kustomization = {
      resources: ['pods.yaml'],
      patches: names.map((name, i) => ({
        target: { kind: 'Pod', labelSelector: selectorString(selectors[name]) },
        patch: JSON.stringify([{ op: 'add', path: `/metadata/annotations/picked-by-${i}`, value: name }]),
      })),
    };
    fs.writeFileSync(path.join(dir, 'kustomization.yaml'), YAML.stringify(kustomization));
    const out = YAML.parseAllDocuments(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf-8' })).map((d) => d.toJS() as Obj);
    return Object.fromEntries(names.map((name, i) => [name,
      out.filter((p) => p.metadata.annotations?.[`picked-by-${i}`] === name).map((p) => p.metadata.name).sort()]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Every selector the window uses: the kubectl restarts, the job's affinity to registry pods, the registry's to job pods. */
function windowSelectors(objects: Obj[]): { [name: string]: { [key: string]: string } | string } {
  const deployment = objects.find((o) => o.kind === 'Deployment')!;
  const jobPod = objects.find((o) => o.kind === 'CronJob')!.spec.jobTemplate.spec.template.spec;
  const steps: Obj[] = [...jobPod.initContainers, ...jobPod.containers];
  const selectors: { [name: string]: { [key: string]: string } | string } = {};
  for (const step of steps.filter((c) => c.command?.[0] === 'kubectl')) {
    const flag = step.command.find((a: string) => a.startsWith('--selector='));
    if (flag) selectors[step.name] = flag.substring('--selector='.length);
  }
  for (const term of jobPod.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
    selectors['job affinity'] = term.labelSelector.matchLabels;
  }
  for (const term of deployment.spec.template.spec.affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
    selectors['registry affinity'] = term.podAffinityTerm.labelSelector.matchLabels;
  }
  return selectors;
}

describe('GarbageCollection selectors, as Kubernetes matches them (kubectl kustomize)', () => {
  test.each([
    ['a named registry on a claim', 'images'],
    ['an unnamed registry on a claim', undefined],
  ])('%s: the restarts and the job\'s affinity pick the registry pod only; the registry\'s affinity picks the job pod only', (_, name) => {
    // GIVEN a registry with its collection, and a second registry with its own collection in the same namespace
    const chart = Testing.chart();
    const registry = new RegistryDeployment(chart, 'Registry', { name, auth: RegistryAuth.none() });
    new GarbageCollection(chart, 'GC', { registry });
    const other = new RegistryDeployment(chart, 'Other', { name: name ? 'mirror' : undefined, auth: RegistryAuth.none() });
    new GarbageCollection(chart, 'OtherGC', { registry: other });
    const objects = validateChart(chart);
    const mine = objects.filter((o) => !o.metadata.name.includes('other') && !o.metadata.name.includes('mirror'));
    const pods = podsOf(objects);
    const registryPod = podsOf(mine.filter((o) => o.kind === 'Deployment'))[0].metadata.name;
    const jobPod = podsOf(mine.filter((o) => o.kind === 'CronJob'))[0].metadata.name;
    expect(pods.length).toBe(4);

    // WHEN Kubernetes' selector code evaluates each selector of this registry's window against every pod of the app
    const selectors = windowSelectors(mine);
    expect(Object.keys(selectors).sort()).toEqual(['job affinity', 'registry affinity', 'restart-read-only', 'restart-writable']);
    const result = picked(pods, selectors);

    // THEN the restarts and the job's affinity pick this registry's pod: not the job's own pod, not the other registry's
    expect(result['restart-read-only']).toEqual([registryPod]);
    expect(result['restart-writable']).toEqual([registryPod]);
    expect(result['job affinity']).toEqual([registryPod]);
    // AND the registry prefers the node of its own collection's pod, not the other collection's
    expect(result['registry affinity']).toEqual([jobPod]);
  });

  test('with several replicas, a budget, metrics and a network policy: the window\'s selectors pick registry pods only, and no budget selects the job pod', () => {
    const chart = Testing.chart();
    const registry = new RegistryDeployment(chart, 'Registry', {
      name: 'images',
      auth: RegistryAuth.none(),
      replicas: 3,
      metrics: true,
      httpSecret: { secret: kplus.Secret.fromSecretName(chart, 'Http', 'http'), key: 'secret' },
      storage: StorageBackend.s3({ bucket: 'images', region: 'us-east-1', credentials: S3Credentials.fromIamRole('arn:aws:iam::123456789012:role/registry') }),
      disruptionBudget: false,
    });
    new RegistryDisruptionBudget(chart, 'Budget', { registry });
    new RegistryMetrics(chart, 'Metrics', { registry });
    new RegistryNetworkPolicy(chart, 'Policy', { registry, allowFromNamespaces: ['ci'] });
    new GarbageCollection(chart, 'GC', { registry });
    const objects = validateChart(chart);
    const pods = podsOf(objects);
    const [registryPod, jobPod] = ['Deployment', 'CronJob'].map((kind) => podsOf(objects.filter((o) => o.kind === kind))[0].metadata.name);

    const selectors = windowSelectors(objects);
    // object storage: no colocation, so only the restarts select
    expect(Object.keys(selectors).sort()).toEqual(['restart-read-only', 'restart-writable']);
    const budget = objects.find((o) => o.kind === 'PodDisruptionBudget')!;
    const result = picked(pods, { ...selectors, budget: budget.spec.selector.matchLabels });
    expect(result['restart-read-only']).toEqual([registryPod]);
    expect(result['restart-writable']).toEqual([registryPod]);
    // a budget over the job's pod would allow it no disruption (no scale subresource) and block node drains
    expect(result.budget).not.toContain(jobPod);
  });

  test('the kustomize check itself: `!=` picks pods without the key (what made the old window wait for its own pod)', () => {
    const pods = [
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'registry', labels: { 'app.kubernetes.io/name': 'registry', 'cdk8s-registry/maintenance': 'read-only' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'job', labels: { 'app.kubernetes.io/name': 'registry', 'app.kubernetes.io/component': 'garbage-collection' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
    ];
    expect(picked(pods, { old: 'app.kubernetes.io/name=registry,cdk8s-registry/maintenance!=read-only' }).old).toEqual(['job']);
  });
});
