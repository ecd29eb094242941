import { Duration, Testing } from 'cdk8s';
import { RegistryAuth, RegistryDeployment, RegistryDeploymentProps, RegistryMetrics, RegistryMetricsProps } from '../../src';
import { manifestErrors, validateChart } from '../util/validate-manifests';

type Obj = { [key: string]: any };

function synth(registryProps: Partial<RegistryDeploymentProps> = { metrics: true }, metricsProps: Partial<RegistryMetricsProps> = {}) {
  const chart = Testing.chart();
  const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), ...registryProps });
  const metrics = new RegistryMetrics(chart, 'Metrics', { registry, ...metricsProps });
  const objects = validateChart(chart);
  const services = objects.filter((o) => o.kind === 'Service');
  return { chart, registry, metrics, objects, services, deployment: objects.find((o) => o.kind === 'Deployment')!, config: registry.renderConfigYaml() };
}

describe('RegistryMetrics', () => {
  test('a metrics Service on the debug port, selecting the registry pods; the registry Service does not expose it', () => {
    const { objects, metrics, services, deployment, config } = synth();
    expect(objects).toMatchSnapshot();
    expect(metrics.port).toBe(5001);
    expect(config).toContain('debug:\n    addr: :5001\n    prometheus:\n      enabled: true\n      path: /metrics');
    const metricsService = services.find((s) => s.metadata.labels['app.kubernetes.io/component'] === 'metrics')!;
    const registryService = services.find((s) => s.metadata.labels['app.kubernetes.io/component'] === 'registry')!;
    expect(metricsService.spec.ports).toEqual([{ name: 'metrics', port: 5001, targetPort: 5001 }]);
    // the registry's pods (the Deployment's selector and their component), never the pods of another part
    expect(metricsService.spec.selector).toEqual({ ...deployment.spec.selector.matchLabels, 'app.kubernetes.io/component': 'registry' });
    expect(registryService.spec.ports.map((p: Obj) => p.port)).toEqual([5000]);
    expect(deployment.spec.template.spec.containers[0].ports).toContainEqual({ containerPort: 5001, name: 'metrics' });
    expect(objects.filter((o) => o.kind === 'ServiceMonitor')).toEqual([]);
  });

  test('a ServiceMonitor when asked: selects the metrics Service only, scrapes /metrics on the metrics port', () => {
    const { objects, services } = synth({ metrics: true }, { serviceMonitor: true, serviceMonitorLabels: { release: 'kube-prometheus-stack' }, scrapeInterval: Duration.seconds(15) });
    const monitor = objects.find((o) => o.kind === 'ServiceMonitor')!;
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(monitor.metadata.labels.release).toBe('kube-prometheus-stack');
    expect(monitor.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', scheme: 'http', interval: '15s' }]);
    const selector = Object.entries<string>(monitor.spec.selector.matchLabels);
    const selected = services.filter((s) => selector.every(([k, v]) => s.metadata.labels?.[k] === v));
    expect(selected.map((s) => s.metadata.labels['app.kubernetes.io/component'])).toEqual(['metrics']);
  });

  test('with a registry name: the Service and the ServiceMonitor are named from it, the monitor selects by instance and component', () => {
    const { objects } = synth({ metrics: true, name: 'registry' }, { serviceMonitor: true });
    const service = objects.find((o) => o.kind === 'Service' && o.metadata.labels['app.kubernetes.io/component'] === 'metrics')!;
    const monitor = objects.find((o) => o.kind === 'ServiceMonitor')!;
    expect(service.metadata.name).toBe('registry-metrics');
    expect(monitor.metadata.name).toBe('registry');
    // not the version label, which changes on every upgrade
    expect(monitor.spec.selector).toEqual({
      matchLabels: { 'app.kubernetes.io/name': 'registry', 'app.kubernetes.io/instance': 'registry', 'app.kubernetes.io/component': 'metrics' },
    });
    const chart = Testing.chart();
    const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), metrics: true, name: 'r'.repeat(56) });
    expect(() => new RegistryMetrics(chart, 'Metrics', { registry }))
      .toThrow(/test\/Metrics: 'registry' is named "r{56}", so the metrics Service would be named "r{56}-metrics", longer than the 63 characters of a Service name/);
  });

  test('the validator catches a ServiceMonitor that scrapes a port the Service lacks', () => {
    const { objects } = synth({ metrics: true }, { serviceMonitor: true });
    const broken = objects.map((o) => o.kind === 'ServiceMonitor' ? { ...o, spec: { ...o.spec, endpoints: [{ port: 'http-metrics' }] } } : o);
    expect(manifestErrors(broken).join('\n')).toMatch(/endpoint port http-metrics is not a named port/);
  });

  test('refused without metrics on the registry, and for inconsistent props', () => {
    expect(() => synth({})).toThrow(/Metrics: 'registry' \(test\/Registry\) serves no metrics: set 'metrics: true'/);
    expect(() => synth({ metrics: true }, { serviceMonitorLabels: { release: 'x' } })).toThrow(/'serviceMonitorLabels' are given but 'serviceMonitor' is not true/);
    expect(() => synth({ metrics: true }, { serviceMonitor: true, serviceMonitorLabels: { release: 'kube prometheus' } })).toThrow(/'serviceMonitorLabels' value "kube prometheus" of release is not a label value/);
    expect(() => synth({ metrics: true }, { scrapeInterval: Duration.millis(500) })).toThrow(/'scrapeInterval' \(0.5 s\) must be a whole number of seconds/);
  });
});
