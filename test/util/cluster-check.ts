/**
 * The whole-app check: what the cluster would do with the synthesized objects, asked of Kubernetes' own code where it
 * runs offline.
 *
 * - Every label selector of the output (a workload's own selector, Services, PodDisruptionBudgets, NetworkPolicy pod
 *   and peer selectors, topology spread and pod (anti-)affinity terms, and the `-l`/`--selector` of every kubectl a
 *   container runs) is evaluated against every pod template of the output by `kubectl kustomize`: one run per app, a
 *   patch per selector whose `target.labelSelector` is the selector, so the label-selector parser and matcher are
 *   Kubernetes' (`!=` and `notin` also pick pods without the key, as in the cluster). Each selector must pick exactly
 *   the pods it is meant for:
 *   - a workload's own selector: its own pods;
 *   - a Service's, a budget's, a NetworkPolicy's podSelector: the long-running pods (not a Job's) of the object's
 *     `app.kubernetes.io/instance` in its namespace (of any one workload when the object has no instance label);
 *   - a long-running workload's spread and affinity terms: its own pods (a pod affinity term naming another component
 *     of its instance: that component's pods); a Job's: the long-running pods of its instance;
 *   - a kubectl selector of a Job's container that names pods: the long-running pods of its instance, never the Job's own.
 *   NetworkPolicy peer selectors admit sources, which may live outside the output: they are evaluated (a selector
 *   kustomize refuses is a problem) and reported in `picks`, not held to a target.
 * - At most one PodDisruptionBudget picks a pod (Kubernetes refuses every eviction of a pod that two budgets select).
 * - Every namespaced reference resolves in its own namespace: claims, ConfigMaps and Secrets of volumes and env
 *   (and their keys, for objects of the output), ServiceAccounts, image pull Secrets, Roles and subjects of
 *   RoleBindings, an Ingress's or Route's Service, an autoscaler's target. Objects made elsewhere are declared
 *   external (`declaredExternals` reads `Secret.fromSecretName` and the like from the construct tree).
 * - Every kubectl verb on a resource that a container runs (argv or a shell script) is granted by the Roles bound to
 *   the pod's ServiceAccount in the namespace it acts on.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { parseAllDocuments } from 'yaml';

type Obj = { [key: string]: any };

/** Options of `clusterCheck`. */
export interface ClusterCheckOptions {
  /**
   * Objects that exist in the cluster but not in the output, as `Kind/namespace/name` (namespace '' for objects
   * without one, '*' for every namespace): Secrets managed elsewhere, a claim made by hand. See `declaredExternals`.
   */
  readonly external?: string[];
}

/** What one selector picked. */
export interface SelectorPick {
  /** Where the selector is written, such as `Service container-registry/registry spec.selector`. */
  readonly source: string;
  /** The selector as Kubernetes' label-selector syntax. */
  readonly selector: string;
  /** The workloads whose pods it picks, as `Kind/namespace/name`. */
  readonly picked: string[];
  /** The workloads it is meant to pick, or undefined when any is fine (NetworkPolicy peers). */
  readonly intended?: string[];
}

/** The result of `clusterCheck`. */
export interface ClusterCheckResult {
  /** Every problem found; empty when the app is sound. */
  readonly problems: string[];
  /** What every selector picked. */
  readonly picks: SelectorPick[];
}

/** The label that keeps each synthetic pod in its namespace during the kustomize run. */
const NAMESPACE_KEY = 'cluster-check.cdk8s-registry.test/namespace';
const APP_KEY = 'cluster-check.cdk8s-registry.test/app';

/** Objects that exist in every namespace. */
const BUILT_IN = ['ConfigMap/kube-root-ca.crt', 'ServiceAccount/default'];

interface Workload {
  readonly id: string;
  readonly kind: string;
  readonly namespace: string;
  readonly labels: { [key: string]: string };
  readonly pod: Obj;
  readonly job: boolean;
  readonly instance?: string;
}

