import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { synthConfig, V2_8, V3_0, V3_1 } from './helpers';
import { OtlpProtocol, RegistryAuth, RegistryDeployment, RegistryTracing, RegistryVersion, StorageBackend } from '../../src';
import { textOutsideSecrets } from '../e2e/harness/manifests';

type Obj = { [key: string]: any };

/** Synthesizes a registry of `version` whose tracing is built in its chart (for Secrets); returns its env. */
function synthWith(version: RegistryVersion, tracing: (chart: Chart) => RegistryTracing | undefined): { env: Obj[]; objects: Obj[] } {
  const chart = Testing.chart();
  new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), storage: StorageBackend.emptyDir(), version, tracing: tracing(chart) });
  const { objects, spec } = synthConfig(chart);
  return { objects, env: spec.containers[0].env ?? [] };
}

function envOf(version: RegistryVersion, tracing?: RegistryTracing): { env: Obj[]; objects: Obj[] } {
  return synthWith(version, () => tracing);
}

const otelNames = (env: Obj[]) => env.map((e) => e.name).filter((n: string) => n.startsWith('OTEL_') || n.startsWith('TRACING_'));

describe('RegistryTracing.disabled() (the default)', () => {
  test('3.x: OTEL_TRACES_EXPORTER=none and no other OTEL variable, so the registry does not export to localhost:4318', () => {
    for (const version of [V3_0, V3_1]) {
      for (const tracing of [undefined, RegistryTracing.disabled()]) {
        const { env } = envOf(version, tracing);
        expect(otelNames(env)).toEqual(['OTEL_TRACES_EXPORTER']);
        expect(env).toContainEqual({ name: 'OTEL_TRACES_EXPORTER', value: 'none' });
      }
    }
  });

  test('2.8 has no tracing: no OTEL variable', () => {
    expect(otelNames(envOf(V2_8).env)).toEqual([]);
    expect(otelNames(envOf(V2_8, RegistryTracing.disabled()).env)).toEqual([]);
  });
});

