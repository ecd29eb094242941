import * as path from 'path';
import { Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { AuthBinding } from './auth/registry-auth';
import { LifecyclePlan, planLifecycle } from './availability/lifecycle';
import { applyPlacement } from './availability/placement';
import { RegistryDisruptionBudget } from './availability/registry-disruption-budget';
import { propsConfigDocument } from './config/config-document';
import { RegistryConfigModel } from './config/config-model';
import { ConfigSecrets, RENDERED_DIR } from './config/config-secrets';
import { RegistryVersion } from './config/registry-version';
import { chooseRelease } from './config/release-choice';
import { TlsBinding } from './expose/registry-tls';
import { RegistryTracing } from './operations/registry-tracing';
import { Platform } from './platform';
import { ExposeOptions, IRegistry, RegistryAutoscaling, RegistryWayIn } from './registry';
import { RegistryAttachments } from './registry-attachments';
import { RegistryConstruct } from './registry-construct';
import { authContribution, httpSecretContribution, metricsContribution, orderedEnvNames, storageContribution, storageOptionsContribution, tlsContribution } from './registry-contributions';
import { checkImage, checkRegistryProps, checkReplicas, externalOrigin } from './registry-deployment-checks';
import { RegistryDeploymentProps } from './registry-deployment-props';
import { IRegistryPart, RegistryContribution } from './registry-part';
import { METRICS_PORT, REGISTRY_PORT, RegistryPod } from './registry-pod';
import { SecretKeyReference } from './secret-key-reference';
import { StorageBackend, StorageBinding, StorageDataVolume } from './storage/storage-backend';
import { BlobDescriptorCache, renderStorageOptions, RenderedStorageOptions } from './storage/storage-options';
import { registryLabels } from './util/labels';
import { secretEnv } from './util/secret-env';
import { propError } from './util/validation';

/** Construct id of the disruption budget the registry adds by itself. */
const DEFAULT_BUDGET_ID = 'DisruptionBudget';

export { CONFIG_CHECKSUM_ANNOTATION } from './registry-pod';

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

  private readonly attachments: RegistryAttachments;

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
  private readonly pod: RegistryPod;
  private _externalUrl?: string;

  public constructor(scope: Construct, id: string, props: RegistryDeploymentProps) {
    super(scope, id);
    const { replicas, platform, runAsUser } = checkRegistryProps(this, props);
    this.props = props;
    this.replicas = replicas;
    this.requestedReplicas = props.replicas;
    this.platform = platform;

    const storage = props.storage ?? StorageBackend.persistentVolumeClaim();
    this.version = chooseRelease(this, { version: props.version, image: props.image, driver: storage.driver });
    this.image = props.image ?? this.version.image;
    checkImage(this, this.image);

    this.name = props.name;
    this.httpSecret = props.httpSecret;
    this.metricsPort = props.metrics ? METRICS_PORT : undefined;
    this.lifecycle = planLifecycle(this, props);
    const labels = registryLabels(id, props.name, this.version.version);
    this.labels = labels;
    this.storageBinding = storage.bind(this, { version: this.version, name: props.name, labels });
    this.storageDriver = this.storageBinding.driver;
    this.dataVolume = this.storageBinding.dataVolume;
    this.requestedBlobDescriptorCache = props.storageOptions?.blobDescriptorCache;
    this.singleReplicaReason = this.storageBinding.singleReplicaReason;
    this.authBinding = props.auth.bind(this, { version: this.version, name: props.name, labels });
    this.tlsBinding = props.tls?.bind(this);
    this.attachments = new RegistryAttachments(this, DEFAULT_BUDGET_ID, props, this.authBinding);
    this.servesTls = this.tlsBinding !== undefined;
    this.storageOptions = renderStorageOptions(this, props.storageOptions);
    this.model = new RegistryConfigModel({
      scope: this,
      version: this.version,
      driver: this.storageBinding.driver,
      port: REGISTRY_PORT,
      document: () => propsConfigDocument({ ...props, port: REGISTRY_PORT, externalUrl: this._externalUrl, lifecycle: this.lifecycle }),
      documentState: () => this._externalUrl ?? '',
      defaults: this.storageOptions.defaults,
      checkRendered: (yaml) => this.secrets.checkRendered(yaml),
    });

    checkReplicas(this, replicas, this.storageBinding.singleReplicaReason, props.httpSecret);
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

    this.pod = new RegistryPod(this, {
      runAsUser,
      lifecycle: this.lifecycle,
      podLabels: this.storageBinding.podLabels,
      requiresClientCertificates: (this.tlsBinding?.clientCaPaths?.length ?? 0) > 0,
      resources: props.resources,
      checksum: () => this.model.checksum(),
      placement: props.placement,
      imagePullSecret: props.imagePullSecret,
    });
    this.deployment = this.pod.deployment;
    this.container = this.pod.container;
    this.selectorLabels = this.pod.selectorLabels;
    this.secrets = new ConfigSecrets(this, () => this.pod);

    // One shape, one loop: the built-ins' bindings and the core's own props contribute as every part does, in the
    // order of config.yml's keys (the driver before the options, http.tls before http.debug) and of the container's.
    for (const contribution of [
      httpSecretContribution(this, props.httpSecret),
      storageContribution(this.storageBinding),
      storageOptionsContribution(this.storageOptions),
      authContribution(this.authBinding),
      tlsContribution(this.tlsBinding),
      metricsContribution(this.metricsPort),
    ]) {
      this.applyContribution(contribution);
    }
    this.addPart(props.tracing ?? RegistryTracing.disabled());
    this.node.addValidation({ validate: () => this.model.problems() });

    this.service = new kplus.Service(this, 'Service', {
      metadata: { ...named(''), labels },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: this.pod.portName, port: REGISTRY_PORT, targetPort: REGISTRY_PORT }],
      selector: this.deployment,
    });

    applyPlacement(this, this.deployment, this.selectorLabels, replicas, props.placement);
    if (props.disruptionBudget ?? replicas > 1) {
      new RegistryDisruptionBudget(this, DEFAULT_BUDGET_ID, { registry: this });
    }
    this.node.addValidation({ validate: () => this.pod.validateLifecycle() });
  }

  /**
   * Registers the disruption budget of the registry's pods. The budget the registry adds by itself gives way to a
   * `RegistryDisruptionBudget` made for it; any other second budget is an error, since Kubernetes refuses every
   * eviction of a pod that two budgets select. Called by `RegistryDisruptionBudget`.
   */
  public useDisruptionBudget(budget: IConstruct): void {
    this.attachments.useDisruptionBudget(budget);
  }

  /**
   * The disruption budget of the registry's pods, if any (`useDisruptionBudget`).
   * @default - none
   */
  public get disruptionBudget(): IConstruct | undefined {
    return this.attachments.budget;
  }

  /**
   * Registers the autoscaler that sets the registry's replica count from now on. A second one is an error: two
   * HorizontalPodAutoscalers of one Deployment fight over its replica count. Called by `RegistryAutoscaler`.
   */
  public useAutoscaler(autoscaler: IConstruct, minReplicas: number): void {
    this.attachments.useAutoscaler(autoscaler, minReplicas);
    this.deployment.markHasAutoscaler();
  }

  /**
   * The autoscaler of the registry, if any, with its fewest replicas (`useAutoscaler`).
   * @default - none
   */
  public get autoscaler(): RegistryAutoscaling | undefined {
    return this.attachments.scaling;
  }

  /** The ways in declared for the registry (`exposeThrough`), in order. */
  public get waysIn(): RegistryWayIn[] {
    return [...this.attachments.waysIn];
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
    const normalized = externalOrigin(this, url);
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

  /** The parts, in order: its tracing (the `tracing` prop), then those given to `addPart` and its shorthands. */
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
   * Adds a top-level section of config.yml that the library does not model (`validation`, `catalog`, ...).
   * Shorthand for `addPart({ bind: () => ({ name: 'addConfigSection', config: { [section]: value } }) })`, with its
   * rules (merged with what other parts give; a key given two values is an error; a credential is refused as a
   * literal: put `registry.secretValue(secret, key)` in its place); a section the props render (`storage`, `http`,
   * ...) is refused, since this adds whole sections. Prefer the typed parts (`RedisBlobDescriptorCache`,
   * `Notifications`, `PullThroughCache`).
   */
  public addConfigSection(section: string, value: any): void {
    this.model.refuseModelledSection(section);
    this.addPart({ bind: () => ({ name: 'addConfigSection', config: { [section]: value } }) });
  }

  /**
   * Refuses exposure through a way in that contradicts the registry: another namespace, or (at synth, once every part
   * is known) a public way in to an open registry without `RegistryAuth.none({ allowPublicAccess: true })`, unless a
   * part makes it refuse every push (a pull-through cache) and what remains is acknowledged. Records the way in for a
   * network policy (`waysIn`). Called by the ways in (ElbTlsService, RegistryIngress, RegistryRoute, RegistryNodePort).
   */
  public exposeThrough(wayIn: IConstruct, options: ExposeOptions): void {
    this.attachments.exposeThrough(wayIn, options);
  }

  /**
   * Sets a `REGISTRY_*` environment variable from a Secret (for example `REGISTRY_PROXY_PASSWORD`). The
   * registry maps such variables onto struct fields and driver parameters. An item of a list
   * (`REGISTRY_NOTIFICATIONS_ENDPOINTS_0_...`) is parsed by 3.x (`configuration/parser.go` has a slice case
   * since 3.0.0) but silently ignored by 2.8, so on 2.8 such a name is an error; fields of the inlined redis
   * options are ignored by 3.0.0 (fixed in 3.1.0). Shorthand for `addPart({ bind: (r) => ({ name: 'addSecretEnv',
   * env: { [name]: kplus.EnvValue.fromSecretValue(value) } }) })`. The door for a credential is `secretValue`,
   * which works on every version.
   */
  public addSecretEnv(name: string, value: SecretKeyReference): void {
    this.addPart({ bind: (registry) => ({ name: 'addSecretEnv', env: { [name]: secretEnv(registry, 'addSecretEnv', value.secret, value.key) } }) });
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

  /** The one loop every contribution goes through: the built-ins' (storage, auth, TLS, tracing) and every part's. */
  private applyContribution(c: RegistryContribution): void {
    if (c.config) this.model.addFragment(c.name, c.config);
    for (const name of orderedEnvNames(c.env ?? {})) {
      this.model.addEnv(name, c.env![name], c.name);
      this.pod.addEnv(name, c.env![name]);
    }
    for (const mount of c.mounts ?? []) {
      this.pod.addMount(mount);
    }
    this.pod.addAnnotations(c.podAnnotations ?? {}, c.name);
    if (c.publicExposure) this.attachments.addPartExposure(c.name, c.publicExposure);
  }
}