interface SelectorUse {
  readonly source: string;
  readonly namespace: string;
  /** Kubernetes label-selector syntax ('' selects everything). */
  readonly selector: string;
  readonly intended?: Set<string>;
  readonly budget?: boolean;
}

const ns = (o: Obj): string => o.metadata?.namespace ?? '';

function podTemplateOf(o: Obj): Obj | undefined {
  if (o.kind === 'Pod') return { metadata: o.metadata, spec: o.spec };
  if (o.kind === 'CronJob') return o.spec?.jobTemplate?.spec?.template;
  if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'ReplicationController'].includes(o.kind)) return o.spec?.template;
  return undefined;
}

/** A metav1.LabelSelector (or a Service's plain map) in label-selector syntax, as `metav1.LabelSelectorAsSelector` reads it. */
export function selectorString(selector: Obj | undefined, plainMap = false): string {
  if (!selector) return '';
  const matchLabels: Obj = plainMap ? selector : selector.matchLabels ?? {};
  const parts = Object.keys(matchLabels).sort().map((k) => `${k}=${matchLabels[k]}`);
  for (const e of plainMap ? [] : selector.matchExpressions ?? []) {
    switch (e.operator) {
      case 'In': parts.push(`${e.key} in (${e.values.join(',')})`); break;
      case 'NotIn': parts.push(`${e.key} notin (${e.values.join(',')})`); break;
      case 'Exists': parts.push(e.key); break;
      case 'DoesNotExist': parts.push(`!${e.key}`); break;
      default: throw new Error(`unknown label selector operator ${e.operator}`);
    }
  }
  return parts.join(',');
}

/**
 * Objects declared in the construct tree as existing outside the output (`Secret.fromSecretName`,
 * `ConfigMap.fromConfigMapName`, `PersistentVolumeClaim.fromClaimName`, `ServiceAccount.fromServiceAccountName`),
 * as `Kind/namespace/name` for `ClusterCheckOptions.external`.
 */
export function declaredExternals(root: IConstruct): string[] {
  const out = new Set<string>();
  for (const c of root.node.findAll()) {
    const any = c as any;
    if (c instanceof ApiObject || c instanceof kplus.Resource || typeof any.resourceType !== 'string') continue;
    if (typeof any.kind === 'string' && typeof any.name === 'string') {
      // An import made outside every chart (on the App) has no namespace of its own.
      const chart = c.node.scopes.find(Chart.isChart);
      out.add(`${any.kind}/${chart?.namespace ?? ''}/${any.name}`);
    }
  }
  return [...out].sort();
}

/** Checks the objects of one app (every chart's, concatenated) as the cluster would run them. */
export function clusterCheck(objects: Obj[], options: ClusterCheckOptions = {}): ClusterCheckResult {
  return clusterCheckApps([{ objects, options }])[0];
}

/** An app for `clusterCheckApps`. */
export interface ClusterCheckApp {
  readonly objects: Obj[];
  readonly options?: ClusterCheckOptions;
}

/**
 * Checks several apps, each on its own (an app's selectors never see another app's pods), with one kustomize run
 * for all of them.
 */
export function clusterCheckApps(apps: ClusterCheckApp[]): ClusterCheckResult[] {
  const prepared = apps.map((app) => prepare(app.objects));
  const problems: string[][] = apps.map(() => []);
  const picks = evaluate(prepared, problems);
  return apps.map((app, i) => judge(app.objects, app.options ?? {}, prepared[i], picks[i], problems[i]));
}

interface Prepared {
  readonly workloads: Workload[];
  readonly uses: SelectorUse[];
}

