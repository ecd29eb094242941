/**
 * A registry an on-call engineer can watch: metrics scraped by the Prometheus Operator (kube-prometheus-stack,
 * release `kube-prometheus-stack`), alerts with runbook links, a Grafana dashboard for the sidecar, and a weekly
 * garbage collection whose maintenance window and job are alerted on too (those two alerts read kube-state-metrics).
 */
import { Cron, Duration, Size } from 'cdk8s';
import { Construct } from 'constructs';
import { RegistryAlerts, RegistryAuth, RegistryChart, RegistryMetrics, StorageBackend } from '../src';

/** Labels kube-prometheus-stack's Prometheus selects ServiceMonitors and PrometheusRules by. */
const PROMETHEUS_RELEASE = { release: 'kube-prometheus-stack' };

/** A registry on a claim with metrics, alerts, a dashboard and a weekly collection, in the `monitored-registry` Namespace. */
export class MonitoredRegistryChart extends RegistryChart {
  /** The metrics Service and ServiceMonitor. */
  public readonly metrics: RegistryMetrics;

  /** The PrometheusRule and the dashboard ConfigMap. */
  public readonly alerts: RegistryAlerts;

  public constructor(scope: Construct, id: string) {
    super(scope, id, {
      namespace: 'monitored-registry',
      registry: {
        name: 'registry',
        // Reachable only inside the cluster; see the README for htpasswd and the ways in.
        auth: RegistryAuth.none(),
        storage: StorageBackend.persistentVolumeClaim({ size: Size.gibibytes(20) }),
        metrics: true,
      },
      garbageCollection: { schedule: Cron.schedule({ minute: '0', hour: '3', weekDay: '0' }), rolloutTimeout: Duration.minutes(5) },
    });
    this.metrics = new RegistryMetrics(this, 'Metrics', { registry: this.registry, serviceMonitor: true, serviceMonitorLabels: PROMETHEUS_RELEASE });
    this.alerts = new RegistryAlerts(this, 'Alerts', { metrics: this.metrics, ruleLabels: PROMETHEUS_RELEASE, dashboard: true });
  }
}
