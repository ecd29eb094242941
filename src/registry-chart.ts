import { ApiObject, Chart, ChartProps, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ElbTlsService, ElbTlsServiceOptions } from './expose/elb-tls-service';
import { RegistryIngress, RegistryIngressOptions } from './expose/registry-ingress';
import { RegistryRoute, RegistryRouteOptions } from './expose/registry-route';
import { GarbageCollection } from './operations/garbage-collection';
import { GarbageCollectionOptions } from './operations/garbage-collection-props';
import { RegistryDeployment } from './registry-deployment';
import { RegistryDeploymentProps } from './registry-deployment-props';
import { propError, requireDns1123Label, requireProp } from './util/validation';

/**
 * Properties of a `RegistryChart`: the chart's own (`namespace`, `labels`, ...) plus the registry, at most one
 * way in, and garbage collection.
 */
export interface RegistryChartProps extends ChartProps {
  /** The registry: storage, auth, version, replicas and everything else `RegistryDeployment` takes. */
  readonly registry: RegistryDeploymentProps;

  /**
   * Render the chart's `namespace` as a Namespace object (cluster-scoped, so it carries no namespace itself).
   * Set false when the Namespace is managed elsewhere.
   * @default true - requires `namespace`
   */
  readonly createNamespace?: boolean;

  /**
   * The way in: a LoadBalancer Service with TLS at an AWS load balancer (construct id `LoadBalancer`).
   * At most one of `loadBalancer`, `ingress` and `route`.
   * @default - no load balancer
   */
  readonly loadBalancer?: ElbTlsServiceOptions;

  /**
   * The way in: an Ingress (construct id `Ingress`). At most one of `loadBalancer`, `ingress` and `route`.
   * @default - no Ingress
   */
  readonly ingress?: RegistryIngressOptions;

  /**
   * The way in: an OpenShift Route (construct id `Route`). At most one of `loadBalancer`, `ingress` and `route`.
   * @default - no Route
   */
  readonly route?: RegistryRouteOptions;

  /**
   * Scheduled garbage collection in a maintenance window (construct id `GarbageCollection`); `{}` takes every default.
   * @default - no garbage collection
   */
  readonly garbageCollection?: GarbageCollectionOptions;
}

/**
 * A chart holding the common registry setup from one props object: its Namespace, a `RegistryDeployment`
 * (construct id `Registry`), optionally one way in (`ElbTlsService`, `RegistryIngress` or `RegistryRoute`) and
 * a `GarbageCollection` schedule.
 *
 * It only composes those constructs and exposes each of them, so everything they offer stays at hand
 * (`chart.registry.addPart(...)`, `chart.registry.secretValue(...)`), and more constructs can be added to it.
 */
export class RegistryChart extends Chart {
  /** The registry. */
  public readonly registry: RegistryDeployment;

  /** The Namespace object, unless `createNamespace` is false. */
  public readonly namespaceObject?: kplus.Namespace;

  /** The load balancer, if `loadBalancer` was given. */
  public readonly loadBalancer?: ElbTlsService;

  /** The Ingress, if `ingress` was given. */
  public readonly ingress?: RegistryIngress;

  /** The Route, if `route` was given. */
  public readonly route?: RegistryRoute;

  /** The garbage collection schedule, if `garbageCollection` was given. */
  public readonly garbageCollection?: GarbageCollection;

  public constructor(scope: Construct, id: string, props: RegistryChartProps) {
    super(scope, id, props);
    requireProp(this, 'props', props, 'give at least { registry: { auth } }');
    const registryProps = requireProp(this, 'registry', props.registry, 'give the RegistryDeployment props, at least { auth }');
    const waysIn = (['loadBalancer', 'ingress', 'route'] as const).filter((key) => props[key] !== undefined);
    if (waysIn.length > 1) {
      throw propError(this, waysIn[1], `cannot be combined with '${waysIn[0]}': each way in sets the registry's external URL `
        + '(http.host), and the registry has one. Give one of loadBalancer, ingress and route, and add another way in to the chart yourself if you need it');
    }

    // Every object of the chart carries the namespace, whoever creates the Namespace.
    if (this.namespace !== undefined) requireDns1123Label(this, 'namespace', this.namespace);
    if (props.createNamespace ?? true) {
      if (this.namespace === undefined) {
        throw propError(this, 'namespace', 'is required to create the Namespace: give the namespace the registry runs in, '
          + 'or createNamespace: false to render into the namespace kubectl applies to');
      }
      this.namespaceObject = new kplus.Namespace(this, 'Namespace', { metadata: { name: this.namespace } });
      // A Namespace is cluster-scoped: drop the chart's namespace that cdk8s puts on every object.
      ApiObject.of(this.namespaceObject).addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }

    this.registry = new RegistryDeployment(this, 'Registry', registryProps);
    const registry = this.registry;
    if (props.loadBalancer) this.loadBalancer = new ElbTlsService(this, 'LoadBalancer', { ...props.loadBalancer, registry });
    if (props.ingress) this.ingress = new RegistryIngress(this, 'Ingress', { ...props.ingress, registry });
    if (props.route) this.route = new RegistryRoute(this, 'Route', { ...props.route, registry });
    if (props.garbageCollection) this.garbageCollection = new GarbageCollection(this, 'GarbageCollection', { ...props.garbageCollection, registry });
  }
}
