import * as kplus from 'cdk8s-plus-27';
import { RegistryFeature } from '../config/registry-version';
import type { IRegistry } from '../registry';
import { IRegistryPart, RegistryContribution } from '../registry-part';
import { SecretKeyReference } from '../secret-key-reference';
import { secretEnv } from '../util/secret-env';
import { headerNames, parseEndpoint, propError } from '../util/validation';
import { requireFeature } from '../util/version-check';

// What registry 3.x reads, checked in the source of v3.0.0 and v3.1.1 (/var/tmp/distribution-src):
// - tracing/tracing.go: one exporter from autoexport.NewSpanExporter (so OTEL_TRACES_EXPORTER: otlp by default,
//   `none`, `console`), plus a stdouttrace exporter that writes every span to the log at debug level.
//   The sampler is fixed in code, TraceIDRatioBased(1): OTEL_TRACES_SAMPLER(_ARG) is read by the SDK and then
//   overridden (sdk/trace/provider.go applies env configs before options), so no sampling option is offered.
//   The service name: 3.0.0 builds the resource with service.name=distribution, which wins over the environment
//   (sdk/trace/provider.go WithResource merges resource.Environment() first); 3.1.1 adds resource.WithFromEnv()
//   last, so OTEL_SERVICE_NAME wins there.
// - vendor/go.opentelemetry.io/contrib/exporters/autoexport/spans.go: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, then
//   OTEL_EXPORTER_OTLP_PROTOCOL: `grpc` or `http/protobuf` (the default); anything else fails at start.
// - vendor/.../otlptrace/otlptrace{http,grpc}/internal/otlpconfig/envconfig.go: OTEL_EXPORTER_OTLP_ENDPOINT is a
//   base URL (HTTP appends /v1/traces to its path; gRPC dials host and path joined), its scheme decides TLS
//   (http = plain; withEndpointScheme);
//   OTEL_EXPORTER_OTLP_HEADERS is `name=value,...`, each value percent-decoded (internal/envconfig/envconfig.go
//   stringToHeader, url.PathUnescape).
// - vendor/go.opentelemetry.io/otel/sdk/resource/env.go: OTEL_RESOURCE_ATTRIBUTES is `key=value,...`, each value
//   percent-decoded.

/**
 * The wire protocol of an OTLP exporter, as `OTEL_EXPORTER_OTLP_PROTOCOL` names it.
 */
export enum OtlpProtocol {
  /** Protobuf over HTTP, POSTed to `/v1/traces` under the endpoint (the collector's port 4318). */
  HTTP_PROTOBUF = 'http/protobuf',
  /** gRPC (the collector's port 4317). */
  GRPC = 'grpc',
}

/**
 * Options of `RegistryTracing.otlp()`.
 */
export interface OtlpTracingOptions {
  /**
   * The collector's base URL, such as `http://otel-collector.observability:4318`. With HTTP the traces go to
   * `/v1/traces` under its path; an `http://` URL sends them in plain text, `https://` with TLS.
   */
  readonly endpoint: string;

  /**
   * The wire protocol.
   * @default OtlpProtocol.HTTP_PROTOBUF
   */
  readonly protocol?: OtlpProtocol;

  /**
   * Headers sent with every export, such as a vendor's API key, each read from a Secret that holds the whole value
   * (for example `Bearer abc...`). The value is percent-decoded by the exporter: store it percent-encoded if it
   * contains `,` or `%`.
   * @default - none
   */
  readonly headers?: { [name: string]: SecretKeyReference };

  /**
   * The service name the traces carry (`OTEL_SERVICE_NAME`). Registry 3.1 or later: 3.0.0 always sends `distribution`.
   * @default - `distribution`, the registry's own
   */
  readonly serviceName?: string;

  /**
   * More resource attributes of the traces (`OTEL_RESOURCE_ATTRIBUTES`), such as `deployment.environment`.
   * Plain values, never credentials. The service name goes in `serviceName`.
   * @default - none
   */
  readonly resourceAttributes?: { [key: string]: string };
}

