import { ApiObject, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { INodeRegistrySource, NodeRegistryHost } from '../nodes/node-registry-host';
import { Platform } from '../platform';
import { WayInKind } from '../registry';
import { RegistryDeployment } from '../registry-deployment';
import { RegistryWayInBase } from './registry-way-in-base';
import { propError, requireDns1123Subdomain, requireHostname, wholeSeconds } from '../util/validation';

/**
 * What a Route termination renders.
 */
export interface RouteTerminationBinding {
  /** The Route's `spec.tls`. */
  readonly tls: { [key: string]: any };
}

/**
 * Options of `RouteTermination.edge()`.
 */
export interface EdgeRouteTerminationOptions {
  /**
   * Redirect plain HTTP to HTTPS (`insecureEdgeTerminationPolicy: Redirect`); otherwise plain HTTP is refused.
   * @default true
   */
  readonly redirectInsecure?: boolean;
}

/**
 * Options of `RouteTermination.reencrypt()`.
 */
export interface ReencryptRouteTerminationOptions {
  /**
   * PEM of the CA that signed the pod's certificate, so the router can verify it
   * (`destinationCACertificate`; public material). Not needed when the pod's certificate comes from
   * the OpenShift service CA (`service.beta.openshift.io/serving-cert-secret-name`).
   * @default - the router trusts the service CA only
   */
  readonly destinationCaCertificate?: string;
}

/**
 * Where an OpenShift Route terminates TLS. The router presents its default (wildcard) certificate
 * for edge and reencrypt: certificates inlined into a Route would put a private key in the manifests.
 */
export abstract class RouteTermination {
  /** The router terminates TLS and speaks HTTP to the pod. Needs a registry without in-pod TLS. */
  public static edge(options: EdgeRouteTerminationOptions = {}): RouteTermination {
    return new EdgeTermination(options);
  }

  /** The router terminates TLS and opens a new TLS connection to the pod. Needs in-pod TLS (`tls` of the registry). */
  public static reencrypt(options: ReencryptRouteTerminationOptions = {}): RouteTermination {
    return new ReencryptTermination(options);
  }

  /**
   * The router passes TLS through to the pod, which presents its own certificate. Needs in-pod TLS;
   * plain HTTP is redirected.
   */
  public static passthrough(): RouteTermination {
    return new PassthroughTermination();
  }

  protected constructor() {
  }

  /** Renders the termination for a registry; throws when the registry's TLS setting does not fit. */
  public abstract bind(scope: Construct, registry: RegistryDeployment): RouteTerminationBinding;
}

class EdgeTermination extends RouteTermination {
  public constructor(private readonly options: EdgeRouteTerminationOptions) {
    super();
  }

  public bind(scope: Construct, registry: RegistryDeployment): RouteTerminationBinding {
    if (registry.servesTls) {
      throw propError(scope, 'termination', 'is edge, but the registry serves TLS itself, and an edge Route speaks plain HTTP to the pod: '
        + 'use RouteTermination.reencrypt() or RouteTermination.passthrough(), or drop the registry\'s tls');
    }
    return {
      tls: { termination: 'edge', insecureEdgeTerminationPolicy: (this.options.redirectInsecure ?? true) ? 'Redirect' : 'None' },
    };
  }
}

class ReencryptTermination extends RouteTermination {
  public constructor(private readonly options: ReencryptRouteTerminationOptions) {
    super();
  }

  public bind(scope: Construct, registry: RegistryDeployment): RouteTerminationBinding {
    requirePodTls(scope, registry, 'reencrypt');
    const ca = this.options.destinationCaCertificate;
    if (ca !== undefined && !/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(ca)) {
      throw propError(scope, 'termination.destinationCaCertificate', 'must be a PEM certificate (-----BEGIN CERTIFICATE----- ...)');
    }
    if (ca !== undefined && /PRIVATE KEY/.test(ca)) {
      throw propError(scope, 'termination.destinationCaCertificate', 'contains a private key: give the CA certificate only');
    }
    return {
      tls: { termination: 'reencrypt', insecureEdgeTerminationPolicy: 'Redirect', destinationCACertificate: ca },
    };
  }
}

class PassthroughTermination extends RouteTermination {
  public constructor() {
    super();
  }

  public bind(scope: Construct, registry: RegistryDeployment): RouteTerminationBinding {
    requirePodTls(scope, registry, 'passthrough');
    return { tls: { termination: 'passthrough', insecureEdgeTerminationPolicy: 'Redirect' } };
  }
}

function requirePodTls(scope: Construct, registry: RegistryDeployment, termination: string): void {
  if (!registry.servesTls) {
    throw propError(scope, 'termination', `is ${termination}, which needs the registry to serve TLS itself: `
      + 'give the registry tls: RegistryTls.fromSecret(...), or use RouteTermination.edge()');
  }
}

/**
 * Options of a `RegistryRoute`: its properties but the registry (what `RegistryChart` takes).
 */
export interface RegistryRouteOptions {
  /** The DNS name clients use, such as `registry.apps.example.com`. The registry's external URL becomes `https://<host>`. */
  readonly host: string;

  /**
   * Where TLS is terminated.
   * @default RouteTermination.edge() - the router's certificate, HTTP redirected to HTTPS
   */
  readonly termination?: RouteTermination;

  /**
   * How long the router waits for the registry (`haproxy.router.openshift.io/timeout`). The router's
   * default of 30 s cuts large layer uploads and the registry's final check of a pushed blob.
   * @default Duration.minutes(15)
   */
  readonly timeout?: Duration;

  /**
   * Name of the Route.
   * @default - the registry's `name` when it has one; otherwise a name generated by cdk8s from the construct path
   */
  readonly name?: string;
}

/**
 * Properties of a `RegistryRoute`.
 */
export interface RegistryRouteProps extends RegistryRouteOptions {
  /** The registry to expose. */
  readonly registry: RegistryDeployment;
}

/**
 * An OpenShift Route (`route.openshift.io/v1`) for the registry, with edge, reencrypt or passthrough
 * termination and a router timeout long enough for large layers. Sets the registry's external URL
 * to `https://<host>`.
 */
export class RegistryRoute extends RegistryWayInBase implements INodeRegistrySource {
  /** The Route. */
  public readonly route: ApiObject;

  /** The URL clients use. */
  public readonly url: string;

  /**
   * How nodes reach the registry through this way in (`https://HOST`), for node-side configuration: a private
   * registry, whose pulls need a pull Secret when it has auth. Their runtime must trust the certificate.
   */
  public readonly nodeRegistryHosts: NodeRegistryHost[];

  public constructor(scope: Construct, id: string, props: RegistryRouteProps) {
    super(scope, id, WayInKind.ROUTE);
    const host = props.host ?? '';
    requireHostname(this, 'host', host, 'registry.apps.example.com');
    if (props.name !== undefined) requireDns1123Subdomain(this, 'name', props.name);
    const registry = this.requireRegistry(props.registry);
    if (registry.platform !== Platform.OPENSHIFT) {
      throw propError(this, 'registry', `(${registry.node.path}) is written for platform ${registry.platform}, with a fixed UID, GID and fsGroup that `
        + 'OpenShift\'s restricted-v2 SCC refuses, and a Route exists on OpenShift only: give the registry platform: Platform.OPENSHIFT');
    }
    const timeout = wholeSeconds(this, 'timeout', props.timeout ?? Duration.minutes(15), 1);
    const termination = (props.termination ?? RouteTermination.edge()).bind(this, registry);

    this.admit(registry, true);
    const name = props.name ?? registry.name;
    this.route = new ApiObject(this, 'Resource', {
      apiVersion: 'route.openshift.io/v1',
      kind: 'Route',
      metadata: this.objectMetadata(registry, { 'haproxy.router.openshift.io/timeout': `${timeout}s` }, name),
      spec: {
        host,
        to: { kind: 'Service', name: registry.service.name, weight: 100 },
        port: { targetPort: registry.servesTls ? 'https' : 'http' },
        tls: termination.tls,
        wildcardPolicy: 'None',
      },
    });
    this.url = this.publishUrl(registry, host);
    this.nodeRegistryHosts = [this.httpsNodeHost(registry, host)];
  }
}
