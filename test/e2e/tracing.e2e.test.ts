/**
 * Tracing on registry 3.0 and 3.1: `RegistryTracing.otlp()` sends the registry's traces over OTLP/HTTP and OTLP/gRPC
 * to loopback collector stand-ins, with an Authorization header from a Secret; the default exports nothing and logs no export
 * error, even where the cluster injects an OTLP endpoint. Registry 2.8 has no tracing (a synth-time error).
 */
import * as http2 from 'http2';
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  buildImage, cleanupAll, describeVersions, e2eVersions, freePort, onCleanup, push, RecordedRequest, RecordingServer, RegistryPod, textOutsideSecrets,
  waitForRequest,
} from './harness';
import {
  LogLevel, OtlpProtocol, OtlpTracingOptions, RegistryAuth, RegistryDeployment, RegistryFeature, RegistryTracing, RegistryVersion, StorageBackend,
} from '../../src';
import { validateChart } from '../util/validate-manifests';

afterAll(() => cleanupAll());

/** A token with the characters API keys and JWTs use ('+', '/', '=', '.', '-', '_'); ',' and '%' need percent-encoding. */
const TOKEN = 'Bearer ab+c/d=e.f-g_h';

/** The registry's span for a request, as the SDK names it (registry/registry.go: method and path). */
const MANIFEST_PUT = 'PUT /v2/team/app/manifests/v1';

describeVersions(e2eVersions({ filter: (v) => v.version.supports(RegistryFeature.TRACING) }), ({ version }) => {
  test('RegistryTracing.otlp(): a push is traced to the collector over OTLP/HTTP, with the header from the Secret', async () => {
    // GIVEN a collector stand-in on loopback, and a registry exporting to it with an Authorization header from a Secret
    const collector = await startCollector();
    const serviceName = version.supports(RegistryFeature.TRACING_SERVICE_NAME) ? 'registry-e2e' : undefined;
    // WHEN an image is pushed
    const { objects, request } = await pushTraced(version, 'tracing', collector, {
      serviceName,
      resourceAttributes: { 'deployment.environment': 'e2e test' },
    });
    expect(textOutsideSecrets(objects)).not.toContain('ab+c');

    // THEN the collector receives the manifest PUT's span as OTLP protobuf at /v1/traces, with the Secret's header
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v1/traces');
    expect(request.headers['content-type']).toBe('application/x-protobuf');
    expect(request.headers.authorization).toBe(TOKEN);
    // AND the resource carries the service name (3.1 reads OTEL_SERVICE_NAME; 3.0.0 always sends its own) and the
    // attribute, percent-decoded by the SDK
    expect(request.body.toString('latin1')).toContain(serviceName ?? 'distribution');
    expect(request.body.toString('latin1')).toContain('e2e test');
  });

  test('RegistryTracing.otlp() over gRPC: the push is traced to the collector\'s TraceService, with the header from the Secret', async () => {
    // GIVEN a gRPC collector stand-in (HTTP/2 without TLS, as an http:// endpoint asks) and a registry exporting to it
    const collector = await startGrpcCollector();
    // WHEN an image is pushed
    const { request } = await pushTraced(version, 'tracinggrpc', collector, { protocol: OtlpProtocol.GRPC });

    // THEN the collector's Export call carries the manifest PUT's span and the Secret's header as gRPC metadata
    expect(request.path).toBe('/opentelemetry.proto.collector.trace.v1.TraceService/Export');
    expect(request.headers['content-type']).toBe('application/grpc');
    expect(request.headers.authorization).toBe(TOKEN);
  });

  test('the default exports nothing and logs no export error, even with an OTLP endpoint injected into the pod', async () => {
    // GIVEN the default tracing, at debug level so the registry logs each span it hands to its exporters
    const collector = await startCollector();
    const chart = new Chart(Testing.app(), 'notracing');
    new RegistryDeployment(chart, 'Registry', { version, storage: StorageBackend.emptyDir(), auth: RegistryAuth.none(), logLevel: LogLevel.DEBUG });
    const objects = validateChart(chart);
    // AND a cluster that injects an OTLP endpoint into every pod (as an OpenTelemetry operator's webhook can)
    const container = objects.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0];
    container.env = [{ name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: collector.url }, ...container.env];
    expect(container.env).toContainEqual({ name: 'OTEL_TRACES_EXPORTER', value: 'none' });
    const pod = new RegistryPod(objects);
    await pod.start();

    // WHEN an image is pushed
    await pod.withLogs(() => push(buildImage({ sizeBytes: 64 * 1024 }), `${pod.address}/team/app:v1`));

    // THEN the batch of spans holding the manifest PUT went through the exporters: tracing/tracing.go exports to the
    // configured exporter first and then to the debug log, so this log line means the export round has happened
    await pod.waitForLog(new RegExp(`Name\\\\?":\\\\?"${MANIFEST_PUT}`), 30000);
    // AND the collector received nothing, and no export error was logged
    expect(collector.requests).toEqual([]);
    expect(pod.stderr()).not.toMatch(/traces export/);
    await pod.stop();
  });
});

/**
 * Runs a registry of `version` exporting its traces to `collector` with `options` and an Authorization header from
 * the Secret `apm-keys` (holding TOKEN), pushes one image, and returns the synthesized objects and the collector's
 * request that carries the manifest PUT's span. No export error may be logged.
 */
async function pushTraced(version: RegistryVersion, chartId: string, collector: Collector,
  options: Omit<OtlpTracingOptions, 'endpoint' | 'headers'>): Promise<{ objects: any[]; request: RecordedRequest }> {
  const chart = new Chart(Testing.app(), chartId);
  const apm = kplus.Secret.fromSecretName(chart, 'Apm', 'apm-keys');
  new RegistryDeployment(chart, 'Registry', {
    version,
    storage: StorageBackend.emptyDir(),
    auth: RegistryAuth.none(),
    tracing: RegistryTracing.otlp({ endpoint: collector.url, headers: { Authorization: { secret: apm, key: 'token' } }, ...options }),
  });
  const objects = validateChart(chart);
  const pod = new RegistryPod(objects, { externalSecrets: { 'apm-keys': { token: TOKEN } } });
  await pod.start();
  await pod.withLogs(() => push(buildImage({ sizeBytes: 64 * 1024 }), `${pod.address}/team/app:v1`));
  const request = await collector.waitFor((r) => r.body.includes(MANIFEST_PUT), pod);
  expect(pod.stderr()).not.toMatch(/traces export/);
  await pod.stop();
  return { objects, request };
}

/** A loopback OTLP/gRPC collector stand-in (h2c): records every call and answers each with an empty response, status OK. */
async function startGrpcCollector(): Promise<Collector> {
  const requests: RecordedRequest[] = [];
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      requests.push({ method: String(headers[':method']), path: String(headers[':path']), headers, body: Buffer.concat(chunks) });
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.from([0, 0, 0, 0, 0])); // one uncompressed message of 0 bytes: an empty ExportTraceServiceResponse
    });
  });
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return collectorAt(requests, port);
}

/** A loopback OTLP/HTTP collector stand-in: records every request and answers 200 with an empty body. */
function startCollector(): Promise<Collector> {
  return RecordingServer.start(200, { 'Content-Type': 'application/x-protobuf' });
}

/** A collector stand-in: the requests it received, its URL, and a wait for one of them. */
type Collector = Pick<RecordingServer, 'requests' | 'url' | 'waitFor'>;

function collectorAt(requests: RecordedRequest[], port: number): Collector {
  return { requests, url: `http://127.0.0.1:${port}`, waitFor: (match, pod) => waitForRequest(requests, match, pod) };
}