function prepare(objects: Obj[]): Prepared {
  const workloads: Workload[] = [];
  for (const o of objects) {
    const template = podTemplateOf(o);
    if (!template) continue;
    const labels = template.metadata?.labels ?? {};
    workloads.push({
      id: `${o.kind}/${ns(o)}/${o.metadata?.name}`,
      kind: o.kind,
      namespace: ns(o),
      labels,
      pod: template.spec ?? {},
      job: o.kind === 'Job' || o.kind === 'CronJob' || o.kind === 'Pod',
      instance: labels['app.kubernetes.io/instance'],
    });
  }
  /** The long-running workloads of an instance in a namespace (any long-running one when no instance is known). */
  const servingPods = (namespace: string, instance: string | undefined): Set<string> => new Set(workloads
    .filter((w) => !w.job && w.namespace === namespace && (instance === undefined || w.instance === instance)).map((w) => w.id));

  /** The workloads of one component of an instance in a namespace. */
  const componentPods = (namespace: string, instance: string | undefined, component: string): Set<string> => new Set(workloads
    .filter((w) => w.namespace === namespace && w.instance === instance && w.labels['app.kubernetes.io/component'] === component).map((w) => w.id));

  const uses: SelectorUse[] = [];
  for (const o of objects) {
    const at = `${o.kind} ${ns(o) || '(no namespace)'}/${o.metadata?.name}`;
    const instance: string | undefined = o.metadata?.labels?.['app.kubernetes.io/instance'];
    if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(o.kind)) {
      uses.push({ source: `${at} spec.selector`, namespace: ns(o), selector: selectorString(o.spec?.selector), intended: new Set([`${o.kind}/${ns(o)}/${o.metadata?.name}`]) });
    }
    if (o.kind === 'Service' && o.spec?.selector) {
      uses.push({ source: `${at} spec.selector`, namespace: ns(o), selector: selectorString(o.spec.selector, true), intended: servingPods(ns(o), instance) });
    }
    if (o.kind === 'PodDisruptionBudget') {
      uses.push({ source: `${at} spec.selector`, namespace: ns(o), selector: selectorString(o.spec?.selector), intended: servingPods(ns(o), instance), budget: true });
    }
    if (o.kind === 'NetworkPolicy') {
      uses.push({ source: `${at} spec.podSelector`, namespace: ns(o), selector: selectorString(o.spec?.podSelector), intended: servingPods(ns(o), instance) });
      const rules = [...(o.spec?.ingress ?? []).map((r: Obj) => ['ingress', r.from ?? []]), ...(o.spec?.egress ?? []).map((r: Obj) => ['egress', r.to ?? []])];
      rules.forEach(([direction, peers]: [string, Obj[]], i: number) => peers.forEach((peer, j) => {
        // A peer with a namespace selector picks pods of other namespaces, which the output does not hold.
        if (peer.podSelector && !peer.namespaceSelector) {
          uses.push({ source: `${at} spec.${direction}[${i}] peer ${j} podSelector`, namespace: ns(o), selector: selectorString(peer.podSelector) });
        }
      }));
    }
  }
  for (const w of workloads) {
    const own = w.job ? servingPods(w.namespace, w.instance) : new Set([w.id]);
    const terms: [string, Obj][] = [];
    (w.pod.topologySpreadConstraints ?? []).forEach((c: Obj, i: number) => terms.push([`topologySpreadConstraints[${i}]`, c]));
    for (const kind of ['podAffinity', 'podAntiAffinity']) {
      const a = w.pod.affinity?.[kind] ?? {};
      (a.requiredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t: Obj, i: number) => terms.push([`affinity.${kind}.required[${i}]`, t]));
      (a.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t: Obj, i: number) => terms.push([`affinity.${kind}.preferred[${i}]`, t.podAffinityTerm]));
    }
    for (const [where, term] of terms) {
      if (!term?.labelSelector || term.namespaceSelector) continue;
      const namespaces: string[] = term.namespaces?.length ? term.namespaces : [w.namespace];
      // Pod affinity of a long-running workload to another component of its instance (the registry's pods prefer the
      // node of their garbage collection's pod): that component's pods, not its own.
      const component: string | undefined = term.labelSelector.matchLabels?.['app.kubernetes.io/component'];
      const toOther = !w.job && where.startsWith('affinity.podAffinity.') && component !== undefined
        && component !== w.labels['app.kubernetes.io/component'];
      for (const namespace of namespaces) {
        const intended = toOther ? componentPods(namespace, w.instance, component) : own;
        uses.push({ source: `${w.id} pod ${where}`, namespace, selector: selectorString(term.labelSelector), intended });
      }
    }
    for (const run of kubectlRuns(w)) {
      if (run.selector !== undefined && run.resources.some((r) => r.resource === 'pods')) {
        uses.push({ source: `${w.id} container ${run.container}: kubectl ${run.argv.join(' ')}`, namespace: run.namespace ?? w.namespace, selector: run.selector, intended: servingPods(w.namespace, w.instance) });
      }
    }
  }

  return { workloads, uses };
}

