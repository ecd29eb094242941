import { App, Testing, Yaml } from 'cdk8s';
import { buildExamples, PvcRegistryChart } from '../examples/main';
import { MonitoredRegistryChart } from '../examples/monitored-registry';
import { validateChart } from './util/validate-manifests';

describe('examples/main.ts', () => {
  test('every example chart passes the manifest validation', () => {
    const app = Testing.app();
    buildExamples(app);
    expect(app.charts.length).toBeGreaterThan(0);
    for (const chart of app.charts) {
      expect(() => validateChart(chart)).not.toThrow();
    }
  });

  test('the PVC example: Namespace first, everything in it, snapshot', () => {
    const chart = new PvcRegistryChart(Testing.app(), 'pvc-registry');
    const objects = validateChart(chart);
    expect(objects[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'pvc-registry' } });
    expect(objects.slice(1).every((o) => o.metadata.namespace === 'pvc-registry')).toBe(true);
    expect(objects).toMatchSnapshot();
  });

  test('the monitored example: metrics, alerts (with the collection\'s window) and a dashboard, snapshot', () => {
    const chart = new MonitoredRegistryChart(Testing.app(), 'monitored-registry');
    const objects = validateChart(chart);
    const rule = objects.find((o) => o.kind === 'PrometheusRule')!;
    expect(rule.metadata.labels.release).toBe('kube-prometheus-stack');
    expect(rule.spec.groups[0].rules.map((r: { alert: string }) => r.alert)).toEqual(['RegistryUnavailable', 'RegistryStorageErrors',
      'RegistryManifestLatencyHigh', 'RegistryBlobLatencyHigh', 'RegistryMaintenanceWindowOpen', 'RegistryGarbageCollectionFailed']);
    const dashboard = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.labels.grafana_dashboard === '1')!;
    expect(dashboard.metadata.name).toBe('registry-dashboard');
    expect(JSON.parse(dashboard.data['registry.json']).panels.length).toBe(6);
    expect(objects).toMatchSnapshot();
  });

  test('synthesis is deterministic', () => {
    const render = () => {
      const app = new App({ outdir: '/dev/null' });
      buildExamples(app);
      return app.charts.map((c) => Yaml.stringify(...c.toJson())).join('---\n');
    };
    expect(render()).toBe(render());
  });
});
