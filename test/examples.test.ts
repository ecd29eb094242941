import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Testing, Yaml } from 'cdk8s';
import { NodeRegistryConfig } from '../src';
import { ClusterMirrorsChart } from '../examples/cluster-mirrors';
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

  test('the mirrors example: four mirrors on NodePorts, OpenShift mirror sets, node files beside the manifests; snapshot', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-mirrors-'));
    try {
      const app = new App({ outdir });
      const chart = new ClusterMirrorsChart(app, 'cluster-mirrors');
      const objects = validateChart(chart);
      expect(objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name))
        .toEqual(['mirrors-docker-io', 'mirrors-ghcr-io', 'mirrors-quay-io', 'mirrors-registry-k8s-io']);
      expect(objects.filter((o) => o.spec?.type === 'NodePort').map((o) => o.spec.ports[0].nodePort)).toEqual([30500, 30501, 30502, 30503]);
      const digests = objects.find((o) => o.kind === 'ImageDigestMirrorSet')!;
      expect(digests.metadata.namespace).toBeUndefined();
      expect(digests.spec.imageDigestMirrors.map((m: { source: string }) => m.source)).toEqual(['docker.io', 'ghcr.io', 'quay.io', 'registry.k8s.io']);
      expect(objects).toMatchSnapshot();
      // WHEN the app is synthesized as examples/main.ts does THEN the node files land beside the manifests
      app.synth();
      expect(NodeRegistryConfig.writeFiles(app)).toEqual([
        'nodes/mirrors/etc/containerd/certs.d/docker.io/hosts.toml', 'nodes/mirrors/etc/containerd/certs.d/ghcr.io/hosts.toml',
        'nodes/mirrors/etc/containerd/certs.d/quay.io/hosts.toml', 'nodes/mirrors/etc/containerd/certs.d/registry.k8s.io/hosts.toml',
        'nodes/mirrors/etc/containers/registries.conf.d/50-mirrors.conf',
      ]);
      expect(fs.readFileSync(path.join(outdir, 'nodes/mirrors/etc/containerd/certs.d/docker.io/hosts.toml'), 'utf-8'))
        .toMatch(/^server = "https:\/\/registry-1\.docker\.io"\n\n\[host\."http:\/\/localhost:30500"\]\n {2}capabilities = \["pull", "resolve"\]\n$/m);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
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