function judge(objects: Obj[], options: ClusterCheckOptions, prepared: Prepared, picks: SelectorPick[], problems: string[]): ClusterCheckResult {
  const { workloads, uses } = prepared;
  for (const pick of picks) {
    if (pick.intended === undefined) continue;
    const wanted = [...pick.intended].sort();
    if (wanted.length === 0 || JSON.stringify(pick.picked) !== JSON.stringify(wanted)) {
      problems.push(`${pick.source} (${pick.selector || 'everything'}) picks ${describe(pick.picked)}, but should pick ${describe(wanted)}`);
    }
  }
  // At most one budget per pod.
  for (const w of workloads) {
    const budgets = picks.filter((p, i) => uses[i].budget && p.picked.includes(w.id)).map((p) => p.source);
    if (budgets.length > 1) problems.push(`${w.id}: its pods are selected by ${budgets.length} PodDisruptionBudgets (${budgets.join('; ')}): Kubernetes refuses every eviction of them`);
  }
  problems.push(...referenceProblems(objects, workloads, options), ...rbacProblems(objects, workloads));
  return { problems, picks };
}

function describe(ids: string[]): string {
  return ids.length === 0 ? 'no pod template' : ids.join(', ');
}

/**
 * One kustomize run for every app: a synthetic Pod per workload, a JSON patch per selector that marks the pods it
 * picks. Labels of the check's own keep each app's pods and each namespace's apart.
 */
function evaluate(apps: Prepared[], problems: string[][]): SelectorPick[][] {
  if (apps.every((a) => a.uses.length === 0)) return apps.map(() => []);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-check-'));
  try {
    const pods = apps.flatMap(({ workloads }, a) => workloads.map((w, i) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `a${a}w${i}`, annotations: { seed: '1' }, labels: { ...w.labels, [NAMESPACE_KEY]: w.namespace || 'none', [APP_KEY]: String(a) } },
    })));
    fs.writeFileSync(path.join(dir, 'pods.yaml'), pods.map((p) => JSON.stringify(p)).join('\n---\n'));
    const patches = apps.flatMap(({ uses }, a) => uses.map((u, j) => ({
      target: { kind: 'Pod', labelSelector: [u.selector, `${NAMESPACE_KEY}=${u.namespace || 'none'}`, `${APP_KEY}=${a}`].filter((s) => s !== '').join(',') },
      patch: JSON.stringify([{ op: 'add', path: `/metadata/annotations/a${a}s${j}`, value: '1' }]),
    })));
    fs.writeFileSync(path.join(dir, 'kustomization.yaml'), JSON.stringify({ resources: ['pods.yaml'], patches }));
    let output: string;
    try {
      output = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf-8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      for (const p of problems) p.push(`kubectl kustomize refused a selector: ${(e as any).stderr ?? (e as Error).message}`);
      return apps.map(() => []);
    }
    const picked = new Map<string, string[]>();
    for (const doc of parseAllDocuments(output)) {
      const pod = doc.toJSON();
      if (!pod?.metadata) continue;
      const [, a, i] = /^a(\d+)w(\d+)$/.exec(pod.metadata.name)!;
      const workload = apps[Number(a)].workloads[Number(i)];
      for (const key of Object.keys(pod.metadata.annotations ?? {})) {
        if (/^a\d+s\d+$/.test(key)) picked.set(key, [...(picked.get(key) ?? []), workload.id]);
      }
    }
    return apps.map(({ uses }, a) => uses.map((u, j) => ({
      source: u.source, selector: u.selector, picked: (picked.get(`a${a}s${j}`) ?? []).sort(), intended: u.intended ? [...u.intended].sort() : undefined,
    })));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// References.
