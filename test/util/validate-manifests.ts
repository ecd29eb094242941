/**
 * Validates synthesized manifests the way an API server would, offline:
 * - against the Kubernetes OpenAPI schemas (kubernetes-models);
 * - for what those schemas miss: unknown fields (checked against the typed k8s imports that
 *   cdk8s-plus-27 ships), DNS-1123 names, selectors that match pod labels, port ranges,
 *   images set, env vars set exactly once.
 * OpenShift Routes are checked by hand (no schema ships for them).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import * as ts from 'typescript';
import { clusterCheckApps, declaredExternals } from './cluster-check';

type Obj = { [key: string]: any };

// ---------------------------------------------------------------------------------------------
// Field model from cdk8s-plus-27's k8s.d.ts: interface name -> property name -> type text.
// ---------------------------------------------------------------------------------------------
let fieldModel: Map<string, Map<string, string>> | undefined;
const kindToProps = new Map<string, string>();

function loadFieldModel(): Map<string, Map<string, string>> {
  if (fieldModel) return fieldModel;
  const dts = path.join(path.dirname(require.resolve('cdk8s-plus-27/package.json')), 'lib', 'imports', 'k8s.d.ts');
  const source = ts.createSourceFile(dts, fs.readFileSync(dts, 'utf-8'), ts.ScriptTarget.Latest, true);
  const model = new Map<string, Map<string, string>>();
  for (const statement of source.statements) {
    if (ts.isInterfaceDeclaration(statement)) {
      const props = new Map<string, string>();
      for (const member of statement.members) {
        if (ts.isPropertySignature(member) && member.type) {
          props.set(member.name.getText(source).replace(/['"]/g, ''), member.type.getText(source));
        }
      }
      model.set(statement.name.text, props);
    }
  }
  // JSON keys differ from the property names for a few fields (setHostnameAsFQDN -> setHostnameAsFqdn):
  // read the mapping from the toJson_ functions, and key the model by JSON names.
  const js = fs.readFileSync(dts.replace(/\.d\.ts$/, '.js'), 'utf-8');
  for (const chunk of js.split('function toJson_').slice(1)) {
    const typeName = /^(\w+)\(/.exec(chunk)?.[1];
    const props = typeName ? model.get(typeName) : undefined;
    if (!props) continue;
    const body = chunk.substring(0, chunk.indexOf('\n}'));
    for (const m of body.matchAll(/'([^']+)': [^\n]*?obj\.(\w+)/g)) {
      const fieldType = props.get(m[2]);
      if (fieldType !== undefined && m[1] !== m[2]) {
        props.delete(m[2]);
        props.set(m[1], fieldType);
      }
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const k8s = require('cdk8s-plus-27').k8s;
  for (const [className, value] of Object.entries<any>(k8s)) {
    if (value && value.GVK && model.has(`${className}Props`)) {
      kindToProps.set(`${value.GVK.apiVersion}/${value.GVK.kind}`, `${className}Props`);
    }
  }
  fieldModel = model;
  return model;
}

const LEAF_TYPES = new Set(['string', 'number', 'boolean', 'any', 'IntOrString', 'Quantity', 'Date']);

function checkFields(value: any, typeText: string, at: string, errors: string[]): void {
  const model = loadFieldModel();
  typeText = typeText.trim();
  if (value === null || value === undefined) return;
  const array = /^(.*)\[\]$/.exec(typeText);
  if (array) {
    if (!Array.isArray(value)) {
      errors.push(`${at} must be a list`);
      return;
    }
    value.forEach((item, i) => checkFields(item, array[1], `${at}/${i}`, errors));
    return;
  }
  const map = /^\{\s*\[key: string\]: (.*);\s*\}$/s.exec(typeText) ?? /^Record<string, (.*)>$/.exec(typeText);
  if (map) {
    for (const [key, inner] of Object.entries(value)) checkFields(inner, map[1], `${at}/${key}`, errors);
    return;
  }
  if (LEAF_TYPES.has(typeText)) return;
  const props = model.get(typeText);
  if (!props) return; // an enum or alias: a leaf
  if (typeof value !== 'object' || Array.isArray(value)) {
    errors.push(`${at} must be an object (${typeText})`);
    return;
  }
  for (const [key, inner] of Object.entries(value)) {
    const fieldType = props.get(key);
    if (fieldType === undefined) {
      errors.push(`${at}/${key} is not a field of ${typeText}`);
      continue;
    }
    checkFields(inner, fieldType, `${at}/${key}`, errors);
  }
}

// ---------------------------------------------------------------------------------------------
// Schema validation with kubernetes-models.
// ---------------------------------------------------------------------------------------------
function modelClass(apiVersion: string, kind: string): any {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const modulePath = group === '' ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(modulePath)[kind];
  } catch {
    return undefined;
  }
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAMED_KINDS = new Set(['Service', 'Namespace']);

function checkPort(value: any, at: string, errors: string[], allowName: boolean): void {
  if (value === undefined) return;
  if (typeof value === 'string') {
    if (!allowName || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value) || value.length > 15) {
      errors.push(`${at} (${JSON.stringify(value)}) is neither a port number nor an IANA port name`);
    }
    return;
  }
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    errors.push(`${at} (${value}) is not a port from 1 to 65535`);
  }
}

function podSpecOf(obj: Obj): Obj | undefined {
  if (obj.kind === 'Pod') return obj.spec;
  if (obj.kind === 'CronJob') return obj.spec?.jobTemplate?.spec?.template?.spec;
  return obj.spec?.template?.spec;
}

function matches(selector: { [key: string]: string }, labels: { [key: string]: string } | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/**
 * Every error of every object in `objects`; an empty list when all is valid.
 */
