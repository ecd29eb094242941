import { Chart, Duration, Testing } from 'cdk8s';
import { GarbageCollection, RegistryAlerts, RegistryAlertsProps, RegistryAuth, RegistryDeployment, RegistryMetrics, RegistryVersion } from '../../src';
import { validateChart } from '../util/validate-manifests';

type Obj = { [key: string]: any };

function synth(alertProps: Partial<RegistryAlertsProps> = {}, options: { gc?: 'before' | 'after'; name?: string; namespace?: string } = {}) {
  const chart = new Chart(Testing.app(), 'test', { namespace: options.namespace ?? 'registry' });
  const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), metrics: true, version: RegistryVersion.V3_1, name: options.name });
  const metrics = new RegistryMetrics(chart, 'Metrics', { registry, serviceMonitor: true });
  if (options.gc === 'before') new GarbageCollection(chart, 'GC', { registry, rolloutTimeout: Duration.minutes(5) });
  const alerts = new RegistryAlerts(chart, 'Alerts', { metrics, ...alertProps });
  if (options.gc === 'after') new GarbageCollection(chart, 'GC', { registry, rolloutTimeout: Duration.minutes(5) });
  const objects = validateChart(chart);
  const rule = objects.find((o) => o.kind === 'PrometheusRule')!;
  const rules: Obj[] = rule.spec.groups[0].rules;
  const byName = (n: string) => rules.find((r) => r.alert === n)!;
  return { chart, registry, metrics, alerts, objects, rule, rules, byName };
}