describe('RegistryTracing.otlp()', () => {
  test('every option on 3.1: endpoint, protocol, headers from Secrets via $(VAR), service name, resource attributes', () => {
    const { env, objects } = synthWith(V3_1, (chart) => {
      const apm = kplus.Secret.fromSecretName(chart, 'Apm', 'apm-keys');
      return RegistryTracing.otlp({
        endpoint: 'https://otlp.example.com:4318/base',
        protocol: OtlpProtocol.HTTP_PROTOBUF,
        headers: { 'X-Api-Key': { secret: apm, key: 'api-key' }, 'Authorization': { secret: apm, key: 'bearer' } },
        serviceName: 'registry-prod',
        resourceAttributes: { 'deployment.environment': 'prod eu,1', 'k8s.cluster.name': 'blue' },
      });
    });
    const byName = Object.fromEntries(env.map((e) => [e.name, e]));
    // THEN the Secret values come first, as secretKeyRefs, sorted by header name
    expect(otelNames(env)).toEqual([
      'TRACING_HEADER_0', 'TRACING_HEADER_1',
      'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_PROTOCOL',
      'OTEL_RESOURCE_ATTRIBUTES', 'OTEL_SERVICE_NAME', 'OTEL_TRACES_EXPORTER',
    ]);
    expect(byName.TRACING_HEADER_0).toEqual({ name: 'TRACING_HEADER_0', valueFrom: { secretKeyRef: { name: 'apm-keys', key: 'bearer' } } });
    expect(byName.TRACING_HEADER_1).toEqual({ name: 'TRACING_HEADER_1', valueFrom: { secretKeyRef: { name: 'apm-keys', key: 'api-key' } } });
    // AND the headers variable references them (the kubelet expands $(VAR) from earlier variables)
    expect(byName.OTEL_EXPORTER_OTLP_HEADERS.value).toBe('Authorization=$(TRACING_HEADER_0),X-Api-Key=$(TRACING_HEADER_1)');
    expect(env.findIndex((e) => e.name === 'TRACING_HEADER_1')).toBeLessThan(env.findIndex((e) => e.name === 'OTEL_EXPORTER_OTLP_HEADERS'));
    expect(byName.OTEL_TRACES_EXPORTER.value).toBe('otlp');
    expect(byName.OTEL_EXPORTER_OTLP_PROTOCOL.value).toBe('http/protobuf');
    expect(byName.OTEL_EXPORTER_OTLP_ENDPOINT.value).toBe('https://otlp.example.com:4318/base');
    expect(byName.OTEL_SERVICE_NAME.value).toBe('registry-prod');
    // AND attribute values are percent-encoded, as the SDK percent-decodes them
    expect(byName.OTEL_RESOURCE_ATTRIBUTES.value).toBe('deployment.environment=prod%20eu%2C1,k8s.cluster.name=blue');
    expect(objects).toMatchSnapshot();
  });

  test('the minimal form on 3.0 and 3.1: http/protobuf, no headers, the registry\'s service name', () => {
    for (const version of [V3_0, V3_1]) {
      const { env } = envOf(version, RegistryTracing.otlp({ endpoint: 'http://otel-collector.observability:4318' }));
      expect(env.filter((e) => otelNames([e]).length > 0)).toEqual([
        { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://otel-collector.observability:4318' },
        { name: 'OTEL_EXPORTER_OTLP_PROTOCOL', value: 'http/protobuf' },
        { name: 'OTEL_TRACES_EXPORTER', value: 'otlp' },
      ]);
    }
    const grpc = envOf(V3_1, RegistryTracing.otlp({ endpoint: 'http://otel-collector:4317', protocol: OtlpProtocol.GRPC })).env;
    expect(grpc).toContainEqual({ name: 'OTEL_EXPORTER_OTLP_PROTOCOL', value: 'grpc' });
  });

  test('refused on 2.8, naming the version to use', () => {
    expect(() => envOf(V2_8, RegistryTracing.otlp({ endpoint: 'http://c:4318' })))
      .toThrow(/'tracing' \(RegistryTracing.otlp\(\)\) needs registry 3.0.0 or later, and this registry runs 2.8.3: use RegistryVersion.V3_0/);
  });

  test('serviceName needs 3.1: 3.0.0 always sends "distribution"', () => {
    expect(() => envOf(V3_0, RegistryTracing.otlp({ endpoint: 'http://c:4318', serviceName: 'reg' })))
      .toThrow(/'tracing.serviceName' \("reg"\) needs registry 3.1.0 or later, and this registry runs 3.0.0: use RegistryVersion.V3_1/);
    expect(() => envOf(V3_1, RegistryTracing.otlp({ endpoint: 'http://c:4318', serviceName: ' reg' }))).toThrow(/'tracing.serviceName' \(" reg"\) must be a non-empty name/);
  });

  test('no credential in the manifest outside Secrets; bad endpoints, headers and attributes are synth-time errors', () => {
    const { objects } = synthWith(V3_1, (chart) => RegistryTracing.otlp({
      endpoint: 'http://c:4318',
      headers: { Authorization: { secret: kplus.Secret.fromSecretName(chart, 'S', 'apm'), key: 'token' } },
    }));
    expect(textOutsideSecrets(objects)).toContain('Authorization=$(TRACING_HEADER_0)');

    const bad = (options: Obj) => () => envOf(V3_1, RegistryTracing.otlp(options as any));
    expect(bad({})).toThrow(/'tracing.endpoint' is required: the collector's base URL/);
    expect(bad({ endpoint: 'otel-collector:4318' })).toThrow(/'tracing.endpoint' \("otel-collector:4318"\) must be an http:\/\/ or https:\/\/ URL/);
    expect(bad({ endpoint: 'collector' })).toThrow(/'tracing.endpoint' \("collector"\) is not a URL/);
    expect(bad({ endpoint: 'https://u:p@c:4318' })).toThrow(/'tracing.endpoint' puts what looks like a credential in the Deployment \(an env value\) as plain text \(the URL's user and password\).*headers/);
    expect(bad({ endpoint: 'http://c:4318/v1/traces' })).toThrow(/leave out \/v1\/traces, the exporter appends it/);
    expect(bad({ endpoint: 'http://c:4318?x=1' })).toThrow(/must not have a query or fragment/);
    expect(bad({ endpoint: 'http://c:4318', protocol: 'http/json' })).toThrow(/'tracing.protocol' \("http\/json"\) must be one of "http\/protobuf", "grpc"/);
    expect(bad({ endpoint: 'http://c:4317/otlp', protocol: OtlpProtocol.GRPC })).toThrow(/'tracing.endpoint' \("http:\/\/c:4317\/otlp"\) has a path, which gRPC would dial/);
    expect(bad({ endpoint: 'http://c:4318', resourceAttributes: { 'service.name': 'x' } })).toThrow(/'tracing.resourceAttributes' sets 'service.name': use 'serviceName'/);
    expect(bad({ endpoint: 'http://c:4318', resourceAttributes: { 'a=b': 'x' } })).toThrow(/'tracing.resourceAttributes' key "a=b" must be/);
    expect(() => synthWith(V3_1, (chart) => RegistryTracing.otlp({
      endpoint: 'http://c:4318', headers: { 'Bad Header': { secret: kplus.Secret.fromSecretName(chart, 'S', 'apm'), key: 'token' } },
    }))).toThrow(/'tracing.headers' name "Bad Header" is not an HTTP header name/);
    expect(() => synthWith(V3_1, (chart) => {
      const apm = kplus.Secret.fromSecretName(chart, 'S', 'apm');
      return RegistryTracing.otlp({ endpoint: 'http://c:4318', headers: { 'X-Token': { secret: apm, key: 'a' }, 'x-token': { secret: apm, key: 'b' } } });
    })).toThrow(/'tracing.headers' header 'x-token' is also given as 'X-Token' \(header names ignore case\)/);
    expect(() => synthWith(V3_1, (chart) => RegistryTracing.otlp({
      endpoint: 'http://c:4318', headers: { Authorization: { secret: kplus.Secret.fromSecretName(chart, 'S', 'apm'), key: 'bad key' } },
    }))).toThrow(/'tracing.headers.Authorization' \("bad key"\) is not a valid Secret key/);
  });

  test('an exporter aimed at the other protocol\'s conventional port is refused: no trace would arrive', () => {
    const bad = (options: Obj) => () => envOf(V3_1, RegistryTracing.otlp(options as any));
    expect(bad({ endpoint: 'http://otel-collector.observability:4318', protocol: OtlpProtocol.GRPC }))
      .toThrow(/test\/Registry: 'tracing.endpoint' \("http:\/\/otel-collector.observability:4318"\) is on port 4318, the collector's OTLP\/HTTP port, but the protocol is OtlpProtocol.GRPC: the exporter would speak grpc to it and no trace would arrive. Use port 4317, or protocol OtlpProtocol.HTTP_PROTOBUF/);
    expect(bad({ endpoint: 'http://otel-collector.observability:4317' }))
      .toThrow(/'tracing.endpoint' \("http:\/\/otel-collector.observability:4317"\) is on port 4317, the collector's OTLP\/gRPC port, but the protocol is OtlpProtocol.HTTP_PROTOBUF: .*Use port 4318, or protocol OtlpProtocol.GRPC/);
    // other ports (a vendor's 443, a collector on its own port) are the user's to choose
    expect(bad({ endpoint: 'https://otlp.vendor.example.com', protocol: OtlpProtocol.GRPC })).not.toThrow();
    expect(bad({ endpoint: 'http://c:14317', protocol: OtlpProtocol.GRPC })).not.toThrow();
  });
});

describe('RegistryTracing is a part, with the tracing prop as its one door', () => {
  test('tracing is a part given through its prop: it is among the parts, and a second one is refused', () => {
    const chart = Testing.chart();
    const tracing = RegistryTracing.otlp({ endpoint: 'http://otel-collector.observability:4318' });
    const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), tracing });
    expect(registry.parts).toEqual([tracing]);
    expect(() => registry.addPart(RegistryTracing.otlp({ endpoint: 'http://other:4318' })))
      .toThrow(/test\/Registry: 'tracing' is set already \(by the 'tracing' prop, or its default RegistryTracing.disabled\(\)\).*as the 'tracing' prop/);
    const bare = new RegistryDeployment(Testing.chart(), 'Registry', { auth: RegistryAuth.none() });
    expect(() => bare.addPart(RegistryTracing.otlp({ endpoint: 'http://other:4318' }))).toThrow(/'tracing' is set already/);
  });

  test('the header variables come before OTEL_EXPORTER_OTLP_HEADERS, which references them, in one contribution', () => {
    const { env } = synthWith(V3_1, (chart) => RegistryTracing.otlp({
      endpoint: 'https://collector.example.com:4318',
      headers: { 'x-api-key': { secret: kplus.Secret.fromSecretName(chart, 'K', 'otel'), key: 'key' } },
    }));
    expect(otelNames(env)).toEqual(['TRACING_HEADER_0', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_TRACES_EXPORTER']);
  });
});