export function manifestErrors(objects: Obj[]): string[] {
  const errors: string[] = [];
  loadFieldModel();
  const seen = new Set<string>();
  for (const obj of objects) {
    const id = `${obj.kind}/${obj.metadata?.name}`;
    if (!obj.apiVersion || !obj.kind) {
      errors.push(`${id}: apiVersion and kind are required`);
      continue;
    }
    const key = `${obj.apiVersion}/${obj.kind}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name}`;
    if (seen.has(key)) errors.push(`${id}: defined twice`);
    seen.add(key);

    // Cluster-scoped objects take no namespace (the API server rejects one; cdk8s adds the chart's).
    if (CLUSTER_SCOPED_KINDS.has(obj.kind) && obj.metadata?.namespace !== undefined) {
      errors.push(`${id}: metadata.namespace must not be set on a cluster-scoped ${obj.kind}`);
    }

    // Names.
    const name = obj.metadata?.name;
    if (typeof name !== 'string') {
      errors.push(`${id}: metadata.name is required`);
    } else {
      const asLabel = LABEL_NAMED_KINDS.has(obj.kind);
      const valid = asLabel ? name.length <= 63 && DNS1123_LABEL.test(name) : name.length <= 253 && DNS1123_SUBDOMAIN.test(name);
      if (!valid) errors.push(`${id}: metadata.name is not a DNS-1123 ${asLabel ? 'label' : 'subdomain'}`);
    }
    for (const [k, v] of Object.entries<any>({ ...obj.metadata?.labels, ...obj.metadata?.annotations })) {
      if (typeof v !== 'string') errors.push(`${id}: label/annotation ${k} must be a string, got ${typeof v}`);
    }
    for (const [k, v] of Object.entries<any>(obj.metadata?.labels ?? {})) {
      if (v.length > 63 || !/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(v)) errors.push(`${id}: label ${k} value ${JSON.stringify(v)} is not a valid label value`);
    }

    // Schema.
    if (obj.kind === 'Route' && obj.apiVersion === 'route.openshift.io/v1') {
      checkRoute(obj, id, errors);
    } else if (obj.kind === 'ServiceMonitor' && obj.apiVersion === 'monitoring.coreos.com/v1') {
      checkServiceMonitor(obj, id, objects, errors);
    } else if (obj.kind === 'PrometheusRule' && obj.apiVersion === 'monitoring.coreos.com/v1') {
      checkPrometheusRule(obj, id, errors);
    } else if (obj.apiVersion === 'config.openshift.io/v1' && obj.kind in OPENSHIFT_MIRROR_SETS.crds) {
      checkAgainstSchema(obj, OPENSHIFT_MIRROR_SETS.crds[obj.kind].openAPIV3Schema, id, errors);
    } else {
      const Cls = modelClass(obj.apiVersion, obj.kind);
      if (!Cls) {
        errors.push(`${id}: unknown apiVersion/kind ${obj.apiVersion} ${obj.kind}`);
      } else {
        try {
          new Cls(obj).validate();
        } catch (e) {
          errors.push(`${id}: ${(e as Error).message}`);
        }
      }
      const propsType = kindToProps.get(`${obj.apiVersion}/${obj.kind}`);
      if (propsType) {
        const { apiVersion: _a, kind: _k, ...rest } = obj;
        checkFields(rest, propsType, id, errors);
      }
    }

    // Pods.
    const pod = podSpecOf(obj);
    if (pod) {
      const volumes = new Set((pod.volumes ?? []).map((v: Obj) => v.name));
      for (const container of [...(pod.containers ?? []), ...(pod.initContainers ?? [])]) {
        const at = `${id}: container ${container.name}`;
        if (typeof container.image !== 'string' || container.image.trim() === '') errors.push(`${at}: image is not set`);
        for (const port of container.ports ?? []) checkPort(port.containerPort, `${at}: containerPort`, errors, false);
        const envNames = (container.env ?? []).map((e: Obj) => e.name);
        const dupes = envNames.filter((n: string, i: number) => envNames.indexOf(n) !== i);
        if (dupes.length) errors.push(`${at}: env ${dupes.join(', ')} set twice`);
        for (const mount of container.volumeMounts ?? []) {
          if (!volumes.has(mount.name)) errors.push(`${at}: volumeMount ${mount.name} has no volume`);
        }
        for (const probeName of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
          const probe = container[probeName];
          if (probe) checkPort(probe.httpGet?.port ?? probe.tcpSocket?.port, `${at}: ${probeName} port`, errors, true);
        }
      }
      if (obj.kind === 'Deployment' || obj.kind === 'StatefulSet' || obj.kind === 'DaemonSet') {
        const selector = obj.spec?.selector?.matchLabels ?? {};
        if (Object.keys(selector).length === 0) errors.push(`${id}: spec.selector.matchLabels is empty`);
        if (!matches(selector, obj.spec?.template?.metadata?.labels)) errors.push(`${id}: spec.selector does not match the pod template's labels`);
      }
    }

    if (obj.kind === 'Service') {
      for (const port of obj.spec?.ports ?? []) {
        checkPort(port.port, `${id}: port`, errors, false);
        checkPort(port.targetPort, `${id}: targetPort`, errors, true);
      }
    }
  }

  // Services select pods that exist in the same output.
  for (const svc of objects.filter((o) => o.kind === 'Service' && o.spec?.selector)) {
    const pods = objects.filter((o) => podSpecOf(o) && (o.metadata?.namespace ?? '') === (svc.metadata?.namespace ?? ''));
    if (!pods.some((o) => matches(svc.spec.selector, (o.kind === 'Pod' ? o.metadata : o.spec?.template?.metadata)?.labels))) {
      errors.push(`Service/${svc.metadata?.name}: selector matches no pod template in the output`);
    }
  }
  // Ingress backends and Routes point at Services of the output.
  const services = new Map(objects.filter((o) => o.kind === 'Service').map((o) => [`${o.metadata?.namespace ?? ''}/${o.metadata?.name}`, o]));
  for (const obj of objects) {
    const ns = obj.metadata?.namespace ?? '';
    const backends: string[] = [];
    if (obj.kind === 'Ingress') {
      for (const rule of obj.spec?.rules ?? []) {
        for (const p of rule.http?.paths ?? []) if (p.backend?.service?.name) backends.push(p.backend.service.name);
      }
    }
    if (obj.kind === 'Route') backends.push(obj.spec?.to?.name);
    for (const backend of backends) {
      if (!services.has(`${ns}/${backend}`)) errors.push(`${obj.kind}/${obj.metadata?.name}: backend Service ${backend} is not in the output`);
    }
  }
  return errors;
}

