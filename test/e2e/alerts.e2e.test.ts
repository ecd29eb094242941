/**
 * RegistryAlerts against the real registry 2.8, 3.0 and 3.1 and the real promtool: the synthesized rule group passes
 * `promtool check rules`, and `promtool test rules` runs it over series recorded from the registry's own /metrics
 * through four phases (pushes and pulls; a storage failure; a read-only maintenance window; the registry stopped),
 * asserting which alerts fire and which stay silent. The dashboard's queries name only metrics of those scrapes
 * (or of kube-state-metrics, listed below).
 *
 * How the recording maps to Prometheus: each scrape of the debug port is one scrape of the ServiceMonitor (its
 * interval, 30 s, is the promtool series interval), with the labels that scrape gives (`job` = the metrics
 * Service's name, `namespace` = the chart's). Values are as scraped, in order; a process restart resets counters
 * (as in a cluster) and a failed scrape is `up` 0 with no registry series (`_`). kube-state-metrics does not run
 * here: its one series used (`kube_configmap_created` of the maintenance switch) is written as it would export
 * it, with the time the test created the switch; nothing else is made up.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Chart, Duration, Testing } from 'cdk8s';
import * as yaml from 'yaml';
import { buildImage, cleanupAll, describeVersions, e2eVersions, httpRequest, pull, push, RegistryPod, requireEnvironment, tempDir } from './harness';
import { GarbageCollection, RegistryAlerts, RegistryAuth, RegistryDeployment, RegistryMetrics, StorageBackend } from '../../src';
import { validateChart } from '../util/validate-manifests';

type Obj = { [key: string]: any };

beforeAll(() => requireEnvironment(['promtool']));
afterAll(() => cleanupAll());

/** The kube-state-metrics series the rules and the dashboard use (not scraped here: no cluster). */
const KUBE_STATE_METRICS = ['kube_deployment_status_replicas_available', 'kube_configmap_created', 'kube_job_status_failed'];
/** Prometheus' own series of each target. */
const PROMETHEUS = ['up'];

const STEP_SECONDS = 30;
const STEPS_PER_PHASE = 16;
/** The registry series the rules read (every other registry series is recorded only for the dashboard's names). */
const RULE_METRICS = /^registry_http_(requests_total|request_duration_seconds_bucket)$/;

/** Series recorded over scrapes: each key a series in PromQL notation, each value one entry per scrape. */
class Recorder {
  public readonly names = new Set<string>();
  public readonly series = new Map<string, (number | undefined)[]>();
  public steps = 0;

  public constructor(private readonly target: { [label: string]: string }) {}

  /** One scrape of the pod's debug port, or a failed one when it does not answer. */
  public async scrape(debugPort: number | undefined): Promise<void> {
    let body: string | undefined;
    if (debugPort !== undefined) {
      try {
        const res = await httpRequest(`http://127.0.0.1:${debugPort}/metrics`);
        if (res.status === 200) body = res.body;
      } catch {
        body = undefined;
      }
    }
    this.record('up', {}, body === undefined ? 0 : 1);
    for (const line of (body ?? '').split('\n')) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
      if (!m) continue;
      this.names.add(m[1]);
      if (!RULE_METRICS.test(m[1])) continue;
      const labels: { [k: string]: string } = {};
      for (const l of (m[2] ?? '').slice(1, -1).matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) labels[l[1]] = l[2];
      this.record(m[1], labels, Number(m[3]));
    }
    this.steps++;
  }

  /** promtool's `input_series`. */
  public inputSeries(): { series: string; values: string }[] {
    return [...this.series.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([series, values]) => ({
      series,
      values: Array.from({ length: this.steps }, (_, i) => (values[i] === undefined ? '_' : String(values[i]))).join(' '),
    }));
  }

  private record(name: string, labels: { [k: string]: string }, value: number): void {
    const all = { ...this.target, ...labels };
    const key = `${name}{${Object.keys(all).sort().map((k) => `${k}="${all[k]}"`).join(',')}}`;
    const values = this.series.get(key) ?? [];
    values[this.steps] = value;
    this.series.set(key, values);
  }
}