// ---------------------------------------------------------------------------------------------

function referenceProblems(objects: Obj[], workloads: Workload[], options: ClusterCheckOptions): string[] {
  const problems: string[] = [];
  const byKey = new Map<string, Obj>(objects.map((o) => [`${o.kind}/${ns(o)}/${o.metadata?.name}`, o]));
  const external = new Set(options.external ?? []);
  const resolve = (at: string, kind: string, namespace: string, name: string | undefined, key?: string) => {
    if (name === undefined) return;
    if (BUILT_IN.includes(`${kind}/${name}`) || external.has(`${kind}/${namespace}/${name}`) || external.has(`${kind}/*/${name}`)) return;
    const target = byKey.get(`${kind}/${namespace}/${name}`);
    if (!target) {
      problems.push(`${at}: ${kind} ${JSON.stringify(name)} is neither in the output in namespace ${namespace || '(none)'} nor declared external`);
    } else if (key !== undefined && (kind === 'Secret' || kind === 'ConfigMap')
      && !(key in (target.data ?? {})) && !(key in (target.stringData ?? {})) && !(key in (target.binaryData ?? {}))) {
      problems.push(`${at}: ${kind} ${JSON.stringify(name)} has no key ${JSON.stringify(key)}`);
    }
  };
  for (const w of workloads) {
    const pod = w.pod;
    const at = w.id;
    if (pod.serviceAccountName) resolve(`${at} serviceAccountName`, 'ServiceAccount', w.namespace, pod.serviceAccountName);
    for (const s of pod.imagePullSecrets ?? []) resolve(`${at} imagePullSecrets`, 'Secret', w.namespace, s.name);
    for (const v of pod.volumes ?? []) {
      const where = `${at} volume ${v.name}`;
      if (v.persistentVolumeClaim) resolve(where, 'PersistentVolumeClaim', w.namespace, v.persistentVolumeClaim.claimName);
      if (v.configMap && !v.configMap.optional) {
        for (const item of v.configMap.items ?? [undefined]) resolve(where, 'ConfigMap', w.namespace, v.configMap.name, item?.key);
      }
      if (v.secret && !v.secret.optional) {
        for (const item of v.secret.items ?? [undefined]) resolve(where, 'Secret', w.namespace, v.secret.secretName, item?.key);
      }
      for (const source of v.projected?.sources ?? []) {
        for (const [field, kind] of [['configMap', 'ConfigMap'], ['secret', 'Secret']]) {
          const ref = source[field];
          if (ref && !ref.optional) for (const item of ref.items ?? [undefined]) resolve(where, kind, w.namespace, ref.name, item?.key);
        }
      }
    }
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      const where = `${at} container ${c.name}`;
      for (const e of c.env ?? []) {
        const s = e.valueFrom?.secretKeyRef;
        const m = e.valueFrom?.configMapKeyRef;
        if (s && !s.optional) resolve(`${where} env ${e.name}`, 'Secret', w.namespace, s.name, s.key);
        if (m && !m.optional) resolve(`${where} env ${e.name}`, 'ConfigMap', w.namespace, m.name, m.key);
      }
      for (const e of c.envFrom ?? []) {
        if (e.secretRef && !e.secretRef.optional) resolve(`${where} envFrom`, 'Secret', w.namespace, e.secretRef.name);
        if (e.configMapRef && !e.configMapRef.optional) resolve(`${where} envFrom`, 'ConfigMap', w.namespace, e.configMapRef.name);
      }
    }
  }
  for (const o of objects) {
    const at = `${o.kind} ${ns(o)}/${o.metadata?.name}`;
    if (o.kind === 'RoleBinding') {
      if (o.roleRef?.kind === 'Role') resolve(`${at} roleRef`, 'Role', ns(o), o.roleRef.name);
      for (const s of o.subjects ?? []) {
        if (s.kind === 'ServiceAccount') resolve(`${at} subject`, 'ServiceAccount', s.namespace ?? ns(o), s.name);
      }
    }
    if (o.kind === 'Ingress') {
      for (const rule of o.spec?.rules ?? []) {
        for (const p of rule.http?.paths ?? []) resolve(`${at} backend`, 'Service', ns(o), p.backend?.service?.name);
      }
      for (const tls of o.spec?.tls ?? []) resolve(`${at} tls`, 'Secret', ns(o), tls.secretName);
    }
    if (o.kind === 'Route') resolve(`${at} to`, 'Service', ns(o), o.spec?.to?.name);
    if (o.kind === 'HorizontalPodAutoscaler') resolve(`${at} scaleTargetRef`, o.spec?.scaleTargetRef?.kind, ns(o), o.spec?.scaleTargetRef?.name);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// kubectl commands and the Roles that must allow them.
// ---------------------------------------------------------------------------------------------

/** Resources by the names kubectl accepts: [API group, resource]. */
const RESOURCES: { [name: string]: [string, string] } = {};
for (const [group, resource, ...aliases] of [
  ['', 'pods', 'pod', 'po'], ['', 'services', 'service', 'svc'], ['', 'configmaps', 'configmap', 'cm'], ['', 'secrets', 'secret'],
  ['', 'serviceaccounts', 'serviceaccount', 'sa'], ['', 'persistentvolumeclaims', 'persistentvolumeclaim', 'pvc'], ['', 'events', 'event', 'ev'],
  ['apps', 'deployments', 'deployment', 'deploy'], ['apps', 'replicasets', 'replicaset', 'rs'], ['apps', 'statefulsets', 'statefulset', 'sts'],
  ['apps', 'daemonsets', 'daemonset', 'ds'], ['batch', 'jobs', 'job'], ['batch', 'cronjobs', 'cronjob', 'cj'],
  ['policy', 'poddisruptionbudgets', 'poddisruptionbudget', 'pdb'], ['coordination.k8s.io', 'leases', 'lease'],
]) {
  for (const name of [resource, ...aliases]) {
    RESOURCES[name] = [group, resource];
    if (group !== '') RESOURCES[`${name}.${group}`] = [group, resource];
  }
}

/** kubectl flags that take the next argument as their value (unless given as --flag=value). */
const VALUE_FLAGS = new Set(['-n', '--namespace', '-l', '--selector', '-o', '--output', '-f', '--filename', '-p', '--patch', '--type', '--for',
  '--timeout', '--field-selector', '-c', '--container', '--context', '--cluster', '--user', '--kubeconfig', '-s', '--server', '--token', '--as',
  '--subresource', '--grace-period', '--request-timeout', '--from', '--image', '--replicas', '--overwrite-with']);

interface KubectlRun {
  readonly container: string;
  readonly argv: string[];
  readonly subcommand: string;
  readonly resources: { readonly group: string; readonly resource: string; readonly name?: string }[];
  readonly selector?: string;
  readonly namespace?: string;
  readonly watch: boolean;
  /** `--wait` of `kubectl delete` (default true): it then waits for the deletion as `kubectl wait --for=delete` does. */
  readonly waitForDeletion: boolean;
}

/** Splits a shell script into the words of each simple command (quotes honoured; no expansion). */
function shellCommands(script: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = '';
  let quote: string | undefined;
  let inWord = false;
  const end = () => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  for (let i = 0; i < script.length; i++) {
    const ch = script[i];
    if (quote) {
      if (ch === quote) quote = undefined; else word += ch;
      continue;
    }
    if (ch === '\'' || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < script.length) {
      word += script[++i];
      inWord = true;
    } else if (/\s/.test(ch) && ch !== '\n') {
      end();
    } else if (ch === '\n' || ch === ';' || ch === '|' || ch === '&' || ch === '(' || ch === ')') {
      end();
      if (words.length) commands.push(words);
      words = [];
    } else {
      word += ch;
      inWord = true;
    }
  }
  end();
  if (words.length) commands.push(words);
  return commands;
}

/** Every kubectl a workload's containers run: as the container's argv, or inside a shell script. */
export function kubectlRuns(w: { readonly pod: Obj }): KubectlRun[] {
  const runs: KubectlRun[] = [];
  for (const c of [...(w.pod.initContainers ?? []), ...(w.pod.containers ?? [])]) {
    const argv: string[] = [...(c.command ?? []), ...(c.args ?? [])];
    const invocations: string[][] = [];
    if (argv.length && path.basename(argv[0]) === 'kubectl') {
      invocations.push(argv.slice(1));
    } else if (argv.length && /(^|\/)(ba)?sh$/.test(argv[0])) {
      const script = argv[argv.indexOf('-c') + 1] ?? '';
      for (const words of shellCommands(script)) {
        const k = words.findIndex((x) => path.basename(x) === 'kubectl');
        if (k >= 0) invocations.push(words.slice(k + 1));
      }
    }
    for (const args of invocations) runs.push(parseKubectl(c.name, args));
  }
  return runs;
}

function parseKubectl(container: string, args: string[]): KubectlRun {
  const positionals: string[] = [];
  let selector: string | undefined;
  let namespace: string | undefined;
  let watch = false;
  let waitForDeletion = true;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('-')) {
      const eq = a.indexOf('=');
      const flag = eq > 0 ? a.substring(0, eq) : a;
      const value = eq > 0 ? a.substring(eq + 1) : VALUE_FLAGS.has(flag) ? args[++i] : undefined;
      if (flag === '-l' || flag === '--selector') selector = value;
      if (flag === '-n' || flag === '--namespace') namespace = value;
      if (flag === '-w' || flag === '--watch') watch = true;
      if (flag === '--wait') waitForDeletion = value !== 'false';
      continue;
    }
    positionals.push(a);
  }
  const subcommand = ['rollout', 'create', 'set', 'auth', 'config'].includes(positionals[0]) ? positionals.slice(0, 2).join(' ') : positionals[0] ?? '';
  const rest = positionals.slice(subcommand.split(' ').length);
  const resources: KubectlRun['resources'][number][] = [];
  if (positionals[0] === 'create' && positionals[1]) {
    const known = RESOURCES[positionals[1]];
    if (known) resources.push({ group: known[0], resource: known[1], name: positionals[2] });
  } else if (rest.length) {
    if (rest[0].includes('/')) {
      for (const r of rest) {
        const [type, name] = r.split('/');
        const known = RESOURCES[type];
        resources.push(known ? { group: known[0], resource: known[1], name } : { group: '?', resource: type, name });
      }
    } else {
      for (const type of rest[0].split(',')) {
        const known = RESOURCES[type];
        const names = rest.slice(1);
        for (const name of names.length ? names : [undefined]) resources.push(known ? { group: known[0], resource: known[1], name } : { group: '?', resource: type, name });
      }
    }
  }
  return { container, argv: args, subcommand, resources, selector, namespace, watch, waitForDeletion };
}

