import { createHash } from 'crypto';
import { ApiObject, Chart, Duration, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { GarbageCollection } from './garbage-collection';
import { RegistryMetrics } from './registry-metrics';
import { RegistryConstruct } from '../registry-construct';
import { requireLabels } from '../util/labels';
import { propError, requireDns1123Subdomain, wholeSeconds } from '../util/validation';

/**
 * The upper bound of the highest finite bucket of `registry_http_request_duration_seconds` on registry 2.8, 3.0
 * and 3.1 (Prometheus' default buckets, up to 10 s): a quantile above it cannot be measured.
 */
export const LATENCY_HISTOGRAM_MAX_SECONDS = 10;

/** Where the runbook of each alert is: `<runbookUrl>#<alert name in lower case>`. */
export const DEFAULT_RUNBOOK_URL = 'https://github.com/cdk8s-registry/cdk8s-registry/blob/main/docs/alerts.md';

/**
 * Properties of `RegistryAlerts`.
 */
export interface RegistryAlertsProps {
  /** The registry's metrics (its Service and `ServiceMonitor`): the alerts select what that ServiceMonitor scrapes. */
  readonly metrics: RegistryMetrics;

  /**
   * How long the registry must be unavailable (no ready replica, or no scrape target up) before `RegistryUnavailable` fires.
   * @default Duration.minutes(5) - a rolling update or a rescheduled pod does not page anyone
   */
  readonly unavailableFor?: Duration;

  /**
   * Share of the answers to pushes and pulls (blob, upload and manifest requests) that may be 5xx before
   * `RegistryStorageErrors` fires, between 0 (exclusive) and 1.
   * @default 0.05 - one request in twenty
   */
  readonly errorRatio?: number;

  /**
   * The window of the rates (errors and latency), at least 1 minute (four scrapes at the default interval).
   * @default Duration.minutes(5)
   */
  readonly window?: Duration;

  /**
   * The quantile of request durations the latency alerts watch, between 0 and 1 (exclusive).
   * @default 0.95
   */
  readonly latencyQuantile?: number;

  /**
   * The duration of manifest requests (GET, HEAD, PUT) above which `RegistryManifestLatencyHigh` fires, under
   * 10 s (the highest bucket the registry measures).
   * @default Duration.seconds(1)
   */
  readonly manifestLatency?: Duration;

  /**
   * The duration of blob requests (GET, HEAD: a pull's download included) above which `RegistryBlobLatencyHigh`
   * fires, under 10 s (the highest bucket the registry measures).
   * @default Duration.seconds(5)
   */
  readonly blobLatency?: Duration;

  /**
   * How long `registry garbage-collect` itself may run, added to the window's three waits (each the collection's
   * `rolloutTimeout`) to give the time after which an open maintenance window alerts. Used only when the
   * registry has a `GarbageCollection` with a window.
   * @default Duration.hours(1)
   */
  readonly collectionTime?: Duration;

  /**
   * The page holding one section per alert; each alert's `runbook_url` is `<runbookUrl>#<alert name in lower case>`.
   * @default DEFAULT_RUNBOOK_URL - the alert guide of this library
   */
  readonly runbookUrl?: string;

  /**
   * Labels of the `PrometheusRule`, for the Prometheus whose `ruleSelector` picks it (kube-prometheus-stack picks
   * `release: <its release name>`).
   * @default - none
   */
  readonly ruleLabels?: { [key: string]: string };

  /**
   * Also create a Grafana dashboard of the same signals, as a ConfigMap that Grafana's dashboard sidecar loads.
   * @default false
   */
  readonly dashboard?: boolean;

  /**
   * The label the Grafana sidecar looks for (its `label` setting).
   * @default 'grafana_dashboard'
   */
  readonly dashboardLabel?: string;

  /**
   * The value of `dashboardLabel` (the sidecar's `labelValue`).
   * @default '1'
   */
  readonly dashboardLabelValue?: string;
}

/** A whole number of seconds as a Prometheus duration in its largest exact unit (`300` is `5m`). */
function promDuration(seconds: number): string {
  if (seconds > 0 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** One alerting rule, as the PrometheusRule holds it. */
interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly severity: 'critical' | 'warning';
  readonly summary: string;
  readonly description: string;
}

/** The props as the rules use them: durations in seconds. */
interface AlertSettings {
  readonly unavailableFor: number;
  readonly errorRatio: number;
  readonly window: number;
  readonly quantile: number;
  readonly manifestLatency: number;
  readonly blobLatency: number;
  readonly collectionTime: number;
  readonly runbookUrl: string;
}

/** One panel of the dashboard. */
interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly targets: { readonly expr: string; readonly legend: string }[];
}

/**
 * Alerts that tell an on-call engineer what broke: a `PrometheusRule` (monitoring.coreos.com/v1) for the
 * Prometheus Operator, and optionally a Grafana dashboard of the same signals.
 *
 * The alerts: the registry unavailable (no ready replica, or its scrape target down), 5xx answers to pushes and
 * pulls, slow manifest and blob requests, and, when the registry has a `GarbageCollection` with a maintenance
 * window, the window left open and a failed collection job. The registry's own series are selected by the
 * `job` and `namespace` labels its `ServiceMonitor` gives them; the Kubernetes ones come from kube-state-metrics
 * (`kube_deployment_status_replicas_available`, `kube_configmap_created`, `kube_job_status_failed`), which must
 * run in the cluster. The metric names are the same on registry 2.8, 3.0 and 3.1.
 */
export class RegistryAlerts extends RegistryConstruct {
  /** The `PrometheusRule`. */
  public readonly rule: ApiObject;

  /** The dashboard ConfigMap, when asked for. */
  public readonly dashboard?: ApiObject;

  /** The names of the alerts, in the order of the rule group (those of a collection included when it has a window). */
  public get alertNames(): string[] {
    return this.alertRules().map((r) => r.alert);
  }

  private readonly metrics: RegistryMetrics;
  private readonly namespace?: string;
  private readonly settings: AlertSettings;

  public constructor(scope: Construct, id: string, props: RegistryAlertsProps) {
    super(scope, id);
    if (!props.metrics) {
      throw propError(this, 'metrics', 'is required: the RegistryMetrics (with serviceMonitor: true) of the registry to watch');
    }
    this.metrics = props.metrics;
    if (!this.metrics.serviceMonitor) {
      throw propError(this, 'metrics', `(${this.metrics.node.path}) has no ServiceMonitor: the alerts select the series it scrapes. Set 'serviceMonitor: true' on the RegistryMetrics`);
    }
    const registry = this.metrics.registry;
    this.namespace = Chart.of(registry).namespace;
    const here = Chart.of(this).namespace;
    if (here !== this.namespace) {
      throw propError(this, 'metrics', `(${this.metrics.node.path}) watches a registry in namespace ${this.namespace ?? '(none: the kubectl default)'}, but these alerts are in ${here ?? '(none: the kubectl default)'}: create the RegistryAlerts in the registry's chart`);
    }
    const ratio = props.errorRatio ?? 0.05;
    if (!(typeof ratio === 'number' && ratio > 0 && ratio <= 1)) {
      throw propError(this, 'errorRatio', `(${ratio}) must be a share above 0 and at most 1, such as 0.05 for one request in twenty`);
    }
    const quantile = props.latencyQuantile ?? 0.95;
    if (!(typeof quantile === 'number' && quantile > 0 && quantile < 1)) {
      throw propError(this, 'latencyQuantile', `(${quantile}) must be above 0 and below 1, such as 0.95`);
    }
    const max = LATENCY_HISTOGRAM_MAX_SECONDS;
    const latency = (property: string, value: Duration | undefined, fallback: number) => {
      const ms = value === undefined ? fallback * 1000 : value.toMilliseconds();
      if (!(ms > 0 && ms < max * 1000)) {
        throw propError(this, property, `(${ms / 1000}s) must be above 0 and below ${max}s: the registry's request histogram has no bucket above ${max}s, so a longer duration can never be measured`);
      }
      return ms / 1000;
    };
    if (props.ruleLabels) requireLabels(this, 'ruleLabels', props.ruleLabels, 'release');
    const runbookUrl = props.runbookUrl ?? DEFAULT_RUNBOOK_URL;
    if (!/^https?:\/\/[^\s#]+$/.test(runbookUrl)) {
      throw propError(this, 'runbookUrl', `(${JSON.stringify(runbookUrl)}) must be an http(s) URL without a fragment, such as ${JSON.stringify(DEFAULT_RUNBOOK_URL)}: each alert appends #<its name>`);
    }
    this.settings = {
      unavailableFor: wholeSeconds(this, 'unavailableFor', props.unavailableFor ?? Duration.minutes(5), 0),
      errorRatio: ratio,
      window: wholeSeconds(this, 'window', props.window ?? Duration.minutes(5), 60),
      quantile,
      manifestLatency: latency('manifestLatency', props.manifestLatency, 1),
      blobLatency: latency('blobLatency', props.blobLatency, 5),
      collectionTime: wholeSeconds(this, 'collectionTime', props.collectionTime ?? Duration.hours(1), 60),
      runbookUrl,
    };

    const named = (suffix: string) => (registry.name !== undefined ? { name: `${registry.name}${suffix}` } : {});
    this.rule = new ApiObject(this, 'PrometheusRule', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { ...named(''), labels: { ...this.componentLabels(registry, 'alerts'), ...props.ruleLabels } },
      // Lazy: a GarbageCollection created after the alerts still gets its alerts.
      spec: Lazy.any({ produce: () => this.ruleSpec() }),
    });

    if (props.dashboardLabel !== undefined || props.dashboardLabelValue !== undefined) {
      if (!props.dashboard) {
        throw propError(this, props.dashboardLabel !== undefined ? 'dashboardLabel' : 'dashboardLabelValue', "is given but 'dashboard' is not true: set it, or leave the label out");
      }
    }
    if (props.dashboard) {
      const labelKey = props.dashboardLabel ?? 'grafana_dashboard';
      const labelValue = props.dashboardLabelValue ?? '1';
      requireLabels(this, 'dashboardLabel', { [labelKey]: labelValue }, 'grafana_dashboard');
      if (registry.name !== undefined) requireDns1123Subdomain(this, 'metrics', `${registry.name}-dashboard`);
      this.dashboard = new ApiObject(this, 'Dashboard', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          ...named('-dashboard'),
          labels: { ...this.componentLabels(registry, 'dashboard'), [labelKey]: labelValue },
        },
        data: Lazy.any({ produce: () => ({ [`${registry.labels['app.kubernetes.io/instance']}.json`]: this.dashboardJson() }) }),
      });
    }
  }

  /** The Grafana dashboard, as the ConfigMap holds it (byte-stable JSON). */
  public dashboardJson(): string {
    const instance = this.metrics.registry.labels['app.kubernetes.io/instance'];
    const panels = this.panels().map((panel, i) => ({
      id: i + 1,
      type: 'timeseries',
      title: panel.title,
      datasource: { type: 'prometheus', uid: '${datasource}' },
      gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
      fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
      targets: panel.targets.map((t, j) => ({
        refId: String.fromCharCode(65 + j),
        datasource: { type: 'prometheus', uid: '${datasource}' },
        expr: t.expr,
        legendFormat: t.legend,
      })),
    }));
    const dashboard = {
      title: this.namespace !== undefined ? `Registry ${instance} (${this.namespace})` : `Registry ${instance}`,
      // Grafana's uid has at most 40 characters: a hash of namespace and instance, the same on every synth.
      uid: `cdk8s-registry-${createHash('sha256').update(`${this.namespace ?? ''}/${instance}`).digest('hex').slice(0, 20)}`,
      tags: ['cdk8s-registry'],
      timezone: 'browser',
      schemaVersion: 39,
      editable: false,
      time: { from: 'now-6h', to: 'now' },
      refresh: '1m',
      templating: {
        list: [{ name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', current: {}, hide: 0 }],
      },
      panels,
    };
    return JSON.stringify(dashboard, undefined, 2) + '\n';
  }

  /** The label matchers of the registry's own series, as its ServiceMonitor scrapes them. */
  private get scraped(): string {
    return this.matchers({ job: this.metrics.service.name });
  }

  private matchers(labels: { [key: string]: string }, regex: { [key: string]: string } = {}): string {
    const all = [
      ...(this.namespace !== undefined ? [`namespace="${this.namespace}"`] : []),
      ...Object.entries(labels).map(([k, v]) => `${k}="${v}"`),
      ...Object.entries(regex).map(([k, v]) => `${k}=~"${v}"`),
    ];
    return `{${all.join(',')}}`;
  }

  private get collection(): GarbageCollection | undefined {
    const gc = GarbageCollection.of(this.metrics.registry);
    return gc?.maintenanceWindow ? gc : undefined;
  }

  private alertRules(): AlertRule[] {
    const s = this.settings;
    const registry = this.metrics.registry;
    const deployment = this.matchers({ deployment: registry.deployment.name });
    const w = promDuration(s.window);
    // Pushes and pulls: blobs, uploads and manifests (not the base, tags and catalog endpoints).
    const transfers = (extra: string) => this.scraped.replace(/}$/, `,handler=~"blob|blob_upload|blob_upload_chunk|manifest"${extra}}`);
    const quantile = (handler: string) => `histogram_quantile(${s.quantile}, sum by (le) (rate(registry_http_request_duration_seconds_bucket${this.scraped.replace(/}$/, `,handler="${handler}",method=~"get|head"}`)}[${w}])))`;
    const pct = `${Math.round(s.quantile * 1000) / 10}th percentile`;
    const rules: AlertRule[] = [
      {
        alert: 'RegistryUnavailable',
        expr: `(max(kube_deployment_status_replicas_available${deployment}) < 1) or (max(up${this.scraped}) == 0)`,
        for: promDuration(s.unavailableFor),
        severity: 'critical',
        summary: `Registry ${registry.deployment.name} is unavailable`,
        description: `Deployment ${registry.deployment.name} has no ready replica, or Prometheus cannot scrape any of its pods: pushes and pulls fail.`,
      },
      {
        alert: 'RegistryStorageErrors',
        expr: `(sum(rate(registry_http_requests_total${transfers(',code=~"5.."')}[${w}])) / sum(rate(registry_http_requests_total${transfers('')}[${w}]))) > ${s.errorRatio}`,
        for: promDuration(s.window),
        severity: 'critical',
        summary: `Registry ${registry.deployment.name} answers pushes and pulls with server errors`,
        description: `More than ${s.errorRatio * 100}% of blob, upload and manifest requests answered 5xx over ${promDuration(s.window)} (see the dashboard for the share): usually the storage backend fails.`,
      },
      {
        alert: 'RegistryManifestLatencyHigh',
        expr: `${quantile('manifest')} > ${s.manifestLatency}`,
        for: '15m',
        severity: 'warning',
        summary: `Registry ${registry.deployment.name} answers manifest requests slowly`,
        description: `The ${pct} of manifest GET/HEAD durations has been above ${s.manifestLatency}s for 15 minutes.`,
      },
      {
        alert: 'RegistryBlobLatencyHigh',
        expr: `${quantile('blob')} > ${s.blobLatency}`,
        for: '15m',
        severity: 'warning',
        summary: `Registry ${registry.deployment.name} answers blob requests slowly`,
        description: `The ${pct} of blob GET/HEAD durations (downloads included) has been above ${s.blobLatency}s for 15 minutes.`,
      },
    ];
    const gc = this.collection;
    if (gc?.maintenanceSwitch !== undefined) {
      // The window's three waits (restart read-only, read-only ready, restart writable) plus the collection itself.
      const budget = 3 * gc.rolloutTimeout.toSeconds() + s.collectionTime;
      rules.push({
        alert: 'RegistryMaintenanceWindowOpen',
        expr: `(time() - kube_configmap_created${this.matchers({ configmap: gc.maintenanceSwitch })}) > ${budget}`,
        for: '0s',
        severity: 'critical',
        summary: `Registry ${registry.deployment.name} has been read-only for longer than its garbage collection may take`,
        description: `The maintenance switch ConfigMap ${gc.maintenanceSwitch} has existed for longer than the collection's budget of ${budget}s: every push is refused until the window is closed.`,
      }, {
        alert: 'RegistryGarbageCollectionFailed',
        expr: `kube_job_status_failed${this.matchers({}, { job_name: `${gc.cronJob.name}-[0-9]+` })} > 0`,
        for: '0s',
        severity: 'warning',
        summary: `Garbage collection of registry ${registry.deployment.name} failed`,
        description: 'Job {{ $labels.job_name }} of CronJob ' + gc.cronJob.name + ' has failed pods: the window may be left open (read-only) and storage is not reclaimed.',
      });
    }
    return rules;
  }

  private ruleSpec(): any {
    const instance = this.metrics.registry.labels['app.kubernetes.io/instance'];
    const staticLabels: { [key: string]: string } = this.namespace !== undefined ? { namespace: this.namespace } : {};
    return {
      groups: [{
        name: `cdk8s-registry.${instance}`,
        rules: this.alertRules().map((r) => ({
          alert: r.alert,
          expr: r.expr,
          for: r.for,
          labels: { severity: r.severity, ...staticLabels },
          annotations: {
            summary: r.summary,
            description: r.description,
            runbook_url: `${this.settings.runbookUrl}#${r.alert.toLowerCase()}`,
          },
        })),
      }],
    };
  }

  private panels(): Panel[] {
    const s = this.settings;
    const deployment = this.matchers({ deployment: this.metrics.registry.deployment.name });
    const r = '$__rate_interval';
    const q = (handler: string) => `histogram_quantile(${s.quantile}, sum by (le) (rate(registry_http_request_duration_seconds_bucket${this.scraped.replace(/}$/, `,handler="${handler}",method=~"get|head"}`)}[${r}])))`;
    const panels: Panel[] = [
      {
        title: 'Ready replicas and scrape targets up',
        unit: 'short',
        targets: [
          { expr: `max(kube_deployment_status_replicas_available${deployment})`, legend: 'ready replicas' },
          { expr: `sum(up${this.scraped})`, legend: 'targets up' },
        ],
      },
      {
        title: 'Requests by handler and code',
        unit: 'reqps',
        targets: [{ expr: `sum by (handler, code) (rate(registry_http_requests_total${this.scraped}[${r}]))`, legend: '{{handler}} {{code}}' }],
      },
      {
        title: 'Share of 5xx answers to pushes and pulls',
        unit: 'percentunit',
        targets: [{
          expr: `sum(rate(registry_http_requests_total${this.scraped.replace(/}$/, ',handler=~"blob|blob_upload|blob_upload_chunk|manifest",code=~"5.."}')}[${r}])) / sum(rate(registry_http_requests_total${this.scraped.replace(/}$/, ',handler=~"blob|blob_upload|blob_upload_chunk|manifest"}')}[${r}]))`,
          legend: '5xx share',
        }],
      },
      {
        title: `Request duration, ${Math.round(s.quantile * 1000) / 10}th percentile`,
        unit: 's',
        targets: [{ expr: q('manifest'), legend: 'manifest' }, { expr: q('blob'), legend: 'blob' }],
      },
      {
        title: 'Storage driver action duration, 95th percentile',
        unit: 's',
        targets: [{ expr: `histogram_quantile(0.95, sum by (le, action) (rate(registry_storage_action_seconds_bucket${this.scraped}[${r}])))`, legend: '{{action}}' }],
      },
    ];
    const gc = this.collection;
    if (gc?.maintenanceSwitch !== undefined) {
      panels.push({
        title: 'Maintenance window open for, and failed collection pods',
        unit: 's',
        targets: [
          { expr: `time() - kube_configmap_created${this.matchers({ configmap: gc.maintenanceSwitch })}`, legend: 'window open for' },
          { expr: `sum(kube_job_status_failed${this.matchers({}, { job_name: `${gc.cronJob.name}-[0-9]+` })})`, legend: 'failed collection pods' },
        ],
      });
    }
    return panels;
  }
}
