import { createHash } from 'crypto';
import * as path from 'path';
import { ApiObject, Chart, Duration, JsonPatch, Lazy, Size, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { AuthBinding, IRegistryAuth } from './auth/registry-auth';
import { LifecyclePlan, lifecycleProblem, planLifecycle } from './availability/lifecycle';
import { NamedDeployment } from './availability/named-deployment';
import { applyPlacement, PlacementOptions } from './availability/placement';
import { RegistryDisruptionBudget } from './availability/registry-disruption-budget';
import { ConfigFragments, describeConflict } from './config/config-merge';
import { ConfigSecrets, isSecretToken as isSecretPlaceholder, RENDERED_DIR } from './config/config-secrets';
import { configSectionProblem, registryEnvProblem } from './config/config-structure';
import { checkRenderedConfig, orderSections, RegistryConfigDocument, renderRegistryConfig } from './config/registry-config';
import { RegistryVersion } from './config/registry-version';
import { RegistryTls, TlsBinding } from './expose/registry-tls';
import { RegistryTracing } from './operations/registry-tracing';
import { Platform } from './platform';
import { ExposeOptions, IRegistry, RegistryAutoscaling, RegistryWayIn } from './registry';
import { RegistryConstruct } from './registry-construct';
import { RegistryMount } from './registry-mount';
import { IRegistryPart, RegistryContribution } from './registry-part';
import { SecretKeyReference } from './secret-key-reference';
import { StorageBackend, StorageBinding, StorageDataVolume } from './storage/storage-backend';
import { BlobDescriptorCache, renderStorageOptions, RenderedStorageOptions, StorageOptions } from './storage/storage-options';
import { ANNOTATION_ROUTE, CONFIG_ROUTE, ENV_ROUTE, envCredentials, findCredentialLiterals, refuseCredentials } from './util/credential-check';
import { imageReferenceProblem } from './util/image-reference';
import { floatingTagAdvice, imageTagProblem } from './util/image-tag';
import { toLabelValue } from './util/labels';
import { debugAddressProblem } from './util/listen-address';
import { claimName } from './util/object-names';
import { proxyExpiryProblem } from './util/proxy-expiry';
import { checkResources } from './util/resources';
import { secretEnv } from './util/secret-env';
import { propError, requireDns1035Label, requireIntegerInRange, requireOneOf, requireProp } from './util/validation';

/** Port the registry listens on inside the pod. */
const REGISTRY_PORT = 5000;

/** Construct id of the disruption budget the registry adds by itself. */
const DEFAULT_BUDGET_ID = 'DisruptionBudget';

/** Port of the registry's debug server when metrics are enabled. */
const METRICS_PORT = 5001;

/** Annotation on the pod template holding the config's checksum, so a config change rolls the pods. */
export const CONFIG_CHECKSUM_ANNOTATION = 'checksum/config';

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
   * Where the pods run: spread across nodes and zones, anti-affinity, priority class, node selector,
   * tolerations and node affinity.
   * @default - with more than one replica, spread evenly across nodes and zones where possible; otherwise no constraint
   */
  readonly placement?: PlacementOptions;

  /**
   * Render a PodDisruptionBudget allowing one pod at a time to be evicted (node drains, cluster upgrades).
   * A `RegistryDisruptionBudget` made for the registry replaces this one (a pod that two budgets select can
   * never be evicted). `true` with a single replica is an error: a budget then protects nothing or blocks every drain.
   * @default - true with more than one replica
   */
  readonly disruptionBudget?: boolean;

  /**
   * Serve Prometheus metrics on port 5001 at `/metrics` (`http.debug`).
   * @default false - the debug server also serves pprof, so it stays off unless asked for
   */
  readonly metrics?: boolean;

  /**
   * OpenTelemetry tracing (registry 3.x): `RegistryTracing.otlp({ endpoint })` exports the registry's traces to a
   * collector. Registry 2.8 has no tracing, so `otlp()` is an error there.
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

/**
 * A CNCF distribution registry: Deployment, Service, ServiceAccount and the ConfigMap holding
 * its config.yml, rendered from a typed model for the registry version in use.
 *
 * Secure by default (Pod Security Standards "restricted"), rolled out safely for its storage,
 * and deterministic: the same app always synthesizes the same bytes.
 */
export class RegistryDeployment extends RegistryConstruct implements IRegistry {
  /** The registry release that runs. */
  public readonly version: RegistryVersion;

  /** The container image that runs. */
  public readonly image: string;

  /** The port the registry listens on in the pod and on its Service. */
  public readonly port: number = REGISTRY_PORT;

  /** Whether the pod itself serves HTTPS. */
  public readonly servesTls: boolean;

  /** The registry's pods. */
  public readonly deployment: kplus.Deployment;

  /** The registry's ClusterIP Service. */
  public readonly service: kplus.Service;

  /** The ConfigMap holding config.yml. */
  public readonly configMap: kplus.ConfigMap;

  /** The ServiceAccount the pods run as. */
  public readonly serviceAccount: kplus.ServiceAccount;

  /** The registry container. */
  public readonly container: kplus.Container;

  /**
   * The labels that pick exactly the registry's pods: the Deployment's own selector plus
   * `app.kubernetes.io/component: registry`, so that no pod of another part of the registry (a job's) is picked.
   * Every selector the library writes for the registry's pods uses them (Services, the disruption budget, the
   * network policy, spread and anti-affinity); the Deployment's `spec.selector` stays as it was, since Kubernetes
   * refuses to change it. Fixed by `name` when given.
   */
  public readonly selectorLabels: { [key: string]: string };

  /** The `app.kubernetes.io/*` labels of every object of the registry. */
  public readonly labels: { [key: string]: string };

  /** The base name given in the props, if any. */
  public readonly name?: string;

  /** Why the storage limits the registry to one replica, if it does. */
  public readonly singleReplicaReason?: string;

  /** The shared `http.secret`, if given (required for more than one replica). */
  public readonly httpSecret?: SecretKeyReference;

  /** The port of the debug server serving `/metrics`, if metrics are on. */
  public readonly metricsPort?: number;

  /** The number of replicas the Deployment is given (`replicas`, default 1), unless an autoscaler takes over. */
  public readonly replicas: number;

  /**
   * `replicas` as the user gave it, if given (an autoscaler takes it as its floor).
   * @default - not given
   */
  public readonly requestedReplicas?: number;

  /** The storage driver in config.yml (`filesystem`, `s3`, `azure`, ...). */
  public readonly storageDriver: string;

  /**
   * The blob descriptor cache asked for in `storageOptions`, if given.
   * @default - not given
   */
  public readonly requestedBlobDescriptorCache?: BlobDescriptorCache;

  /**
   * The volume holding the images (filesystem backends): its claim and access mode, where the registry mounts it.
   * @default - the images are not on a volume of the pod (object storage, in memory)
   */
  public readonly dataVolume?: StorageDataVolume;

  private readonly declaredWaysIn: RegistryWayIn[] = [];
  private budget?: IConstruct;
  private scaling?: RegistryAutoscaling;

  private readonly lifecycle: LifecyclePlan;

  /** The cluster flavour the manifests are written for. */
  public readonly platform: Platform;

  private readonly props: RegistryDeploymentProps;
  private readonly storageBinding: StorageBinding;
  private readonly authBinding: AuthBinding;
  private readonly tlsBinding?: TlsBinding;
  private readonly storageOptions: RenderedStorageOptions;
  private readonly partsConfig = new ConfigFragments();
  private readonly addedParts: IRegistryPart[] = [];
  private readonly secrets: ConfigSecrets;
  private readonly env = new Map<string, string>();
  private readonly mountedPaths = new Set<string>();
  private readonly annotationSources = new Map<string, string>();
  private _externalUrl?: string;
  /** The config fragments applied so far, in order: the model only grows, so its size names its state. */
  private readonly fragments: string[] = [];
  /** What was derived from the model (merged config, config.yml, checks), with the state it was derived from. */
  private derived?: { readonly state: string; readonly config: { [key: string]: any }; yaml?: string; checksum?: string; problems?: string[] };
  private lifecycleChecked?: { readonly patches?: number; readonly problems: string[] };

  public constructor(scope: Construct, id: string, props: RegistryDeploymentProps) {
    super(scope, id);
    this.props = requireProp(this, 'props', props, 'give at least { auth }');
    requireProp(this, 'auth', props.auth, 'pass an auth method such as HtpasswdAuth, or RegistryAuth.none() to run an open registry on purpose');
    if (props.name !== undefined) {
      requireDns1035Label(this, 'name', props.name); // it names the Service too
      const claim = claimName(this, 'RegistryDeployment', props.name);
      if (claim) {
        throw propError(this, 'name', `(${JSON.stringify(props.name)}) is already the name of registry ${claim.twin.node.path} in ${claim.where}: `
          + 'their Deployments, Services and ConfigMaps would overwrite each other. Give each registry its own name, or put the registries in charts of different namespaces');
      }
    }
    const replicas = props.replicas ?? 1;
    requireIntegerInRange(this, 'replicas', replicas, 1, 100);
    this.replicas = replicas;
    this.requestedReplicas = props.replicas;
    const platform = requireOneOf(this, 'platform', props.platform ?? Platform.KUBERNETES, Object.values(Platform));
    this.platform = platform;
    requireOneOf(this, 'logLevel', props.logLevel ?? LogLevel.INFO, Object.values(LogLevel));
    requireOneOf(this, 'logFormat', props.logFormat ?? LogFormat.TEXT, Object.values(LogFormat));
    if (props.resources) checkResources(this, props.resources);
    const runAsUser = props.runAsUser ?? 1000;
    requireIntegerInRange(this, 'runAsUser', runAsUser, 1, 2147483647);

    const storage = props.storage ?? StorageBackend.persistentVolumeClaim();
    this.version = this.resolveVersion(storage);
    this.image = props.image ?? this.version.image;
    if (this.image.trim() === '') {
      throw propError(this, 'image', 'must not be empty: give an image reference such as "registry:3.1.2"');
    }
    const imageProblem = imageReferenceProblem(this.image);
    if (imageProblem) throw propError(this, 'image', `(${JSON.stringify(this.image)}) ${imageProblem}, such as "registry:3.1.2"`);

    this.name = props.name;
    this.httpSecret = props.httpSecret;
    this.metricsPort = props.metrics ? METRICS_PORT : undefined;
    this.lifecycle = planLifecycle(this, props);
    const labels = {
      'app.kubernetes.io/name': 'registry',
      'app.kubernetes.io/instance': props.name ?? toLabelValue(id, 'registry'),
      'app.kubernetes.io/version': toLabelValue(this.version.version, 'unknown'),
      'app.kubernetes.io/component': 'registry',
      'app.kubernetes.io/managed-by': 'cdk8s-registry',
    };
    this.labels = labels;
    this.storageBinding = storage.bind(this, { version: this.version, name: props.name, labels });
    this.storageDriver = this.storageBinding.driver;
    this.dataVolume = this.storageBinding.dataVolume;
    this.requestedBlobDescriptorCache = props.storageOptions?.blobDescriptorCache;
    this.singleReplicaReason = this.storageBinding.singleReplicaReason;
    this.authBinding = props.auth.bind(this, { version: this.version, name: props.name, labels });
    this.tlsBinding = props.tls?.bind(this);
    this.servesTls = this.tlsBinding !== undefined;
    this.storageOptions = renderStorageOptions(this, props.storageOptions);

    if (replicas > 1 && this.storageBinding.singleReplicaReason) {
      throw propError(this, 'replicas', `(${replicas}) must be 1 with this storage: ${this.storageBinding.singleReplicaReason}. Use object storage or a ReadWriteMany claim for more replicas`);
    }
    if (replicas > 1 && !props.httpSecret) {
      throw propError(this, 'httpSecret', `is required with ${replicas} replicas: every replica must sign upload state with the same http.secret, or uploads fail when requests land on another pod. Reference a Secret key holding a long random value`);
    }
    if (props.externalUrl !== undefined) {
      this.useExternalUrl(props.externalUrl);
    }

    // Only set names the user asked for; otherwise cdk8s generates stable ones from the construct path.
    const named = (suffix: string) => (props.name ? { name: suffix ? `${props.name}-${suffix}` : props.name } : {});

    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', {
      metadata: { ...named(''), labels, annotations: this.storageBinding.serviceAccountAnnotations },
      automountToken: false,
    });

    this.configMap = new kplus.ConfigMap(this, 'Config', { metadata: { ...named('config'), labels } });
    this.configMap.addData(path.basename(this.version.configPath), Lazy.any({ produce: () => this.renderConfigYaml() }) as any);

    const idSettings = platform === Platform.KUBERNETES ? { user: runAsUser, group: runAsUser } : {};
    this.deployment = new NamedDeployment(this, 'Deployment', {
      metadata: { ...named(''), labels },
      podMetadata: { labels: { ...this.storageBinding.podLabels, ...labels } },
      // With a name, the selector is the name: it must never change, and Kubernetes refuses to change it.
      select: props.name === undefined,
      replicas,
      minReady: Duration.seconds(this.lifecycle.minReadySeconds),
      strategy: this.storageBinding.singleReplicaReason
        ? kplus.DeploymentStrategy.recreate()
        // One new pod at a time, never below the wanted count.
        : kplus.DeploymentStrategy.rollingUpdate({
          maxSurge: kplus.PercentOrAbsolute.absolute(1),
          maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
        }),
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: false,
      securityContext: {
        ensureNonRoot: true,
        ...idSettings,
        fsGroup: platform === Platform.KUBERNETES ? runAsUser : undefined,
        // A registry volume holds millions of files: chown them only when the root does not match.
        fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH,
      },
      terminationGracePeriod: Duration.seconds(this.lifecycle.terminationGraceSeconds),
    });
    if (props.name !== undefined) {
      this.deployment.select(kplus.LabelSelector.of({ labels: { 'app.kubernetes.io/name': 'registry', 'app.kubernetes.io/instance': props.name } }));
      // cdk8s-plus labels every pod with its construct path; with a name nothing may depend on the path.
      ApiObject.of(this.deployment).addJsonPatch(JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'));
    }
    // Before any Service is made from the Deployment: every other selector names the component.
    (this.deployment as NamedDeployment).podSelectorExtraLabels = { 'app.kubernetes.io/component': labels['app.kubernetes.io/component'] };
    this.selectorLabels = (this.deployment as NamedDeployment).podSelectorLabels;
    this.deployment.podMetadata.addAnnotation(CONFIG_CHECKSUM_ANNOTATION, Lazy.any({ produce: () => this.configChecksum() }) as any);
    // cdk8s-plus has no seccomp setting; the restricted profile needs RuntimeDefault.
    ApiObject.of(this.deployment).addJsonPatch(
      JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
    );

    const scheme = this.servesTls ? kplus.ConnectionScheme.HTTPS : kplus.ConnectionScheme.HTTP;
    const timings = this.lifecycle.readiness;
    const readinessTimings = {
      initialDelaySeconds: Duration.seconds(timings.initialDelaySeconds),
      periodSeconds: Duration.seconds(timings.periodSeconds),
      failureThreshold: timings.failureThreshold,
      timeoutSeconds: Duration.seconds(timings.timeoutSeconds),
    };
    const portName = this.servesTls ? 'https' : 'http';
    const securityContext: kplus.ContainerSecurityContextProps = {
      ensureNonRoot: true,
      ...idSettings,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      // 'ALL' is what the restricted profile asks for; cdk8s-plus's enum lists single capabilities only.
      capabilities: { drop: ['ALL' as kplus.Capability] },
    };
    this.container = this.deployment.addContainer({
      name: 'registry',
      image: this.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['registry'],
      args: ['serve', this.configFilePath],
      ports: [
        { number: REGISTRY_PORT, name: portName },
        ...(props.metrics ? [{ number: METRICS_PORT, name: 'metrics' }] : []),
      ],
      securityContext,
      resources: props.resources ?? {
        cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.units(2) },
        memory: { request: Size.mebibytes(256), limit: Size.gibibytes(1) },
      },
      // Ready only when the registry answers (503 while the storage health check fails). The kubelet cannot
      // present a client certificate, so with required client certificates readiness is a TCP check.
      readiness: this.tlsBinding?.clientCaPaths?.length
        ? kplus.Probe.fromTcpSocket({ port: REGISTRY_PORT, ...readinessTimings })
        : kplus.Probe.fromHttpGet('/', { port: REGISTRY_PORT, scheme, ...readinessTimings }),
      // Alive while it accepts connections: a storage outage must not restart every pod.
      liveness: kplus.Probe.fromTcpSocket({
        port: REGISTRY_PORT, initialDelaySeconds: Duration.seconds(10), periodSeconds: Duration.seconds(20), failureThreshold: 6,
      }),
      // Services and load balancers stop sending before the registry stops accepting (it drains on SIGTERM).
      lifecycle: this.lifecycle.preStopSeconds > 0
        ? { preStop: kplus.Handler.fromCommand(['sleep', String(this.lifecycle.preStopSeconds)]) }
        : undefined,
    });

    const configVolume = kplus.Volume.fromConfigMap(this, 'ConfigVolume', this.configMap, { name: 'config' });
    this.mount(configVolume, path.dirname(this.version.configPath), true);
    this.mount(kplus.Volume.fromEmptyDir(this, 'TmpVolume', 'tmp', { sizeLimit: Size.mebibytes(256) }), '/tmp', false);
    this.secrets = new ConfigSecrets(this, () => ({
      deployment: this.deployment,
      container: this.container,
      configVolume,
      image: this.image,
      securityContext,
      configFile: path.basename(this.version.configPath),
    }));

    if (props.httpSecret) {
      this.addEnv('REGISTRY_HTTP_SECRET', secretEnv(this, 'httpSecret.key', props.httpSecret.secret, props.httpSecret.key), 'httpSecret');
    }
    // Storage, auth and TLS put their config in the typed model; the rest they add like any part.
    this.applyContribution({ name: 'storage', mounts: this.storageBinding.mounts, env: this.storageBinding.env });
    this.applyContribution({ name: 'auth', mounts: this.authBinding.mounts, env: this.authBinding.env, podAnnotations: this.authBinding.podAnnotations });
    this.applyContribution({ name: 'tls', mounts: this.tlsBinding?.mounts });
    for (const contribution of (props.tracing ?? RegistryTracing.disabled()).bind(this)) {
      this.applyContribution(contribution);
    }
    this.node.addValidation({ validate: () => this.validateConfig() });

    this.service = new kplus.Service(this, 'Service', {
      metadata: { ...named(''), labels },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: portName, port: REGISTRY_PORT, targetPort: REGISTRY_PORT }],
      selector: this.deployment,
    });

    applyPlacement(this, this.deployment, this.selectorLabels, replicas, props.placement);
    if (props.disruptionBudget ?? replicas > 1) {
      new RegistryDisruptionBudget(this, DEFAULT_BUDGET_ID, { registry: this });
    }
    this.node.addValidation({ validate: () => this.validateLifecycle() });
  }

  /**
   * Registers the disruption budget of the registry's pods. The budget the registry adds by itself gives way to a
   * `RegistryDisruptionBudget` made for it; any other second budget is an error, since Kubernetes refuses every
   * eviction of a pod that two budgets select. Called by `RegistryDisruptionBudget`.
   */
  public useDisruptionBudget(budget: IConstruct): void {
    const current = this.budget;
    if (current !== undefined && current !== budget) {
      const ownDefault = current.node.scope === this && current.node.id === DEFAULT_BUDGET_ID;
      if (ownDefault && this.props.disruptionBudget === undefined) {
        this.node.tryRemoveChild(DEFAULT_BUDGET_ID);
      } else {
        const fix = ownDefault
          ? 'set \'disruptionBudget: false\' on the registry to use this budget, or drop this one'
          : `keep one of them (drop ${budget.node.path}, or ${current.node.path})`;
        throw propError(budget, 'registry', `(${this.node.path}) already has a PodDisruptionBudget (${current.node.path}): Kubernetes refuses every `
          + `eviction of a pod that two budgets select, so node drains and cluster upgrades would block. Give one budget per registry: ${fix}`);
      }
    }
    this.budget = budget;
  }

  /**
   * The disruption budget of the registry's pods, if any (`useDisruptionBudget`).
   * @default - none
   */
  public get disruptionBudget(): IConstruct | undefined {
    return this.budget;
  }

  /**
   * Registers the autoscaler that sets the registry's replica count from now on. A second one is an error: two
   * HorizontalPodAutoscalers of one Deployment fight over its replica count. Called by `RegistryAutoscaler`.
   */
  public useAutoscaler(autoscaler: IConstruct, minReplicas: number): void {
    if (this.scaling) {
      throw propError(autoscaler, 'registry', `(${this.node.path}) is already scaled by ${this.scaling.construct.node.path}: `
        + 'two HorizontalPodAutoscalers of one Deployment fight over its replica count. Keep one');
    }
    this.deployment.markHasAutoscaler();
    this.scaling = { construct: autoscaler, minReplicas };
  }

  /**
   * The autoscaler of the registry, if any, with its fewest replicas (`useAutoscaler`).
   * @default - none
   */
  public get autoscaler(): RegistryAutoscaling | undefined {
    return this.scaling;
  }

  /** The ways in declared for the registry (`exposeThrough`), in order. */
  public get waysIn(): RegistryWayIn[] {
    return [...this.declaredWaysIn];
  }

  /**
   * A pod spec patched (an escape hatch) so that the kubelet kills the registry before it has drained. Only a JSON
   * patch of the Deployment can change the grace period or the preStop hook once constructed, so the check is redone
   * only when the patches changed: cdk8s validates the whole app once per chart (see `validateConfig`).
   */
  private validateLifecycle(): string[] {
    const api = ApiObject.of(this.deployment);
    const patches: number | undefined = (api as any).patches?.length;
    if (patches !== undefined && this.lifecycleChecked?.patches === patches) return this.lifecycleChecked.problems;
    const pod = api.toJson().spec?.template?.spec ?? {};
    const problem = lifecycleProblem(pod, this.container.name, this.lifecycle);
    const problems = problem ? [`${this.node.path}: ${problem}`] : [];
    this.lifecycleChecked = { patches, problems };
    return problems;
  }

  /** The URL clients use to reach the registry, if known (`http.host`). */
  public get externalUrl(): string | undefined {
    return this._externalUrl;
  }

  /**
   * Tells the registry the URL its clients use (`http.host`), so redirects and upload locations
   * point there. Called by the ways in; a second, different URL is an error.
   */
  public useExternalUrl(url: string): void {
    if (this.props.relativeUrls) {
      throw propError(this, 'relativeUrls', `(true) would be ignored: the registry returns absolute URLs as soon as http.host is set, and it is being set to ${JSON.stringify(url)} `
        + '(by externalUrl or a way in such as ElbTlsService, RegistryIngress or RegistryRoute). Drop relativeUrls, or the way in');
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw propError(this, 'externalUrl', `(${JSON.stringify(url)}) is not a URL: give one such as "https://registry.example.com"`);
    }
    const httpOrigin = (parsed.protocol === 'https:' || parsed.protocol === 'http:') && parsed.pathname === '/'
      && !parsed.search && !parsed.hash && !parsed.username && !parsed.password;
    if (!httpOrigin) {
      throw propError(this, 'externalUrl', `(${JSON.stringify(url)}) must be an http(s) URL with a host and optional port only, such as "https://registry.example.com"`);
    }
    const normalized = `${parsed.protocol}//${parsed.host}`;
    if (this._externalUrl !== undefined && this._externalUrl !== normalized) {
      throw propError(this, 'externalUrl', `is already ${this._externalUrl}; cannot also be ${normalized}. A registry has one external URL`);
    }
    this._externalUrl = normalized;
  }

  /**
   * Adds a feature to the registry: its config fragment, environment, volumes and pod annotations
   * (see `IRegistryPart`). Redis, notifications, a pull-through cache and other day-2 features are parts.
   */
  public addPart(part: IRegistryPart): void {
    this.applyContribution(part.bind(this));
    this.addedParts.push(part);
  }

  /** The parts added with `addPart`, in order. */
  public get parts(): IRegistryPart[] {
    return [...this.addedParts];
  }

  /**
   * A placeholder for a credential held in a Secret, to put anywhere in config.yml as a whole value (in
   * `addConfigSection` or a part's config). The ConfigMap holds only the placeholder; an init container
   * writes the value into the config the registry reads, in an in-memory volume. Works on every version,
   * including where `REGISTRY_*` variables cannot reach (list items on 2.8, redis options on 3.0.0).
   * @param secret the Secret holding the credential
   * @param key the key of the Secret holding it
   * @param property the prop that gave it, which errors about the Secret or key name name (such as a part's
   * `proxy.password.key`); `secretValue` when not given
   */
  public secretValue(secret: kplus.ISecret, key: string, property?: string): string {
    return this.secrets.placeholder(property ?? 'secretValue', secret, key);
  }

  /**
   * The path of the config file the registry reads: the version's config path, or the rendered copy in an
   * in-memory volume once a credential is placed in the config (`secretValue`). A token resolved at synth.
   */
  public get configFilePath(): string {
    return Lazy.any({
      produce: () => this.secrets.used ? `${RENDERED_DIR}/${path.basename(this.version.configPath)}` : this.version.configPath,
    }) as any;
  }

  /**
   * Adds a top-level section of config.yml that the library does not model (`validation`, `catalog`, ...),
   * rendered as given. A credential is refused as a literal: put `registry.secretValue(secret, key)` in its
   * place. Prefer the typed parts (`RedisBlobDescriptorCache`, `Notifications`, `PullThroughCache`).
   */
  public addConfigSection(section: string, value: any): void {
    const modelled = ['version', 'log', 'storage', 'auth', 'http', 'health'];
    if (modelled.includes(section)) {
      throw propError(this, 'addConfigSection', `cannot replace '${section}', which the library renders: use the matching props (${modelled.join(', ')} are modelled)`);
    }
    if (this.partsConfig.document[section] !== undefined) {
      throw propError(this, 'addConfigSection', `was already given section '${section}' (by ${this.partsConfig.ownerOf(section)})`);
    }
    this.applyContribution({ name: 'addConfigSection', config: { [section]: value } });
  }

  /**
   * Refuses exposure through a way in that contradicts the registry: another namespace, or a public way in to
   * an open registry without `RegistryAuth.none({ allowPublicAccess: true })`; records the way in for a network
   * policy that must admit it (`waysIn`). Called by the ways in (ElbTlsService, RegistryIngress, RegistryRoute).
   */
  public exposeThrough(wayIn: IConstruct, options: ExposeOptions): void {
    const publicAccess = options.publicAccess;
    const here = Chart.of(this).namespace;
    const there = Chart.of(wayIn).namespace;
    if (here !== there) {
      throw propError(wayIn, 'registry', `(${this.node.path}) is in namespace ${here ?? '(none: the kubectl default)'}, but this way in is in `
        + `${there ?? '(none: the kubectl default)'}: a Service, Ingress or Route only reaches pods of its own namespace. Create the way in in the registry's chart`);
    }
    if (publicAccess && !this.authBinding.method && !this.authBinding.publicAccessAllowed) {
      const deletes = this.props.storageOptions?.deleteEnabled ? ', overwrite and delete' : ' and overwrite';
      throw propError(wayIn, 'registry', `(${this.node.path}) has no authentication (RegistryAuth.none()): through this public way in anyone could push${deletes} `
        + 'images. Give the registry an auth method (HtpasswdAuth, TokenAuth), or acknowledge it with RegistryAuth.none({ allowPublicAccess: true })');
    }
    this.declaredWaysIn.push({ construct: wayIn, kind: options.kind });
  }

  /**
   * Sets a `REGISTRY_*` environment variable from a Secret (for example `REGISTRY_PROXY_PASSWORD`). The
   * registry maps such variables onto struct fields and driver parameters. An item of a list
   * (`REGISTRY_NOTIFICATIONS_ENDPOINTS_0_...`) is parsed by 3.x (`configuration/parser.go` has a slice case
   * since 3.0.0) but silently ignored by 2.8, so on 2.8 such a name is an error; fields of the inlined redis
   * options are ignored by 3.0.0 (fixed in 3.1.0). `secretValue` works everywhere.
   */
  public addSecretEnv(name: string, value: SecretKeyReference): void {
    this.addEnv(name, secretEnv(this, 'addSecretEnv', value.secret, value.key), 'addSecretEnv');
  }

  /** The rendered config.yml, as the ConfigMap holds it (credentials as placeholders). */
  public renderConfigYaml(): string {
    return this.renderedConfig().yaml;
  }

  /**
   * The value at a dotted path of the merged config model (`storage.delete.enabled`), as config.yml will hold it
   * with what was added so far; `undefined` where unset.
   */
  public configValue(dottedPath: string): any {
    let value: any = this.model().config;
    for (const key of dottedPath.split('.')) {
      if (value === undefined || value === null || typeof value !== 'object') return undefined;
      value = value[key];
    }
    return value;
  }

  /**
   * What is derived from the model: the merged config, config.yml, its checksum and its problems, kept while the
   * model is the same. The model only grows (config fragments, env variables) and the external URL is set once,
   * so their sizes and the URL name its state: nothing needs to be told of a change. Both the ConfigMap and the
   * checksum annotation are lazy, so that `add*` calls made after the constructor still count.
   */
  private model(): { readonly config: { [key: string]: any }; yaml?: string; checksum?: string; problems?: string[] } {
    const state = `${this.fragments.length}/${this.env.size}/${this._externalUrl ?? ''}`;
    if (this.derived?.state !== state) {
      this.derived = { state, config: this.mergeConfig() };
    }
    return this.derived;
  }

  private renderedConfig(): { readonly yaml: string; checksum?: string } {
    const model = this.model();
    if (model.yaml === undefined) {
      const yaml = Yaml.stringify(model.config);
      this.secrets.checkRendered(yaml);
      model.yaml = yaml;
    }
    return model as { readonly yaml: string; checksum?: string };
  }

  private mergeConfig(): { [key: string]: any } {
    const merged = new ConfigFragments();
    merged.merge(renderRegistryConfig(this.configDocument()), 'the RegistryDeployment props');
    const conflicts = merged.merge(this.partsConfig.document, 'parts');
    if (conflicts.length > 0) {
      const c = conflicts[0];
      throw propError(this, 'config', `${describeConflict({ ...c, newSource: this.partsConfig.ownerOf(c.path) ?? c.newSource })}: a key has one value`);
    }
    merged.merge(this.storageOptions.defaults ?? {}, 'defaults', true);
    return orderSections(merged.document);
  }

  /**
   * Checks that need every part added: the rendered config, and list indexes of REGISTRY_* variables.
   * cdk8s validates the whole app once per chart (docs/benchmarks.md), so with a Chart per registry this runs once
   * per chart for every registry: the checks are redone only when the model changed (a contribution, an env
   * variable or the external URL), or synthesis would grow with the square of the charts.
   */
  private validateConfig(): string[] {
    const model = this.model();
    if (model.problems) return model.problems;
    const config = model.config;
    const errors = checkRenderedConfig(config);
    const debugProblem = debugAddressProblem(config.http?.debug?.addr, REGISTRY_PORT, 'http.debug.addr');
    if (debugProblem) errors.push(propError(this, this.partsConfig.ownerOf('http.debug.addr')?.replace(/'/g, '') ?? 'metrics', debugProblem).message);
    const proxyProblem = proxyExpiryProblem(this.version, config);
    if (proxyProblem) errors.push(propError(this, this.partsConfig.ownerOf('proxy.remoteurl')?.replace(/'/g, '') ?? 'proxy', proxyProblem).message);
    for (const [name, source] of this.env) {
      const problem = registryEnvProblem(this.version, name, config, this.storageBinding.driver);
      if (problem) errors.push(propError(this, source.replace(/'/g, ''), `sets '${name}', which ${problem}`).message);
    }
    model.problems = errors;
    return errors;
  }

  private applyContribution(c: RegistryContribution): void {
    if (c.config) {
      refuseCredentials(this, c.name, findCredentialLiterals(c.config, (v) => isSecretPlaceholder(v)), CONFIG_ROUTE);
      for (const section of Object.keys(c.config)) {
        const problem = configSectionProblem(this.version, section, c.config[section]);
        if (problem) throw propError(this, c.name, problem);
      }
      const conflicts = this.partsConfig.merge(c.config, `'${c.name}'`);
      this.fragments.push(c.name);
      if (conflicts.length > 0) {
        throw propError(this, c.name, `${describeConflict(conflicts[0])}: a key has one value`);
      }
    }
    for (const name of Object.keys(c.env ?? {}).sort()) {
      this.addEnv(name, c.env![name], c.name);
    }
    for (const mount of c.mounts ?? []) {
      this.addMount(mount);
    }
    refuseCredentials(this, c.name, findCredentialLiterals(c.podAnnotations ?? {}, () => false).filter((a) => !a.startsWith('checksum/')), ANNOTATION_ROUTE);
    for (const [name, value] of Object.entries(c.podAnnotations ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      const previous = this.annotationSources.get(name);
      if (previous !== undefined) {
        throw propError(this, c.name, `sets pod annotation '${name}', which ${previous} already sets`);
      }
      this.annotationSources.set(name, `'${c.name}'`);
      this.deployment.podMetadata.addAnnotation(name, value);
    }
  }

  private configDocument(): RegistryConfigDocument {
    const props = this.props;
    return {
      log: {
        level: props.logLevel ?? LogLevel.INFO,
        formatter: props.logFormat ?? LogFormat.TEXT,
        fields: { service: 'registry' },
      },
      storage: {
        driver: this.storageBinding.driver,
        parameters: this.storageBinding.parameters,
        ...this.storageOptions,
      },
      auth: this.authBinding.method ? { method: this.authBinding.method, parameters: this.authBinding.parameters ?? {} } : undefined,
      http: {
        addr: `:${REGISTRY_PORT}`,
        host: this._externalUrl,
        relativeUrls: this.props.relativeUrls,
        drainTimeout: this.lifecycle.drainTimeout,
        headers: { 'X-Content-Type-Options': ['nosniff'] },
        tls: this.tlsBinding ? {
          certificate: this.tlsBinding.certificatePath,
          key: this.tlsBinding.keyPath,
          clientCas: this.tlsBinding.clientCaPaths,
          minimumTls: this.tlsBinding.minimumTls,
        } : undefined,
        debugAddr: props.metrics ? `:${METRICS_PORT}` : undefined,
        prometheusPath: props.metrics ? '/metrics' : undefined,
      },
      health: this.lifecycle.healthCheck ? { storageDriver: this.lifecycle.healthCheck } : undefined,
    };
  }

  private configChecksum(): string {
    const rendered = this.renderedConfig();
    rendered.checksum ??= createHash('sha256').update(rendered.yaml).digest('hex');
    return rendered.checksum;
  }

  private resolveVersion(storage: StorageBackend): RegistryVersion {
    const props = this.props;
    const driver = storage.driver;
    let version: RegistryVersion | undefined;
    try {
      version = props.version ?? (props.image !== undefined ? RegistryVersion.tryFromImage(props.image) : undefined);
    } catch (e) {
      throw propError(this, props.version ? 'version' : 'image', `${(e as Error).message}`);
    }
    const floating = !version && props.image !== undefined ? floatingTagAdvice(props.image) : undefined;
    if (floating) {
      throw propError(this, 'image', `('${props.image}') ${floating}`);
    }
    if (props.version && props.image !== undefined) {
      const problem = imageTagProblem(props.version, props.image, driver);
      if (problem) throw propError(this, 'image', problem);
    }
    if (!version && props.image !== undefined) {
      throw propError(this, 'image', `('${props.image}') has no tag naming a 2.8.x or 3.x release, so the config path and keys cannot be chosen: pin a tag such as registry:3.1.2, or set 'version'`);
    }
    const supporting = RegistryVersion.DEFAULTS.filter((v) => v.supportsStorageDriver(driver)).map((v) => v.major === 2 ? '2.8.x' : '3.x');
    if (!version) {
      version = RegistryVersion.DEFAULTS.find((v) => v.supportsStorageDriver(driver));
      if (!version) {
        throw propError(this, 'storage', `uses driver '${driver}', which no supported registry release has`);
      }
    }
    if (!version.supportsStorageDriver(driver)) {
      throw propError(this, 'version', `(${version}) has no '${driver}' storage driver (its drivers: ${version.storageDrivers.join(', ')}); '${driver}' exists in registry ${supporting.join(' and ')}: pin RegistryVersion.V2_8 or an image such as registry:2.8.3`);
    }
    return version;
  }

  private addMount(mount: RegistryMount): void {
    if (!mount.path.startsWith('/')) {
      throw propError(this, 'mount', `path '${mount.path}' must be absolute`);
    }
    this.mount(mount.volume, mount.path, mount.readOnly ?? true, mount.subPath);
  }

  private mount(volume: kplus.Volume, mountPath: string, readOnly: boolean, subPath?: string): void {
    if (this.mountedPaths.has(mountPath)) {
      throw propError(this, 'mount', `path '${mountPath}' is mounted twice: two parts of the registry (storage, auth, TLS, added parts) ask for the same path`);
    }
    this.mountedPaths.add(mountPath);
    this.container.mount(mountPath, volume, { readOnly, subPath });
  }

  private addEnv(name: string, value: kplus.EnvValue, source: string): void {
    if (typeof name !== 'string' || !/^[A-Z_][A-Z0-9_]*$/.test(name)) {
      throw propError(this, source, `name ${JSON.stringify(name)} is not a valid environment variable name: upper-case letters, digits and '_'`);
    }
    refuseCredentials(this, source, envCredentials(name, value.value), ENV_ROUTE);
    const debugProblem = name === 'REGISTRY_HTTP_DEBUG_ADDR' ? debugAddressProblem(value.value, REGISTRY_PORT, name) : undefined;
    if (debugProblem) throw propError(this, source, debugProblem);
    const problem = registryEnvProblem(this.version, name, undefined, this.storageBinding.driver);
    if (problem) {
      throw propError(this, source, `sets '${name}', which ${problem}`);
    }
    if (this.env.has(name)) {
      throw propError(this, source, `sets '${name}', which ${this.env.get(name)} already sets: each REGISTRY_* variable may come from one place only`);
    }
    this.env.set(name, `'${source}'`);
    this.container.env.addVariable(name, value);
  }
}