/** The verbs a kubectl subcommand needs on its resources (the API requests it makes), or undefined when unknown. */
function verbsOf(run: KubectlRun, named: boolean): string[] | undefined {
  switch (run.subcommand) {
    case 'get': return named ? ['get', ...(run.watch ? ['list', 'watch'] : [])] : ['list', ...(run.watch ? ['watch'] : [])];
    // patch sends the patch without reading the object first; the others read it (the builder's Latest())
    case 'patch': return named ? ['patch'] : ['list', 'patch'];
    case 'label': case 'annotate': case 'rollout restart': case 'rollout pause': case 'rollout resume':
      return named ? ['get', 'patch'] : ['list', 'patch'];
    // a wait gets each object, then lists and watches it with a metadata.name field selector (which resourceNames can
    // authorize); with a selector it lists the objects first (kubectl's wait.IsDeleted and IsConditionMet)
    case 'wait': return ['get', 'list', 'watch'];
    case 'rollout status': return ['get', 'list', 'watch'];
    case 'delete': return [...(named ? [] : ['list']), 'delete', ...(run.waitForDeletion ? ['get', 'list', 'watch'] : [])];
    case 'scale': return ['get', 'patch'];
    case 'apply': return ['get', 'create', 'patch'];
    default:
      if (run.subcommand.startsWith('create ')) return ['create'];
      return undefined;
  }
}

