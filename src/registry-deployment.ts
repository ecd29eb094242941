import * as path from 'path';
import { ApiObject, Chart, Duration, JsonPatch, Lazy, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { AuthBinding } from './auth/registry-auth';
import { LifecyclePlan, lifecycleProblem, planLifecycle } from './availability/lifecycle';
import { NamedDeployment } from './availability/named-deployment';
import { applyPlacement } from './availability/placement';
import { RegistryDisruptionBudget } from './availability/registry-disruption-budget';
import { RegistryConfigModel } from './config/config-model';
import { ConfigSecrets, RENDERED_DIR } from './config/config-secrets';
import { RegistryConfigDocument } from './config/registry-config';
import { RegistryVersion } from './config/registry-version';
import { chooseRelease } from './config/release-choice';
import { TlsBinding } from './expose/registry-tls';
import { RegistryTracing } from './operations/registry-tracing';
import { Platform } from './platform';
import { ExposeOptions, IRegistry, RegistryAutoscaling, RegistryWayIn } from './registry';
import { RegistryConstruct } from './registry-construct';
import { LogFormat, LogLevel, RegistryDeploymentProps } from './registry-deployment-props';
import { RegistryMount } from './registry-mount';
import { IRegistryPart, RegistryContribution } from './registry-part';
import { SecretKeyReference } from './secret-key-reference';
import { StorageBackend, StorageBinding, StorageDataVolume } from './storage/storage-backend';
import { BlobDescriptorCache, renderStorageOptions, RenderedStorageOptions } from './storage/storage-options';
import { ANNOTATION_ROUTE, findCredentialLiterals, refuseCredentials } from './util/credential-check';
import { imageReferenceProblem } from './util/image-reference';
import { toLabelValue } from './util/labels';
import { claimName } from './util/object-names';
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
  private readonly model: RegistryConfigModel;
  private readonly addedParts: IRegistryPart[] = [];
  private readonly secrets: ConfigSecrets;
  private readonly mountedPaths = new Set<string>();
  private readonly annotationSources = new Map<string, string>();
  private _externalUrl?: string;
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
    this.version = chooseRelease(this, { version: props.version, image: props.image, driver: storage.driver });
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
    this.model = new RegistryConfigModel({
      scope: this,
      version: this.version,
      driver: this.storageBinding.driver,
      port: REGISTRY_PORT,
      document: () => this.configDocument(),
      documentState: () => this._externalUrl ?? '',
      defaults: this.storageOptions.defaults,
      checkRendered: (yaml) => this.secrets.checkRendered(yaml),
    });

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
    this.deployment.podMetadata.addAnnotation(CONFIG_CHECKSUM_ANNOTATION, Lazy.any({ produce: () => this.model.checksum() }) as any);
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
    this.node.addValidation({ validate: () => this.model.problems() });

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
   * only when the patches changed: cdk8s validates the whole app once per chart (see `RegistryConfigModel.problems`).
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
      throw propError(this, 'addConfigSection', `cannot replace '${section}', which the library renders (${modelled.join(', ')} are rendered from the props): `
        + `to add keys inside it, such as ${section}.headers, add a part whose config holds only them, merged into the rest: `
        + `registry.addPart({ bind: () => ({ name: 'my-${section}', config: { ${section}: { ... } } }) })`);
    }
    if (this.model.hasSection(section)) {
      throw propError(this, 'addConfigSection', `was already given section '${section}' (by ${this.model.ownerOf(section)})`);
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
    return this.model.yaml();
  }

  /**
   * The value at a dotted path of the merged config model (`storage.delete.enabled`), as config.yml will hold it
   * with what was added so far; `undefined` where unset.
   */
  public configValue(dottedPath: string): any {
    return this.model.value(dottedPath);
  }

  private applyContribution(c: RegistryContribution): void {
    if (c.config) this.model.addFragment(c.name, c.config);
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
    this.model.addEnv(name, value, source);
    this.container.env.addVariable(name, value);
  }
}
