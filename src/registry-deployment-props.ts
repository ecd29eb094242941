import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IRegistryAuth } from './auth/registry-auth';
import { PlacementOptions } from './availability/placement';
import { RegistryVersion } from './config/registry-version';
import { RegistryTls } from './expose/registry-tls';
import { RegistryTracing } from './operations/registry-tracing';
import { Platform } from './platform';
import { SecretKeyReference } from './secret-key-reference';
import { StorageBackend } from './storage/storage-backend';
import { StorageOptions } from './storage/storage-options';

/**
 * Verbosity of the registry's log.
 */
export enum LogLevel {
  /** Errors only. */
  ERROR = 'error',
  /** Warnings and errors. */
  WARN = 'warn',
  /** The registry's default. */
  INFO = 'info',
  /** Everything, including request details. */
  DEBUG = 'debug',
}

/**
 * Format of the registry's log lines.
 */
export enum LogFormat {
  /** `key=value` text, the registry's default. */
  TEXT = 'text',
  /** One JSON object a line, for log pipelines. */
  JSON = 'json',
  /** Logstash JSON. */
  LOGSTASH = 'logstash',
}

/**
 * Properties of a `RegistryDeployment`.
 */
export interface RegistryDeploymentProps {
  /**
   * How clients authenticate. Required, so that an open registry is a decision:
   * `RegistryAuth.none()` says it out loud.
   */
  readonly auth: IRegistryAuth;

  /**
   * Where images are stored.
   * @default StorageBackend.persistentVolumeClaim() - a 10 GiB ReadWriteOnce claim, so nothing is lost on restart
   */
  readonly storage?: StorageBackend;

  /**
   * Storage settings shared by every backend: delete API, redirects, upload purging, read-only mode, caches.
   * @default - delete disabled, redirects as the driver does, upload purging as the registry does
   */
  readonly storageOptions?: StorageOptions;

  /**
   * The registry release. Decides the config path, the drivers available and the config keys.
   * @default - read from `image`'s tag if given; otherwise the newest release with the storage backend's driver
   * (RegistryVersion.V3_1, or RegistryVersion.V2_8 for swift and oss)
   */
  readonly version?: RegistryVersion;

  /**
   * The container image, for a mirror or a private build. Its tag picks `version` when that is not
   * given: `registry:2` (older setups' floating tag) reads as 2.8; a tag that floats over releases whose
   * config differs (`3`, `latest`) is a synth-time error saying what to pin.
   * @default - the official image of `version`, pinned to its tag (for example `registry:3.1.2`)
   */
  readonly image?: string;

  /**
   * Number of registry pods. More than one needs storage that all of them share
   * (object storage or a ReadWriteMany claim) and `httpSecret`. With a `RegistryAutoscaler` it is the
   * autoscaler's `minReplicas` (giving both with different values is an error).
   * @default 1
   */
  readonly replicas?: number;

  /**
   * The `http.secret` all replicas share to sign upload state, read from a Secret.
   * Required for more than one replica; stable across synths because it is never generated here.
   * @default - each registry process generates its own (fine for one replica)
   */
  readonly httpSecret?: SecretKeyReference;

  /**
   * The cluster flavour, which decides how the pod's user and group are set.
   * @default Platform.KUBERNETES
   */
  readonly platform?: Platform;

  /**
   * UID and GID the registry runs as on Kubernetes (also the pod's fsGroup, so the data volume is writable).
   * Ignored on OpenShift, which assigns them.
   * @default 1000
   */
  readonly runAsUser?: number;

  /**
   * TLS terminated by the registry itself. Probes switch to HTTPS.
   * @default - the registry serves plain HTTP inside the cluster; terminate TLS at a load balancer, Ingress or Route
   */
  readonly tls?: RegistryTls;

  /**
   * The URL clients use to reach the registry (`http.host`), used for redirects and upload locations
   * behind a proxy. Ways in (`ElbTlsService`, Ingress, Route) set it for you.
   * @default - derived by the registry from each request
   */
  readonly externalUrl?: string;

  /**
   * Return relative URLs in `Location` headers (`http.relativeurls`).
   * @default false
   */
  readonly relativeUrls?: boolean;

  /**
   * Check the storage driver periodically (`health.storagedriver`). While it fails the registry answers 503,
   * so the readiness probe takes the pod out of the Service, and a rollout never admits a pod whose storage
   * does not work: the readiness probe waits for the check's first verdict, and `minReadySeconds` for a second.
   * @default true
   */
  readonly storageHealthCheck?: boolean;

  /**
   * How often the storage health check runs (`health.storagedriver.interval`), in whole seconds. Together with
   * the threshold it decides how long a new pod waits before it can be Ready (interval x (threshold + 1)).
   * @default Duration.seconds(5)
   */
  readonly storageHealthCheckInterval?: Duration;

