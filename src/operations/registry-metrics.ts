import { ApiObject, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { RegistryConstruct } from '../registry-construct';
import { RegistryDeployment } from '../registry-deployment';
import { requireLabels } from '../util/labels';
import { propError, wholeSeconds } from '../util/validation';

/** Name of the registry container's port that the debug server (metrics, pprof, expvar) listens on. */
export const METRICS_PORT_NAME = 'metrics';

/**
 * Properties of `RegistryMetrics`.
 */
export interface RegistryMetricsProps {
  /** The registry whose metrics are scraped; it must serve them (`metrics: true`). */
  readonly registry: RegistryDeployment;

  /**
   * Also create a `ServiceMonitor` (monitoring.coreos.com/v1) for the Prometheus Operator. Needs its CRDs in the cluster.
   * @default false - only the metrics Service, for a Prometheus that discovers Services itself
   */
  readonly serviceMonitor?: boolean;

  /**
   * Labels of the `ServiceMonitor`, for the Prometheus whose `serviceMonitorSelector` picks it
   * (kube-prometheus-stack picks `release: <its release name>`).
   * @default - none
   */
  readonly serviceMonitorLabels?: { [key: string]: string };

  /**
   * How often Prometheus scrapes the registry (`ServiceMonitor` endpoint `interval`).
   * @default Duration.seconds(30)
   */
  readonly scrapeInterval?: Duration;
}

/**
 * The registry's Prometheus metrics made scrapeable: a ClusterIP Service on the debug server's port and, when
 * asked, a `ServiceMonitor` scraping `/metrics` on it. The registry serves the metrics through its one door, the
 * `metrics: true` prop (decided when it is built, since the network policy and alerts read the port then); this
 * construct adds what a scraper finds them by, and refuses a registry that serves none.
 *
 * The same port also serves pprof (`/debug/pprof/`) and `/debug/vars`, which the registry cannot turn off: keep
 * that port reachable from the scraper only, with `RegistryNetworkPolicy`'s monitoring namespace.
 */
export class RegistryMetrics extends RegistryConstruct {
  /** The path of the Prometheus endpoint. */
  public static readonly PATH = '/metrics';

  /** The metrics Service, selecting the registry's pods on the metrics port only. */
  public readonly service: kplus.Service;

  /** The `ServiceMonitor`, when asked for. */
  public readonly serviceMonitor?: ApiObject;

  /** The metrics port, in the pod and on the Service. */
  public readonly port: number;

  /** The registry whose metrics these are. */
  public readonly registry: RegistryDeployment;

  public constructor(scope: Construct, id: string, props: RegistryMetricsProps) {
    super(scope, id);
    const registry = props.registry;
    if (!registry) {
      throw propError(this, 'registry', 'is required: the RegistryDeployment whose metrics are scraped');
    }
    if (registry.metricsPort === undefined) {
      throw propError(this, 'registry', `(${registry.node.path}) serves no metrics: set 'metrics: true' on the RegistryDeployment`);
    }
    this.port = registry.metricsPort;
    this.registry = registry;
    const interval = wholeSeconds(this, 'scrapeInterval', props.scrapeInterval ?? Duration.seconds(30), 1);
    if (props.serviceMonitorLabels && !props.serviceMonitor) {
      throw propError(this, 'serviceMonitorLabels', "are given but 'serviceMonitor' is not true: set it, or leave the labels out");
    }
    if (props.serviceMonitorLabels) requireLabels(this, 'serviceMonitorLabels', props.serviceMonitorLabels, 'release');

    const labels: { [key: string]: string } = this.componentLabels(registry, 'metrics');
    const serviceName = registry.name !== undefined ? `${registry.name}-metrics` : undefined;
    if (serviceName !== undefined && serviceName.length > 63) {
      throw propError(this, 'registry', `is named ${JSON.stringify(registry.name)}, so the metrics Service would be named ${JSON.stringify(serviceName)}, longer than the `
        + '63 characters of a Service name: give the registry a name of at most 55 characters');
    }
    this.service = new kplus.Service(this, 'Service', {
      metadata: { ...(serviceName !== undefined ? { name: serviceName } : {}), labels },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: METRICS_PORT_NAME, port: this.port, targetPort: this.port }],
      selector: registry.deployment,
    });
    if (props.serviceMonitor) {
      this.serviceMonitor = new ApiObject(this, 'ServiceMonitor', {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'ServiceMonitor',
        metadata: { ...(registry.name !== undefined ? { name: registry.name } : {}), labels: { ...labels, ...props.serviceMonitorLabels } },
        spec: {
          // The metrics Service of this registry only: its instance and component, not the version that changes on upgrades.
          selector: {
            matchLabels: {
              'app.kubernetes.io/name': labels['app.kubernetes.io/name'],
              'app.kubernetes.io/instance': labels['app.kubernetes.io/instance'],
              'app.kubernetes.io/component': 'metrics',
            },
          },
          endpoints: [{ port: METRICS_PORT_NAME, path: RegistryMetrics.PATH, scheme: 'http', interval: `${interval}s` }],
        },
      });
    }
  }
}