/**
 * OpenTelemetry tracing of registry 3.x, set through the `OTEL_*` variables the registry's SDK reads.
 *
 * Registry 3.x traces every request and, unless told otherwise, exports to `https://localhost:4318`, logging an
 * error every few seconds when nothing listens there. `RegistryTracing.disabled()`, the default, turns the export
 * off; `RegistryTracing.otlp()` sends the traces to a collector. Registry 2.8 has no tracing.
 *
 * A part like the other day-2 features, given through the `tracing` prop (its one door): every 3.x registry needs a
 * tracing decision when it is built, so the registry binds the prop, or `disabled()`, as its first part. Given to
 * `addPart` as well, it is refused (a registry exports its traces one way).
 */
export abstract class RegistryTracing implements IRegistryPart {
  /**
   * No traces leave the registry (`OTEL_TRACES_EXPORTER=none`, as the official image sets it). On 2.8, nothing.
   */
  public static disabled(): RegistryTracing {
    return new DisabledTracing();
  }

  /**
   * Traces are exported over OTLP to a collector (registry 3.x). Every request is sampled: the registry fixes
   * its sampler in code, so sample in the collector if needed.
   */
  public static otlp(options: OtlpTracingOptions): RegistryTracing {
    return new OtlpTracing(options);
  }

  protected constructor() {}

  /**
   * Renders the tracing setup for one registry, as every part does. Called once, by the registry.
   */
  public bind(registry: IRegistry): RegistryContribution {
    const earlier = registry.parts.find((part) => part instanceof RegistryTracing);
    if (earlier !== undefined) {
      throw propError(registry, 'tracing', 'is set already (by the \'tracing\' prop, or its default RegistryTracing.disabled()): a registry exports its traces one way. '
        + 'Give RegistryTracing.otlp({ ... }) as the \'tracing\' prop of the RegistryDeployment, not to addPart');
    }
    return { name: 'tracing', env: this.renderEnv(registry) };
  }

  /**
   * The variables of the tracing setup for one registry (a variable may reference another as `$(NAME)`: the
   * registry lists referenced ones first).
   */
  protected abstract renderEnv(registry: IRegistry): { [name: string]: kplus.EnvValue };
}

class DisabledTracing extends RegistryTracing {
  protected renderEnv(registry: IRegistry): { [name: string]: kplus.EnvValue } {
    if (!registry.version.supports(RegistryFeature.TRACING)) return {};
    // The official image sets this too; a mirror or own build may not.
    return { OTEL_TRACES_EXPORTER: kplus.EnvValue.fromValue('none') };
  }
}

/** Prefix of the variables that carry header values from Secrets, referenced by OTEL_EXPORTER_OTLP_HEADERS. */
const HEADER_VARIABLE = 'TRACING_HEADER_';

class OtlpTracing extends RegistryTracing {
  public constructor(private readonly options: OtlpTracingOptions) {
    super();
  }