  /**
   * Failed storage checks in a row before the registry answers 503 (`health.storagedriver.threshold`), 1 to 10.
   * @default 2
   */
  readonly storageHealthCheckThreshold?: number;

  /**
   * How long the registry finishes requests in flight (uploads, pulls) after SIGTERM (`http.draintimeout`).
   * Without it the registry dies on the signal and every upload in flight fails. The pod's
   * `terminationGracePeriodSeconds` is set to `preStopPause` + `drainTimeout` + 5 s.
   * @default Duration.seconds(60)
   */
  readonly drainTimeout?: Duration;

  /**
   * How long the pod keeps serving after it was told to stop, before the registry gets SIGTERM (a preStop
   * `sleep`): Services, Ingress controllers and load balancers stop sending new requests meanwhile, since the
   * registry refuses new connections once it drains. `Duration.seconds(0)` renders no hook (for images without
   * a `sleep` binary; the official images have one).
   * @default Duration.seconds(10)
   */
  readonly preStopPause?: Duration;

  /**
   * A Secret of type `kubernetes.io/dockerconfigjson` in the registry's namespace that the kubelet pulls the
   * registry image with (`imagePullSecrets`), for an image in a private registry or mirror. Jobs that run the
   * registry image (garbage collection) use it too.
   * @default - the image is pulled without credentials
   */
  readonly imagePullSecret?: kplus.ISecret;

  /**
   * Where the pods run: spread across nodes and zones, anti-affinity, priority class, node selector,
   * tolerations and node affinity.
   * @default - with more than one replica, spread evenly across nodes and zones where possible; otherwise no constraint
   */
  readonly placement?: PlacementOptions;

  /**
   * Render a PodDisruptionBudget allowing one pod at a time to be evicted (node drains, cluster upgrades).
   * Shorthand for `new RegistryDisruptionBudget(registry, 'DisruptionBudget', { registry })`, the door for a budget
   * (which also takes `maxUnavailable`). A `RegistryDisruptionBudget` made for the registry replaces this one unless
   * this prop is given (a pod that two budgets select can never be evicted). `true` with a single replica is an
   * error: a budget then protects nothing or blocks every drain.
   * @default - true with more than one replica
   */
  readonly disruptionBudget?: boolean;

  /**
   * Serve Prometheus metrics on port 5001 at `/metrics` (`http.debug`): the one door that turns them on, decided
   * when the registry is built, since what reads the port (`RegistryMetrics`, which adds the Service and
   * `ServiceMonitor` a scraper finds them by, `RegistryNetworkPolicy`, `RegistryAlerts`) reads it then.
   * @default false - the debug server also serves pprof, so it stays off unless asked for
   */
  readonly metrics?: boolean;

  /**
   * OpenTelemetry tracing (registry 3.x): `RegistryTracing.otlp({ endpoint })` exports the registry's traces to a
   * collector. Registry 2.8 has no tracing, so `otlp()` is an error there. Tracing is a part (`RegistryTracing`
   * implements `IRegistryPart`) with this prop as its one door: the registry adds it as its first part, so a 3.x
   * registry always has a tracing decision; `addPart` refuses a second one.
   * @default RegistryTracing.disabled() - 3.x exports nothing (`OTEL_TRACES_EXPORTER=none`) instead of trying
   * https://localhost:4318 and logging an error every few seconds
   */
  readonly tracing?: RegistryTracing;

  /**
   * Log verbosity.
   * @default LogLevel.INFO
   */
  readonly logLevel?: LogLevel;

  /**
   * Log format.
   * @default LogFormat.TEXT
   */
  readonly logFormat?: LogFormat;

  /**
   * CPU and memory of the registry container.
   * @default - requests 100m CPU and 256Mi memory, limits 2 CPUs and 1Gi memory
   */
  readonly resources?: kplus.ContainerResources;

  /**
   * Base name of every object (Deployment, Service, ServiceAccount, ConfigMap, the data claim `NAME-data`), and of
   * the objects of its parts and ways in that are not given a `name` of their own (`NAME-lb` for an
   * `ElbTlsService`, `NAME` for an Ingress, Route, budget, policy and autoscaler, `NAME-metrics`, `NAME-htpasswd`),
   * a DNS-1035 label; also the `app.kubernetes.io/instance` label and, with `app.kubernetes.io/name`, the
   * Deployment's selector. With a name, renaming construct ids or charts, or moving the registry to another chart
   * of the same namespace, changes nothing in the cluster.
   * @default - names generated by cdk8s from the construct path: renaming a construct id or chart renames every
   * object, so the registry would start on a new, empty claim and the Deployment's selector would change
   */
  readonly name?: string;
}
