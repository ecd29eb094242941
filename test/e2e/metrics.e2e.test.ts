/**
 * Metrics on the real registry, pod-style, on 2.8, 3.0 and 3.1: after a push, the debug server's /metrics (the
 * port the metrics Service targets) answers Prometheus text with the registry's request and storage metrics.
 * Also shows why that port must be reachable from the scraper only: it serves pprof and /debug/vars too.
 */
import { Testing } from 'cdk8s';
import { buildImage, cleanupAll, describeVersions, e2eVersions, httpRequest, push, RegistryPod, requireEnvironment } from './harness';
import { RegistryAuth, RegistryDeployment, RegistryMetrics, StorageBackend } from '../../src';
import { validateChart } from '../util/validate-manifests';

beforeAll(() => requireEnvironment());
afterAll(() => cleanupAll());

describeVersions(e2eVersions(), ({ version }) => test('after a push, /metrics answers Prometheus text with registry metrics', async () => {
  // GIVEN a registry with metrics and its metrics Service and ServiceMonitor
  const chart = Testing.chart();
  const registry = new RegistryDeployment(chart, 'Registry', { version, auth: RegistryAuth.none(), storage: StorageBackend.persistentVolumeClaim(), metrics: true });
  const metrics = new RegistryMetrics(chart, 'Metrics', { registry, serviceMonitor: true });
  const objects = validateChart(chart);
  const service = objects.find((o) => o.kind === 'Service' && o.metadata.labels['app.kubernetes.io/component'] === 'metrics')!;
  const monitor = objects.find((o) => o.kind === 'ServiceMonitor')!;
  const pod = new RegistryPod(objects);
  await pod.start();
  // The Service targets the container port the debug server listens on (the harness maps it to a free loopback port).
  expect(pod.container.ports).toContainEqual({ containerPort: service.spec.ports[0].targetPort, name: 'metrics' });
  expect(pod.env.REGISTRY_HTTP_DEBUG_ADDR).toBe(`127.0.0.1:${pod.debugPort}`);

  // WHEN an image is pushed
  await pod.withLogs(() => push(buildImage({ sizeBytes: 256 * 1024, seed: `metrics-${version}` }), `${pod.address}/metrics/app:v1`));

  // THEN the ServiceMonitor's path answers Prometheus text with the push counted
  const res = await httpRequest(`http://127.0.0.1:${pod.debugPort}${monitor.spec.endpoints[0].path}`);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  expect(res.body).toContain('# TYPE registry_http_requests_total counter');
  expect(res.body).toContain('# TYPE registry_storage_action_seconds histogram');
  expect(res.body).toMatch(/registry_http_requests_total\{code="201",handler="blob_upload_chunk",method="put"\} [1-9]/);
  expect(res.body).toMatch(/registry_storage_action_seconds_count\{action="PutContent",driver="filesystem"\} [1-9]/);
  expect(metrics.port).toBe(service.spec.ports[0].port);
  // AND the registry port itself does not serve them; the debug port also serves pprof and expvar (hence the NetworkPolicy)
  expect((await httpRequest(`${pod.url}/metrics`)).status).toBe(404);
  expect((await httpRequest(`http://127.0.0.1:${pod.debugPort}/debug/pprof/`)).status).toBe(200);
  expect((await httpRequest(`http://127.0.0.1:${pod.debugPort}/debug/vars`)).status).toBe(200);
  await pod.stop();
}));