  protected renderEnv(registry: IRegistry): { [name: string]: kplus.EnvValue } {
    const o = this.options ?? ({} as OtlpTracingOptions);
    requireFeature(registry, 'tracing', registry.version, RegistryFeature.TRACING, 'RegistryTracing.otlp()');
    const endpoint = checkEndpoint(registry, o.endpoint);
    const protocol = o.protocol ?? OtlpProtocol.HTTP_PROTOBUF;
    if (!Object.values(OtlpProtocol).includes(protocol)) {
      throw propError(registry, 'tracing.protocol', `(${JSON.stringify(protocol)}) must be one of ${Object.values(OtlpProtocol).map((p) => JSON.stringify(p)).join(', ')}`);
    }
    const port = new URL(endpoint).port;
    const conventional = { [OtlpProtocol.GRPC]: '4317', [OtlpProtocol.HTTP_PROTOBUF]: '4318' };
    const other = protocol === OtlpProtocol.GRPC ? OtlpProtocol.HTTP_PROTOBUF : OtlpProtocol.GRPC;
    if (port === conventional[other]) {
      const names = { [OtlpProtocol.GRPC]: 'GRPC', [OtlpProtocol.HTTP_PROTOBUF]: 'HTTP_PROTOBUF' };
      throw propError(registry, 'tracing.endpoint', `(${JSON.stringify(endpoint)}) is on port ${port}, the collector's ${other === OtlpProtocol.GRPC ? 'OTLP/gRPC' : 'OTLP/HTTP'} port, `
        + `but the protocol is OtlpProtocol.${names[protocol]}: the exporter would speak ${protocol} to it and no trace would arrive. `
        + `Use port ${conventional[protocol]}, or protocol OtlpProtocol.${names[other]}`);
    }
    if (protocol === OtlpProtocol.GRPC && new URL(endpoint).pathname !== '/') {
      throw propError(registry, 'tracing.endpoint', `(${JSON.stringify(endpoint)}) has a path, which gRPC would dial as part of the address: give scheme, host and port only, such as "http://otel-collector.observability:4317"`);
    }

    const secretVariables: { [name: string]: kplus.EnvValue } = {};
    const headers: string[] = [];
    const claim = headerNames(registry);
    Object.keys(o.headers ?? {}).sort().forEach((name, i) => {
      claim('tracing.headers', name);
      const ref = o.headers![name];
      const variable = `${HEADER_VARIABLE}${i}`;
      secretVariables[variable] = secretEnv(registry, `tracing.headers.${name}`, ref?.secret, ref?.key);
      // The kubelet puts the Secret's value in place of $(VARIABLE), so the value never appears in the manifest.
      headers.push(`${name}=$(${variable})`);
    });

    const env: { [name: string]: kplus.EnvValue } = {
      OTEL_TRACES_EXPORTER: kplus.EnvValue.fromValue('otlp'),
      OTEL_EXPORTER_OTLP_PROTOCOL: kplus.EnvValue.fromValue(protocol),
      OTEL_EXPORTER_OTLP_ENDPOINT: kplus.EnvValue.fromValue(endpoint),
    };
    if (headers.length > 0) {
      env.OTEL_EXPORTER_OTLP_HEADERS = kplus.EnvValue.fromValue(headers.join(','));
    }
    if (o.serviceName !== undefined) {
      requireFeature(registry, 'tracing.serviceName', registry.version, RegistryFeature.TRACING_SERVICE_NAME, `${JSON.stringify(o.serviceName)}`);
      if (typeof o.serviceName !== 'string' || o.serviceName.trim() === '' || o.serviceName !== o.serviceName.trim()) {
        throw propError(registry, 'tracing.serviceName', `(${JSON.stringify(o.serviceName)}) must be a non-empty name without surrounding spaces`);
      }
      env.OTEL_SERVICE_NAME = kplus.EnvValue.fromValue(o.serviceName);
    }
    const attributes = Object.keys(o.resourceAttributes ?? {}).sort().map((key) => {
      if (!/^[A-Za-z0-9_.\-/]+$/.test(key)) {
        throw propError(registry, 'tracing.resourceAttributes', `key ${JSON.stringify(key)} must be letters, digits, '.', '_', '-' and '/' (such as "deployment.environment")`);
      }
      if (key === 'service.name') {
        throw propError(registry, 'tracing.resourceAttributes', "sets 'service.name': use 'serviceName' (registry 3.1 or later)");
      }
      return `${key}=${encodeURIComponent(String(o.resourceAttributes![key]))}`;
    });
    if (attributes.length > 0) {
      env.OTEL_RESOURCE_ATTRIBUTES = kplus.EnvValue.fromValue(attributes.join(','));
    }
    // The header variables are referenced by OTEL_EXPORTER_OTLP_HEADERS, so the registry lists them before it.
    return { ...secretVariables, ...env };
  }
}

/** A collector's base URL, for messages. */
const COLLECTOR_EXAMPLE = 'http://otel-collector.observability:4318';

function checkEndpoint(registry: IRegistry, endpoint: string): string {
  if (typeof endpoint !== 'string' || endpoint === '') {
    throw propError(registry, 'tracing.endpoint', `is required: the collector's base URL, such as "${COLLECTOR_EXAMPLE}"`);
  }
  const url = parseEndpoint(registry, 'tracing.endpoint', endpoint, COLLECTOR_EXAMPLE,
    { path: true, lands: 'the Deployment (an env value)', credentials: 'send it as a header with headers' });
  if (/\/v1\/traces\/?$/.test(url.pathname)) {
    throw propError(registry, 'tracing.endpoint', `(${JSON.stringify(endpoint)}) is the base URL: leave out /v1/traces, the exporter appends it`);
  }
  return endpoint;
}