function rbacProblems(objects: Obj[], workloads: Workload[]): string[] {
  const problems: string[] = [];
  for (const w of workloads) {
    const runs = kubectlRuns(w);
    if (runs.length === 0) continue;
    const account = w.pod.serviceAccountName ?? 'default';
    for (const run of runs) {
      const namespace = run.namespace ?? w.namespace;
      const rules = rulesOf(objects, account, w.namespace, namespace);
      const at = `${w.id} container ${run.container}: kubectl ${run.argv.join(' ')}`;
      if (run.resources.length === 0) continue; // version, config, auth can-i ...: no resource
      for (const r of run.resources) {
        const named = r.name !== undefined && !run.selector;
        const verbs = verbsOf(run, named);
        if (!verbs) {
          problems.push(`${at}: cannot tell which API verbs 'kubectl ${run.subcommand}' needs: add it to verbsOf in test/util/cluster-check.ts`);
          continue;
        }
        if (r.group === '?') {
          problems.push(`${at}: unknown resource type ${JSON.stringify(r.resource)}: add it to RESOURCES in test/util/cluster-check.ts`);
          continue;
        }
        for (const verb of verbs) {
          // A variable ($X) stands for a name this check cannot know: any name the rule allows will do.
          const name = r.name?.startsWith('$') ? undefined : named ? r.name : undefined;
          const allowed = rules.some((rule) => (rule.apiGroups ?? []).some((g: string) => g === '*' || g === r.group)
            && (rule.resources ?? []).some((x: string) => x === '*' || x === r.resource)
            && (rule.verbs ?? []).some((v: string) => v === '*' || v === verb)
            && (!rule.resourceNames?.length || (r.name?.startsWith('$') ?? false) || (name !== undefined && rule.resourceNames.includes(name))));
          if (!allowed) {
            problems.push(`${at}: ServiceAccount ${account} may not ${verb} ${r.group ? `${r.resource}.${r.group}` : r.resource}${name ? ` ${name}` : ''} in namespace ${namespace || '(none)'}`);
          }
        }
      }
    }
  }
  return problems;
}

/** The rules of every Role in `namespace` bound to ServiceAccount `account` of namespace `accountNamespace`. */
function rulesOf(objects: Obj[], account: string, accountNamespace: string, namespace: string): Obj[] {
  const rules: Obj[] = [];
  for (const binding of objects.filter((o) => o.kind === 'RoleBinding' && ns(o) === namespace)) {
    const bound = (binding.subjects ?? []).some((s: Obj) => s.kind === 'ServiceAccount' && s.name === account && (s.namespace ?? ns(binding)) === accountNamespace);
    if (!bound) continue;
    const role = objects.find((o) => o.kind === binding.roleRef?.kind && o.metadata?.name === binding.roleRef?.name && (o.kind === 'ClusterRole' || ns(o) === namespace));
    rules.push(...(role?.rules ?? []));
  }
  return rules;
}