function checkRoute(obj: Obj, id: string, errors: string[]): void {
  const allowedSpec = new Set(['host', 'path', 'to', 'port', 'tls', 'wildcardPolicy', 'alternateBackends', 'subdomain']);
  for (const key of Object.keys(obj.spec ?? {})) if (!allowedSpec.has(key)) errors.push(`${id}: spec.${key} is not a field of Route`);
  if (obj.spec?.to?.kind !== 'Service' || !obj.spec?.to?.name) errors.push(`${id}: spec.to must name a Service`);
  if (obj.spec?.host !== undefined && !DNS1123_SUBDOMAIN.test(obj.spec.host)) errors.push(`${id}: spec.host is not a DNS name`);
  const tls = obj.spec?.tls;
  if (tls) {
    const terminations = ['edge', 'passthrough', 'reencrypt'];
    if (!terminations.includes(tls.termination)) errors.push(`${id}: spec.tls.termination must be one of ${terminations.join(', ')}`);
    if (tls.insecureEdgeTerminationPolicy !== undefined && !['Allow', 'Redirect', 'None'].includes(tls.insecureEdgeTerminationPolicy)) {
      errors.push(`${id}: spec.tls.insecureEdgeTerminationPolicy must be Allow, Redirect or None`);
    }
    if (tls.termination === 'passthrough' && tls.insecureEdgeTerminationPolicy === 'Allow') errors.push(`${id}: passthrough does not allow insecure traffic`);
  }
}