describeVersions(e2eVersions(), ({ version }) => test('promtool: the rules pass check rules, and over recorded scrapes the right alerts fire', async () => {
  // GIVEN a named registry with metrics, a ServiceMonitor, a garbage collection (its window) and the alerts with a dashboard
  const chart = new Chart(Testing.app(), 'alerts', { namespace: 'registry' });
  const registry = new RegistryDeployment(chart, 'Registry', { name: 'docker', version, auth: RegistryAuth.none(), storage: StorageBackend.persistentVolumeClaim(), metrics: true });
  const metrics = new RegistryMetrics(chart, 'Metrics', { registry, serviceMonitor: true });
  const gc = new GarbageCollection(chart, 'GC', { registry, rolloutTimeout: Duration.seconds(30) });
  const alerts = new RegistryAlerts(chart, 'Alerts', { metrics, collectionTime: Duration.minutes(1), dashboard: true });
  const objects = validateChart(chart);
  const rule = objects.find((o) => o.kind === 'PrometheusRule')!;
  const dir = tempDir('alerts');
  const rulesFile = path.join(dir, 'rules.yml');
  fs.writeFileSync(rulesFile, yaml.stringify(rule.spec));

  // THEN promtool accepts the rule group
  expect(execFileSync('promtool', ['check', 'rules', rulesFile], { encoding: 'utf8' })).toMatch(/SUCCESS: 6 rules found/);

  // WHEN the registry serves pushes and pulls, then fails to write, then is read-only, then is gone
  const recorder = new Recorder({ namespace: 'registry', job: metrics.service.name });
  const claim = objects.find((o) => o.kind === 'PersistentVolumeClaim')!.metadata.name;
  const pod = new RegistryPod(objects);
  await pod.start();
  const image = (i: number) => buildImage({ sizeBytes: 16 * 1024, seed: `alerts-${version}-${i}` });
  let n = 0;
  const attempt = async (action: () => Promise<unknown>) => {
    try {
      await action();
      return true;
    } catch {
      return false;
    }
  };
  // 1. healthy: a push and a pull between scrapes
  const healthy: boolean[] = [];
  for (let i = 0; i < STEPS_PER_PHASE; i++) {
    healthy.push(await attempt(() => push(image(n++), `${pod.address}/alerts/app:v${i}`)));
    healthy.push(await attempt(() => pull(`${pod.address}/alerts/app:v${i}`)));
    await recorder.scrape(pod.debugPort);
  }
  expect(healthy.every((ok) => ok)).toBe(true);
  // 2. storage failure: the filesystem under the claim is not writable for the registry's user; pushes fail
  const data = pod.dataDir(claim);
  execFileSync('chmod', ['-R', 'a-w', data]);
  const failing: boolean[] = [];
  for (let i = 0; i < STEPS_PER_PHASE; i++) {
    failing.push(await attempt(() => push(image(n++), `${pod.address}/alerts/broken:v${i}`)));
    await recorder.scrape(pod.debugPort);
  }
  expect(failing.some((ok) => ok)).toBe(false);
  execFileSync('chmod', ['-R', 'u+w,g+w', data]);
  await pod.stop();
  // 3. the maintenance window: the switch exists (as the job creates it), the registry restarts read-only
  const switchCreatedStep = recorder.steps;
  const readOnly = new RegistryPod(objects, { claimsFrom: pod, externalConfigMaps: { [gc.maintenanceSwitch!]: { readonly: '{"enabled":true}' } } });
  await readOnly.start();
  expect(readOnly.env.REGISTRY_STORAGE_MAINTENANCE_READONLY).toBe('{"enabled":true}');
  const refused: boolean[] = [];
  const pulled: boolean[] = [];
  for (let i = 0; i < STEPS_PER_PHASE; i++) {
    refused.push(await attempt(() => push(image(n++), `${readOnly.address}/alerts/app:ro${i}`)));
    pulled.push(await attempt(() => pull(`${readOnly.address}/alerts/app:v${i}`)));
    await recorder.scrape(readOnly.debugPort);
  }
  expect(refused.some((ok) => ok)).toBe(false);
  expect(pulled.every((ok) => ok)).toBe(true);
  // 4. the registry is gone (the window stays: the job died)
  await readOnly.stop();
  for (let i = 0; i < STEPS_PER_PHASE; i++) await recorder.scrape(undefined);

  // THEN, with the series as recorded, promtool finds the alerts of each phase and no other
  const inputSeries = recorder.inputSeries();
  // kube-state-metrics' series of the switch: its creation time, from the step the test created it on (see the header)
  inputSeries.push({
    series: `kube_configmap_created{configmap="${gc.maintenanceSwitch}",namespace="registry"}`,
    values: Array.from({ length: recorder.steps }, (_, i) => (i < switchCreatedStep ? '_' : String(switchCreatedStep * STEP_SECONDS))).join(' '),
  });
  const end = (phase: number) => `${((phase + 1) * STEPS_PER_PHASE - 1) * STEP_SECONDS}s`;
  const labels = (severity: string, extra: Obj = {}) => ({ severity, namespace: 'registry', ...extra });
  const firing: { [phase: number]: { [alert: string]: Obj } } = {
    0: {},
    1: { RegistryStorageErrors: labels('critical') },
    2: { RegistryMaintenanceWindowOpen: labels('critical', { configmap: gc.maintenanceSwitch }) },
    3: { RegistryMaintenanceWindowOpen: labels('critical', { configmap: gc.maintenanceSwitch }), RegistryUnavailable: labels('critical') },
  };
  const annotations = (name: string) => {
    const r = rule.spec.groups[0].rules.find((x: Obj) => x.alert === name);
    return r.annotations;
  };
  const alertTests = [0, 1, 2, 3].flatMap((phase) => alerts.alertNames.map((name) => ({
    eval_time: end(phase),
    alertname: name,
    exp_alerts: firing[phase][name] ? [{ exp_labels: firing[phase][name], exp_annotations: annotations(name) }] : [],
  })));
  const testFile = path.join(dir, 'test.yml');
  fs.writeFileSync(testFile, yaml.stringify({
    rule_files: ['rules.yml'],
    evaluation_interval: `${STEP_SECONDS}s`,
    tests: [{ interval: `${STEP_SECONDS}s`, input_series: inputSeries, alert_rule_test: alertTests }],
  }));
  let output: string;
  try {
    output = execFileSync('promtool', ['test', 'rules', testFile], { encoding: 'utf8', cwd: dir, stdio: 'pipe' });
  } catch (e) {
    throw new Error(`promtool test rules failed (series and tests in ${testFile}):\n${(e as any).stdout}${(e as any).stderr}`);
  }
  expect(output).toMatch(/SUCCESS/);
  // Each silent alert in the storage-failure phase was silent over a series that did count 5xx answers.
  expect(inputSeries.some((s) => /registry_http_requests_total\{.*code="5\d\d"/.test(s.series))).toBe(true);

  // AND every panel query of the dashboard names a metric of these scrapes, of kube-state-metrics or `up`
  const dashboard = JSON.parse(objects.find((o) => o.kind === 'ConfigMap' && o.metadata.labels.grafana_dashboard === '1')!.data['docker.json']);
  const known = new Set([...recorder.names, ...KUBE_STATE_METRICS, ...PROMETHEUS]);
  for (const panel of dashboard.panels) {
    for (const target of panel.targets) {
      const names = [...(target.expr as string).matchAll(/\b([a-z_:][a-z0-9_:]*)\{/g)].map((m) => m[1]);
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect({ panel: panel.title, name, known: known.has(name) }).toEqual({ panel: panel.title, name, known: true });
    }
  }
}, 300_000));

test('promtool: the kube-state-metrics alerts select this registry\'s Deployment, switch and collection Jobs only', () => {
  // GIVEN the alerts of a named registry with a collection; series as kube-state-metrics exports them (no cluster here:
  // written by hand, with the labels of its documented metrics and its own job label), for this registry and for others
  const chart = new Chart(Testing.app(), 'alerts', { namespace: 'registry' });
  const registry = new RegistryDeployment(chart, 'Registry', { name: 'docker', auth: RegistryAuth.none(), metrics: true });
  const metrics = new RegistryMetrics(chart, 'Metrics', { registry, serviceMonitor: true });
  const gc = new GarbageCollection(chart, 'GC', { registry, rolloutTimeout: Duration.seconds(30) });
  const alerts = new RegistryAlerts(chart, 'Alerts', { metrics, collectionTime: Duration.minutes(1) });
  const rule = validateChart(chart).find((o) => o.kind === 'PrometheusRule')!;
  const dir = tempDir('alerts-ksm');
  fs.writeFileSync(path.join(dir, 'rules.yml'), yaml.stringify(rule.spec));
  const ksm = 'job="kube-state-metrics"';
  const jobName = `${gc.cronJob.name}-29412000`;
  const inputSeries = [
    // this registry: ready, then no ready replica from minute 3
    { series: `kube_deployment_status_replicas_available{${ksm},namespace="registry",deployment="docker"}`, values: '1 1 1 0x12' },
    // a Deployment of the same name in another namespace, and another Deployment here: never ready (not ours)
    { series: `kube_deployment_status_replicas_available{${ksm},namespace="other",deployment="docker"}`, values: '0x15' },
    { series: `kube_deployment_status_replicas_available{${ksm},namespace="registry",deployment="docker-old"}`, values: '0x15' },
    // the switch, created at minute 0 and still there; another ConfigMap, created long ago
    { series: `kube_configmap_created{${ksm},namespace="registry",configmap="${gc.maintenanceSwitch}"}`, values: '0x15' },
    { series: `kube_configmap_created{${ksm},namespace="registry",configmap="docker-config"}`, values: '0x15' },
    // a Job of this collection whose pod fails at minute 2; a Job of another CronJob with a failed pod
    { series: `kube_job_status_failed{${ksm},namespace="registry",job_name="${jobName}"}`, values: '0 0 1x13' },
    { series: `kube_job_status_failed{${ksm},namespace="registry",job_name="docker-gc-other-29412000"}`, values: '1x15' },
  ];
  const annotations = (name: string) => rule.spec.groups[0].rules.find((x: Obj) => x.alert === name).annotations;
  // promtool compares the annotations as expanded: the one template used is the Job's name
  const expanded = (name: string, labels: Obj) => Object.fromEntries(Object.entries<string>(annotations(name))
    .map(([k, v]) => [k, v.replace('{{ $labels.job_name }}', labels.job_name)]));
  const expect1 = (time: string, name: string, labels?: Obj) => ({
    eval_time: time,
    alertname: name,
    exp_alerts: labels ? [{ exp_labels: { namespace: 'registry', ...labels }, exp_annotations: expanded(name, labels) }] : [],
  });
  const tests = [
    // the budget: 3 x 30 s + 1 min = 150 s
    expect1('2m', 'RegistryMaintenanceWindowOpen'),
    expect1('3m', 'RegistryMaintenanceWindowOpen', { severity: 'critical', job: 'kube-state-metrics', configmap: gc.maintenanceSwitch }),
    expect1('1m', 'RegistryGarbageCollectionFailed'),
    expect1('2m', 'RegistryGarbageCollectionFailed', { severity: 'warning', job: 'kube-state-metrics', job_name: jobName }),
    // no ready replica from minute 3, for 5 minutes
    expect1('7m', 'RegistryUnavailable'),
    expect1('8m', 'RegistryUnavailable', { severity: 'critical' }),
    ...['RegistryStorageErrors', 'RegistryManifestLatencyHigh', 'RegistryBlobLatencyHigh'].map((name) => expect1('10m', name)),
  ];
  expect(new Set(tests.map((t) => t.alertname))).toEqual(new Set(alerts.alertNames));
  const testFile = path.join(dir, 'test.yml');
  fs.writeFileSync(testFile, yaml.stringify({ rule_files: ['rules.yml'], evaluation_interval: '1m', tests: [{ interval: '1m', input_series: inputSeries, alert_rule_test: tests }] }));
  try {
    expect(execFileSync('promtool', ['test', 'rules', testFile], { encoding: 'utf8', cwd: dir, stdio: 'pipe' })).toMatch(/SUCCESS/);
  } catch (e) {
    throw new Error(`promtool test rules failed (${testFile}):\n${(e as any).stdout}${(e as any).stderr}`);
  }
});