describe('RegistryAlerts', () => {
  test('a PrometheusRule selecting the series the ServiceMonitor scrapes, with severity, summary, description and runbook', () => {
    const { objects, rule, rules, byName, metrics, registry } = synth({ ruleLabels: { release: 'kube-prometheus-stack' } }, { name: 'docker' });
    expect(objects.filter((o) => o.kind === 'PrometheusRule' || o.kind === 'ServiceMonitor')).toMatchSnapshot();
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.metadata.name).toBe('docker');
    expect(rule.metadata.labels).toEqual({ ...registry.labels, 'app.kubernetes.io/component': 'alerts', 'release': 'kube-prometheus-stack' });
    expect(rules.map((r) => r.alert)).toEqual(['RegistryUnavailable', 'RegistryStorageErrors', 'RegistryManifestLatencyHigh', 'RegistryBlobLatencyHigh']);
    // The ServiceMonitor's targets get job = the Service's name and namespace = its namespace.
    expect(metrics.service.name).toBe('docker-metrics');
    for (const r of rules) {
      expect(r.labels.severity).toMatch(/^(critical|warning)$/);
      expect(r.labels.namespace).toBe('registry');
      expect(r.annotations.summary).toContain('docker');
      expect(r.annotations.description.length).toBeGreaterThan(20);
      expect(r.annotations.runbook_url).toBe(`https://github.com/cdk8s-registry/cdk8s-registry/blob/main/docs/alerts.md#${r.alert.toLowerCase()}`);
    }
    expect(byName('RegistryUnavailable').expr).toBe('(max(kube_deployment_status_replicas_available{namespace="registry",deployment="docker"}) < 1) or (max(up{namespace="registry",job="docker-metrics"}) == 0)');
    expect(byName('RegistryStorageErrors').expr).toContain('registry_http_requests_total{namespace="registry",job="docker-metrics",handler=~"blob|blob_upload|blob_upload_chunk|manifest",code=~"5.."}[5m]');
    expect(byName('RegistryStorageErrors').expr).toMatch(/> 0\.05$/);
    expect(byName('RegistryManifestLatencyHigh').expr).toBe('histogram_quantile(0.95, sum by (le) (rate(registry_http_request_duration_seconds_bucket{namespace="registry",job="docker-metrics",handler="manifest",method=~"get|head"}[5m]))) > 1');
    expect(byName('RegistryBlobLatencyHigh').expr).toMatch(/handler="blob".* > 5$/);
  });

  test('thresholds are props', () => {
    const { byName } = synth({
      errorRatio: 0.2,
      window: Duration.minutes(10),
      latencyQuantile: 0.99,
      manifestLatency: Duration.millis(500),
      blobLatency: Duration.seconds(8),
      unavailableFor: Duration.minutes(2),
    });
    expect(byName('RegistryStorageErrors').expr).toMatch(/\[10m\].*> 0\.2$/);
    expect(byName('RegistryManifestLatencyHigh').expr).toMatch(/^histogram_quantile\(0\.99,.* > 0\.5$/);
    expect(byName('RegistryBlobLatencyHigh').expr).toMatch(/ > 8$/);
    expect(byName('RegistryUnavailable').for).toBe('2m');
  });

  test.each(['before', 'after'] as const)('with a GarbageCollection (created %s the alerts): the window left open and a failed collection', (gc) => {
    const { byName, rules, alerts } = synth({ collectionTime: Duration.minutes(30) }, { gc, name: 'docker' });
    expect(alerts.alertNames).toEqual(rules.map((r) => r.alert));
    // 3 waits of rolloutTimeout (5 min) + 30 min of collection
    expect(byName('RegistryMaintenanceWindowOpen').expr).toBe(`(time() - kube_configmap_created{namespace="registry",configmap="docker-maintenance"}) > ${3 * 300 + 1800}`);
    expect(byName('RegistryGarbageCollectionFailed').expr).toBe('kube_job_status_failed{namespace="registry",job_name=~"docker-gc-[0-9]+"} > 0');
  });

  test('a dry-run collection has no window: no window alert', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'registry' });
    const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), metrics: true });
    const metrics = new RegistryMetrics(chart, 'Metrics', { registry, serviceMonitor: true });
    new GarbageCollection(chart, 'GC', { registry, dryRun: true });
    const alerts = new RegistryAlerts(chart, 'Alerts', { metrics });
    expect(alerts.alertNames).not.toContain('RegistryMaintenanceWindowOpen');
  });

  test('a dashboard ConfigMap with the sidecar label, byte-stable JSON whose panels watch the same signals', () => {
    const first = synth({ dashboard: true }, { gc: 'before', name: 'docker' });
    const second = synth({ dashboard: true }, { gc: 'before', name: 'docker' });
    const cm = first.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.labels['app.kubernetes.io/component'] === 'dashboard')!;
    expect(cm.metadata.name).toBe('docker-dashboard');
    expect(cm.metadata.labels.grafana_dashboard).toBe('1');
    const json: string = cm.data['docker.json'];
    expect(json).toBe(second.alerts.dashboardJson());
    const dashboard = JSON.parse(json);
    const exprs: string[] = dashboard.panels.flatMap((p: Obj) => p.targets.map((t: Obj) => t.expr));
    expect(exprs.join('\n')).toContain('kube_configmap_created{namespace="registry",configmap="docker-maintenance"}');
    expect(new Set(dashboard.panels.map((p: Obj) => p.id)).size).toBe(dashboard.panels.length);
    // Grafana's uid: at most 40 characters, another for the same registry name in another namespace
    expect(dashboard.uid.length).toBeLessThanOrEqual(40);
    const elsewhere = JSON.parse(synth({ dashboard: true }, { name: 'docker', namespace: 'staging' }).alerts.dashboardJson());
    expect(elsewhere.uid).not.toBe(dashboard.uid);
    const custom = synth({ dashboard: true, dashboardLabel: 'grafana.dashboard/enabled', dashboardLabelValue: 'true' });
    const cm2 = custom.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.labels['app.kubernetes.io/component'] === 'dashboard')!;
    expect(cm2.metadata.labels['grafana.dashboard/enabled']).toBe('true');
    expect(cm2.metadata.labels.grafana_dashboard).toBeUndefined();
  });

  test('bad input: errors name the construct path, the property and what is valid', () => {
    expect(() => synth({ errorRatio: 0 })).toThrow(/test\/Alerts.*errorRatio.*above 0 and at most 1/);
    expect(() => synth({ errorRatio: 5 })).toThrow(/errorRatio \(5\)|errorRatio.*\(5\)/);
    expect(() => synth({ latencyQuantile: 1 })).toThrow(/latencyQuantile.*below 1/);
    expect(() => synth({ blobLatency: Duration.seconds(10) })).toThrow(/blobLatency.*\(10s\).*below 10s.*no bucket above 10s/);
    expect(() => synth({ manifestLatency: Duration.seconds(0) })).toThrow(/manifestLatency.*above 0/);
    expect(() => synth({ window: Duration.seconds(30) })).toThrow(/window/);
    expect(() => synth({ runbookUrl: 'docs/alerts.md#x' })).toThrow(/runbookUrl.*http\(s\) URL without a fragment/);
    expect(() => synth({ dashboardLabel: 'x' })).toThrow(/dashboardLabel.*'dashboard' is not true/);
    expect(() => synth({ dashboard: true, dashboardLabel: 'not a label' })).toThrow(/dashboardLabel.*not a label key/);
    // metrics without a ServiceMonitor: the alerts would select nothing
    const chart = Testing.chart();
    const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), metrics: true });
    const metrics = new RegistryMetrics(chart, 'Metrics', { registry });
    expect(() => new RegistryAlerts(chart, 'Alerts', { metrics })).toThrow(/Alerts.*metrics.*no ServiceMonitor.*serviceMonitor: true/);
    expect(() => new RegistryAlerts(chart, 'Alerts2', { metrics: undefined as any })).toThrow(/Alerts2.*metrics.*is required/);
    // another namespace
    const other = new Chart(Testing.app(), 'other', { namespace: 'monitoring' });
    const r2 = new RegistryDeployment(chart, 'R2', { auth: RegistryAuth.none(), metrics: true });
    const m2 = new RegistryMetrics(chart, 'M2', { registry: r2, serviceMonitor: true });
    expect(() => new RegistryAlerts(other, 'Alerts', { metrics: m2 })).toThrow(/other\/Alerts.*metrics.*namespace.*monitoring/);
  });
});