/** A Prometheus Operator ServiceMonitor (no schema ships for it): known fields, and it scrapes a named port of a Service of the output. */
function checkServiceMonitor(obj: Obj, id: string, objects: Obj[], errors: string[]): void {
  const allowedSpec = new Set(['selector', 'endpoints', 'namespaceSelector', 'jobLabel', 'targetLabels', 'podTargetLabels', 'sampleLimit']);
  for (const key of Object.keys(obj.spec ?? {})) if (!allowedSpec.has(key)) errors.push(`${id}: spec.${key} is not a field of ServiceMonitor`);
  const allowedEndpoint = new Set(['port', 'targetPort', 'path', 'scheme', 'interval', 'scrapeTimeout', 'honorLabels', 'tlsConfig', 'bearerTokenSecret', 'relabelings', 'metricRelabelings']);
  const selector = obj.spec?.selector?.matchLabels ?? {};
  const services = objects.filter((o) => o.kind === 'Service' && (o.metadata?.namespace ?? '') === (obj.metadata?.namespace ?? '') && matches(selector, o.metadata?.labels));
  if (Object.keys(selector).length === 0 || services.length === 0) errors.push(`${id}: spec.selector matches no Service of the output`);
  if (!Array.isArray(obj.spec?.endpoints) || obj.spec.endpoints.length === 0) errors.push(`${id}: spec.endpoints is empty`);
  for (const endpoint of obj.spec?.endpoints ?? []) {
    for (const key of Object.keys(endpoint)) if (!allowedEndpoint.has(key)) errors.push(`${id}: endpoints[].${key} is not a field of ServiceMonitor endpoints`);
    if (!services.every((svc) => (svc.spec?.ports ?? []).some((p: Obj) => p.name === endpoint.port))) errors.push(`${id}: endpoint port ${endpoint.port} is not a named port of every selected Service`);
    if (endpoint.interval !== undefined && !/^(\d+(ms|s|m|h))+$/.test(endpoint.interval)) errors.push(`${id}: endpoint interval ${endpoint.interval} is not a Prometheus duration`);
  }
}

/** A Prometheus Operator PrometheusRule (no schema ships for it): known fields; `promtool check rules` checks the expressions (e2e). */
function checkPrometheusRule(obj: Obj, id: string, errors: string[]): void {
  for (const key of Object.keys(obj.spec ?? {})) if (key !== 'groups') errors.push(`${id}: spec.${key} is not a field of PrometheusRule`);
  const groups = obj.spec?.groups;
  if (!Array.isArray(groups) || groups.length === 0) errors.push(`${id}: spec.groups is empty`);
  const allowedRule = new Set(['alert', 'record', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations']);
  for (const group of groups ?? []) {
    if (typeof group.name !== 'string' || group.name === '') errors.push(`${id}: a group has no name`);
    for (const rule of group.rules ?? []) {
      for (const key of Object.keys(rule)) if (!allowedRule.has(key)) errors.push(`${id}: rules[].${key} is not a field of a Prometheus rule`);
      if (typeof rule.expr !== 'string' || rule.expr === '') errors.push(`${id}: rule ${rule.alert ?? rule.record} has no expr`);
      if (rule.for !== undefined && !/^(\d+(ms|s|m|h|d|w|y))+$/.test(rule.for)) errors.push(`${id}: rule ${rule.alert} for ${rule.for} is not a Prometheus duration`);
    }
  }
}

/**
 * OpenShift's published schemas of ImageDigestMirrorSet and ImageTagMirrorSet (the `openAPIV3Schema` of their CRDs,
 * vendored from openshift/api: the file names its commit).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const OPENSHIFT_MIRROR_SETS: { crds: { [kind: string]: { openAPIV3Schema: Obj } } } = require('./openshift-mirror-sets.schema.json');

/**
 * Checks `value` against a CRD's structural schema as the API server does (the keywords these schemas use: type,
 * properties, required, items, enum, pattern, x-kubernetes-list-type set). A field the schema does not declare is an
 * error: the API server would drop it silently.
 */
export function checkAgainstSchema(value: any, schema: Obj, at: string, errors: string[]): void {
  if (value === undefined || value === null) return;
  const type = schema.type;
  const actual = Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  if (type !== undefined && actual !== type && !(type === 'number' && actual === 'integer')) {
    errors.push(`${at} must be of type ${type}, got ${actual}`);
    return;
  }
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${at} (${JSON.stringify(value)}) must be one of ${schema.enum.join(', ')}`);
  if (schema.pattern && typeof value === 'string' && !new RegExp(schema.pattern).test(value)) errors.push(`${at} (${JSON.stringify(value)}) does not match ${schema.pattern}`);
  if (type === 'object' && schema.properties) {
    for (const key of schema.required ?? []) if (!(key in value)) errors.push(`${at}/${key} is required`);
    for (const [key, inner] of Object.entries(value)) {
      const sub = schema.properties[key];
      if (!sub) errors.push(`${at}/${key} is not a field of the schema`);
      else checkAgainstSchema(inner, sub, `${at}/${key}`, errors);
    }
  }
  if (type === 'array') {
    if (schema['x-kubernetes-list-type'] === 'set' && new Set(value.map((v: any) => JSON.stringify(v))).size !== value.length) {
      errors.push(`${at} is a set: its items must be distinct`);
    }
    if (schema.items) value.forEach((item: any, i: number) => checkAgainstSchema(item, schema.items, `${at}/${i}`, errors));
  }
}

/** Synthesizes `chart` and throws with every problem found; returns the objects. */
/** Kinds without a namespace. */
const CLUSTER_SCOPED_KINDS = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'StorageClass', 'PersistentVolume', 'IngressClass',
  'PriorityClass', 'CustomResourceDefinition', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration',
  'ImageDigestMirrorSet', 'ImageTagMirrorSet']);

export function validateChart(chart: Chart): Obj[] {
  const objects = Testing.synth(chart);
  const errors = manifestErrors(objects);
  if (errors.length > 0) {
    throw new Error(`invalid manifests:\n  ${errors.join('\n  ')}`);
  }
  recordForClusterCheck(chart, objects);
  return objects;
}

// ---------------------------------------------------------------------------------------------
// The whole-app check (./cluster-check.ts) of every app a unit test validates: the charts validated are recorded,
// and after the test file one kustomize run checks every app, each on its own.
// ---------------------------------------------------------------------------------------------

interface RecordedApp {
  readonly charts: Map<Chart, Obj[]>;
  readonly tests: Set<string>;
}

const recordedApps = new Map<IConstruct, RecordedApp>();

/**
 * Objects a test imported by name anywhere (`Secret.fromSecretName(Testing.chart(), ...)` often imports into a
 * throwaway chart of another app), with the namespace "*": for the check after the file, they exist in every namespace.
 */
const importedAnywhere = new Set<string>();
for (const [owner, method, kind] of [
  [kplus.Secret, 'fromSecretName', 'Secret'], [kplus.ConfigMap, 'fromConfigMapName', 'ConfigMap'],
  [kplus.PersistentVolumeClaim, 'fromClaimName', 'PersistentVolumeClaim'], [kplus.ServiceAccount, 'fromServiceAccountName', 'ServiceAccount'],
] as const) {
  const original = (owner as any)[method];
  (owner as any)[method] = function (this: any, scope: IConstruct, id: string, name: string, ...rest: any[]) {
    importedAnywhere.add(`${kind}/*/${name}`);
    return original.call(this, scope, id, name, ...rest);
  };
}

function recordForClusterCheck(chart: Chart, objects: Obj[]): void {
  const state = expect.getState();
  if (!state.testPath || state.testPath.includes(`${path.sep}e2e${path.sep}`)) return;
  const root = chart.node.root;
  let app = recordedApps.get(root);
  if (!app) {
    app = { charts: new Map(), tests: new Set() };
    recordedApps.set(root, app);
  }
  app.charts.set(chart, objects);
  if (state.currentTestName) app.tests.add(state.currentTestName);
}

if (typeof afterAll === 'function') {
  afterAll(() => {
    const apps: { objects: Obj[]; external: string[]; tests: string[] }[] = [];
    for (const [root, recorded] of recordedApps) {
      let objects: Obj[];
      try {
        // The charts of the app that the test did not validate: cross-chart references point into them.
        objects = Chart.isChart(root) ? [...recorded.charts.values()].flat()
          : root.node.children.filter(Chart.isChart).flatMap((c) => recorded.charts.get(c) ?? Testing.synth(c));
      } catch {
        continue; // a chart the test left broken on purpose
      }
      apps.push({ objects, external: [...declaredExternals(root), ...importedAnywhere], tests: [...recorded.tests] });
    }
    recordedApps.clear();
    const results = clusterCheckApps(apps.map((a) => ({ objects: a.objects, options: { external: a.external } })));
    const failures = results.map((r, i) => r.problems.length ? `apps of ${apps[i].tests.map((t) => JSON.stringify(t)).join(', ')}:\n    ${r.problems.join('\n    ')}` : undefined)
      .filter((f): f is string => f !== undefined);
    if (failures.length > 0) {
      throw new Error(`the whole-app check (test/util/cluster-check.ts) found problems:\n  ${failures.join('\n  ')}`);
    }
  });
}
