import { ApiObject, Cron, Duration, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { RegistryFeature } from '../config/registry-version';
import { RegistryDeployment } from '../registry-deployment';
import { AfterCollectionSteps } from '../registry-part';
import { requireCronSchedule, requireTimeZone } from '../util/cron-schedule';
import { imageReferenceProblem, splitImage } from '../util/image-reference';
import { newCronJob, validateObjectNames } from '../util/object-names';
import { propError, wholeSeconds } from '../util/validation';

/** The kubectl image of the maintenance window, pinned by tag (the official image, built by Kubernetes). */
export const DEFAULT_KUBECTL_IMAGE = 'registry.k8s.io/kubectl:v1.33.5';

/** The image that flushes a redis blob descriptor cache after collection (`redis-cli`), pinned by tag. */
export const DEFAULT_REDIS_IMAGE = 'redis:7.4.6-alpine';

/**
 * The variable that switches a registry to read-only. The registry reads `storage.maintenance.readonly` as a
 * map, so the whole map is given as YAML; `..._READONLY_ENABLED=true` makes 2.8 and 3.x panic at start.
 */
export const READ_ONLY_ENV = 'REGISTRY_STORAGE_MAINTENANCE_READONLY';

/** Pod label that marks registry pods started in read-only mode during a maintenance window. */
export const MAINTENANCE_LABEL = 'cdk8s-registry/maintenance';

/** Value of `MAINTENANCE_LABEL` on read-only pods. */
export const MAINTENANCE_READ_ONLY = 'read-only';

type Obj = { [key: string]: any };

/**
 * Options of a `GarbageCollection`: its properties but the registry (what `RegistryChart` takes).
 */
export interface GarbageCollectionOptions {
  /**
   * When the job runs (cluster time zone unless `timeZone` is set). At most once an hour, with the minute given
   * (`Cron.schedule()` leaves every field it is not given at `*`, so set `minute`).
   * @default - Sundays at 03:00
   */
  readonly schedule?: Cron;

  /**
   * Time zone of `schedule`, such as `Europe/Berlin` (CronJob `timeZone`).
   * @default - the time zone of the kube-controller-manager, usually UTC
   */
  readonly timeZone?: string;

  /**
   * Only report what would be deleted (`--dry-run`). A dry run changes nothing, so it runs without a
   * maintenance window: the registry keeps accepting pushes.
   * @default false
   */
  readonly dryRun?: boolean;

  /**
   * Also delete manifests that no tag references (`--delete-untagged`). Refused on registry 2.8, which
   * deletes the per-platform children of multi-arch images with it (fixed in 3.0).
   * @default false - only blobs that no manifest references are deleted
   */
  readonly deleteUntagged?: boolean;

  /**
   * The image that switches the registry to read-only and back, which must provide `kubectl`.
   * @default DEFAULT_KUBECTL_IMAGE - `registry.k8s.io/kubectl`, pinned by tag
   */
  readonly kubectlImage?: string;

  /**
   * The image that flushes a redis blob descriptor cache after collection, which must provide `redis-cli`
   * 7.0 or later (for `-e`). Used only when the registry has a `RedisBlobDescriptorCache`.
   * @default DEFAULT_REDIS_IMAGE - the official `redis` image, pinned by tag
   */
  readonly redisImage?: string;

  /**
   * How long each wait of the maintenance window (the rollout to read-only, the end of the pods that still
   * accept writes) may take before the job fails, leaving the registry read-only.
   * @default Duration.minutes(10)
   */
  readonly rolloutTimeout?: Duration;

  /**
   * Create the CronJob suspended, for example to run it only by hand (`kubectl create job --from=cronjob/...`).
   * @default false
   */
  readonly suspend?: boolean;
}

/**
 * Properties of a `GarbageCollection`.
 */
export interface GarbageCollectionProps extends GarbageCollectionOptions {
  /** The registry whose storage is collected; the job runs its image, config, env, volumes and user. */
  readonly registry: RegistryDeployment;
}

/**
 * Scheduled `registry garbage-collect` that cannot delete the blobs of an image being pushed.
 *
 * Upstream's rule is that garbage collection needs a registry that accepts no writes. Each run is a
 * maintenance window: the job patches the registry's Deployment so every replica restarts with
 * `storage.maintenance.readonly` (pulls keep working, pushes are refused with an error), waits until no pod
 * that accepts writes is left, collects with the registry's own image, config, credentials, volumes and
 * security context, then removes the patch, which restarts the replicas with empty blob descriptor caches.
 * A redis blob descriptor cache outlives the restart: the job deletes the cache's keys after collecting and
 * before the window ends. If the job dies halfway the registry stays read-only (safe, pushes refused) until a
 * later run completes.
 *
 * The job runs as its own ServiceAccount, allowed to read and patch this Deployment only and to watch pods.
 */
export class GarbageCollection extends Construct {
  /** The kubectl image used unless `kubectlImage` is given, pinned by tag. */
  public static readonly DEFAULT_KUBECTL_IMAGE: string = DEFAULT_KUBECTL_IMAGE;

  /** The redis image used unless `redisImage` is given, pinned by tag. */
  public static readonly DEFAULT_REDIS_IMAGE: string = DEFAULT_REDIS_IMAGE;

  /** The CronJob that runs the collection. */
  public readonly cronJob: ApiObject;

  /** The ServiceAccount of the job's pods (the one that may patch the registry's Deployment). */
  public readonly serviceAccount: kplus.ServiceAccount;

  /** Whether each run is a maintenance window (false for a dry run, or a registry that is read-only anyway). */
  public readonly maintenanceWindow: boolean;

  private readonly registry: RegistryDeployment;
  private readonly props: GarbageCollectionProps;
  private readonly kubectlImage: string;
  private readonly redisImage: string;
  private readonly timeoutSeconds: number;

  public constructor(scope: Construct, id: string, props: GarbageCollectionProps) {
    super(scope, id);
    validateObjectNames(this);
    this.props = props;
    this.registry = props.registry;
    if (!this.registry) {
      throw propError(this, 'registry', 'is required: the RegistryDeployment whose storage is collected');
    }
    const version = this.registry.version;
    if (props.deleteUntagged && !version.supports(RegistryFeature.SAFE_DELETE_UNTAGGED)) {
      throw propError(this, 'deleteUntagged', `cannot be used with registry ${version}: its --delete-untagged deletes the per-platform manifests of multi-arch images (fixed in 3.0). Run registry 3.x, or collect unreferenced blobs only`);
    }
    if (props.schedule !== undefined) {
      requireCronSchedule(this, 'schedule', props.schedule.expressionString, props.dryRun
        ? 'each run reads every manifest in the storage'
        : 'each run puts the registry in read-only mode');
    }
    if (props.timeZone !== undefined) requireTimeZone(this, 'timeZone', props.timeZone);
    this.kubectlImage = this.pinnedImage('kubectlImage', props.kubectlImage, DEFAULT_KUBECTL_IMAGE);
    this.redisImage = this.pinnedImage('redisImage', props.redisImage, DEFAULT_REDIS_IMAGE);
    // at least 30 s: a rollout restarts every replica
    this.timeoutSeconds = wholeSeconds(this, 'rolloutTimeout', props.rolloutTimeout ?? Duration.minutes(10), 30);
    this.maintenanceWindow = !props.dryRun && !this.configSaysReadOnly();

    const labels = { ...this.registry.deployment.metadata.toJson().labels, 'app.kubernetes.io/component': 'garbage-collection' };
    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', {
      // The storage's workload identity annotations (IRSA, Azure, GKE): grant that identity to this account too.
      metadata: { labels, annotations: this.registry.serviceAccount.metadata.toJson().annotations },
      automountToken: false,
    });
    if (this.maintenanceWindow) {
      const role = new kplus.Role(this, 'Role', { metadata: { labels } });
      // Patch this Deployment only (and read it, for `rollout status`); watch pods to see the writers go.
      role.allow(['get', 'list', 'watch', 'patch'], this.registry.deployment);
      role.allow(['get', 'list', 'watch'], kplus.ApiResource.PODS);
      role.bind(this.serviceAccount);
    }

    this.cronJob = newCronJob(this, 'CronJob', {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { labels },
      spec: Lazy.any({ produce: () => this.cronJobSpec(labels) }),
    });
    this.node.addValidation({ validate: () => this.validateStorage() });
  }

  private pinnedImage(prop: string, given: string | undefined, fallback: string): string {
    const image = given ?? fallback;
    const { tagged, digest } = splitImage(image);
    if (image.trim() === '' || (!tagged && !digest)) {
      throw propError(this, prop, `(${JSON.stringify(image)}) must be an image pinned by tag or digest, such as "${fallback}"`);
    }
    const problem = imageReferenceProblem(image);
    if (problem) throw propError(this, prop, `(${JSON.stringify(image)}) ${problem}, such as "${fallback}"`);
    return image;
  }

  /** What the registry's parts need done after a collection that deletes (a redis cache flushed), in part order. */
  private afterCollection(container: Obj): AfterCollectionSteps {
    const context = { collection: this, registryContainer: container, redisImage: this.redisImage };
    const steps = this.registry._parts.map((part) => part._afterCollection?.(context));
    return {
      containers: steps.flatMap((s) => s?.containers ?? []),
      problems: steps.flatMap((s) => s?.problems ?? []),
    };
  }

  /** The pod label that selects this job's pods. */
  private get podLabels(): { [key: string]: string } {
    return {
      'app.kubernetes.io/name': 'registry',
      'app.kubernetes.io/instance': this.registry.deployment.metadata.getLabel('app.kubernetes.io/instance') ?? this.node.id.toLowerCase(),
      'app.kubernetes.io/component': 'garbage-collection',
    };
  }

  private registryPodSpec(): { template: Obj; pod: Obj; container: Obj; selector: { [key: string]: string }; strategy?: string } {
    const deployment = ApiObject.of(this.registry.deployment).toJson();
    const template = deployment.spec.template;
    const pod = template.spec;
    const container = (pod.containers as Obj[]).find((c) => c.name === this.registry.container.name)!;
    return { template, pod, container, selector: deployment.spec.selector.matchLabels, strategy: deployment.spec.strategy?.type };
  }

  private renderedConfig(): Obj {
    return this.registry._renderConfig();
  }

  private configSaysReadOnly(): boolean {
    return this.renderedConfig().storage?.maintenance?.readonly?.enabled === true;
  }

  /** Storage the job can reach, and a cache it can make fresh; called at synth time. */
  private validateStorage(): string[] {
    const config = this.renderedConfig();
    const storage: Obj = config.storage ?? {};
    const errors: string[] = [];
    if ('inmemory' in storage) {
      errors.push(`${this.node.path}: 'registry' stores images in the registry process (inmemory driver): a garbage collection job cannot reach them`);
    }
    if (config.proxy?.remoteurl) {
      errors.push(`${this.node.path}: 'registry' is a pull-through cache (PullThroughCache), which removes expired content itself (proxy.ttl); read-only mode does not stop it from storing what it pulls, so a collection could delete a blob it is caching. Drop the GarbageCollection, and set the cache's ttl for how long content is kept`);
    }
    const { pod, container } = this.registryPodSpec();
    if (!this.props.dryRun) {
      const after = this.afterCollection(container);
      errors.push(...after.problems);
      if (storage.cache?.blobdescriptor === 'redis' && after.containers.length === 0 && after.problems.length === 0) {
        errors.push(`${this.node.path}: 'registry' uses a redis blob descriptor cache that no RedisBlobDescriptorCache part configures (addConfigSection?), so the job cannot flush it after collection, and a push could skip uploading a blob that is gone. Configure redis with registry.addPart(new RedisBlobDescriptorCache({...})), or use BlobDescriptorCache.INMEMORY or NONE`);
      }
    }
    const rootDirectory = storage.filesystem?.rootdirectory;
    if (rootDirectory) {
      const mount = (container.volumeMounts as Obj[] ?? []).find((m) => m.mountPath === rootDirectory);
      const volume = (pod.volumes as Obj[] ?? []).find((v) => v.name === mount?.name);
      if (volume?.emptyDir) {
        errors.push(`${this.node.path}: 'registry' keeps its images on an emptyDir volume, which only the registry pod can see: use a PersistentVolumeClaim to collect garbage`);
      }
      const claimName = volume?.persistentVolumeClaim?.claimName;
      const claim = this.node.root.node.findAll().map((c) => c instanceof ApiObject ? c : undefined)
        .find((o) => o?.kind === 'PersistentVolumeClaim' && o.name === claimName);
      const modes: string[] = claim ? claim.toJson().spec?.accessModes ?? [] : [];
      if (modes.includes('ReadWriteOncePod')) {
        errors.push(`${this.node.path}: 'registry' keeps its images on the ReadWriteOncePod claim ${claimName}, which the job's pod cannot mount while the registry runs: use ReadWriteOnce or ReadWriteMany`);
      }
    }
    return errors;
  }

  /** Whether the data volume can only be mounted on one node, so the job must run beside the registry. */
  private colocate(pod: Obj, container: Obj, strategy?: string): boolean {
    const dataVolumes = (container.volumeMounts as Obj[] ?? []).filter((m) => !m.readOnly)
      .map((m) => (pod.volumes as Obj[] ?? []).find((v) => v.name === m.name))
      .filter((v) => v?.persistentVolumeClaim);
    return dataVolumes.length > 0 && strategy === 'Recreate';
  }

  private cronJobSpec(labels: { [key: string]: string }): Obj {
    const { template, pod, container, selector, strategy } = this.registryPodSpec();
    const colocate = this.colocate(pod, container, strategy);
    const deploymentName = this.registry.deployment.name;
    const podLabels = { ...this.podLabels };
    // Labels the storage needs on the pod (workload identity), but never the Deployment's selector.
    for (const [key, value] of Object.entries<string>(template.metadata?.labels ?? {})) {
      if (!(key in selector) && !(key in podLabels) && !key.startsWith('app.kubernetes.io/')) podLabels[key] = value;
    }

    // The config file the registry serves from (`serve PATH`), which may be rendered by an init container.
    const configPath = (container.args as string[] ?? [])[(container.args as string[] ?? []).indexOf('serve') + 1] ?? this.registry.version.configPath;
    const collector: Obj = {
      name: 'garbage-collect',
      image: container.image,
      imagePullPolicy: container.imagePullPolicy,
      command: container.command,
      args: [
        'garbage-collect', configPath,
        ...(this.props.dryRun ? ['--dry-run'] : []),
        ...(this.props.deleteUntagged ? ['--delete-untagged'] : []),
      ],
      env: container.env,
      envFrom: container.envFrom,
      volumeMounts: container.volumeMounts,
      securityContext: container.securityContext,
      resources: container.resources,
    };

    const volumes: Obj[] = [...(pod.volumes ?? [])];
    // The registry pod's own init containers (such as the one that renders credentials into the config) first.
    const initContainers: Obj[] = [...(pod.initContainers ?? [])];
    const containers: Obj[] = [];
    let affinity: Obj | undefined;
    // After a collection that deletes, the parts' steps (a redis cache's keys go) before pushes are accepted again.
    const after = this.props.dryRun ? [] : this.afterCollection(container).containers;
    if (!this.maintenanceWindow) {
      // The pod's last step is its container; the ones before it run as init containers, in order.
      const steps = [collector, ...after];
      initContainers.push(...steps.slice(0, -1));
      containers.push(steps[steps.length - 1]);
    } else {
      const apiVolume = 'gc-kube-api-access';
      const homeVolume = 'gc-kubectl-home';
      volumes.push(
        {
          name: apiVolume,
          projected: {
            defaultMode: 0o444,
            sources: [
              { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
            ],
          },
        },
        { name: homeVolume, emptyDir: { sizeLimit: '64Mi' } },
      );
      const kubectl = (name: string, args: string[]): Obj => ({
        name,
        image: this.kubectlImage,
        imagePullPolicy: 'IfNotPresent',
        command: ['kubectl', ...args],
        env: [{ name: 'HOME', value: '/home/kubectl' }],
        // Only the kubectl steps get an API token; the registry container of this pod gets none.
        volumeMounts: [
          { name: apiVolume, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
          { name: homeVolume, mountPath: '/home/kubectl' },
        ],
        securityContext: container.securityContext,
        resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
      });
      const timeout = `--timeout=${this.timeoutSeconds}s`;
      const writers = [...Object.entries(selector).map(([k, v]) => `${k}=${v}`), `${MAINTENANCE_LABEL}!=${MAINTENANCE_READ_ONLY}`].join(',');
      initContainers.push(
        kubectl('enter-read-only', ['patch', 'deployment', deploymentName, '--type=strategic', `--patch=${JSON.stringify(this.enterPatch(colocate))}`]),
        kubectl('wait-read-only-rollout', ['rollout', 'status', `deployment/${deploymentName}`, timeout]),
        // Pods that still accept writes (terminating ones included) must be gone before anything is deleted.
        kubectl('wait-writers-gone', ['wait', 'pod', '--for=delete', `--selector=${writers}`, timeout]),
        collector,
        ...after,
      );
      containers.push(kubectl('leave-read-only', ['patch', 'deployment', deploymentName, '--type=strategic', `--patch=${JSON.stringify(this.leavePatch(colocate))}`]));
      if (colocate) {
        affinity = {
          podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: selector }, topologyKey: 'kubernetes.io/hostname' }],
          },
        };
      }
    }

    return {
      schedule: (this.props.schedule ?? Cron.schedule({ minute: '0', hour: '3', weekDay: '0' })).expressionString,
      timeZone: this.props.timeZone,
      suspend: this.props.suspend ?? false,
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels },
        spec: {
          // Every step is idempotent: a retry redoes the window from the start.
          backoffLimit: 2,
          template: {
            metadata: { labels: podLabels },
            spec: {
              serviceAccountName: this.serviceAccount.name,
              automountServiceAccountToken: false,
              restartPolicy: 'Never',
              securityContext: pod.securityContext,
              affinity,
              initContainers: initContainers.length ? initContainers : undefined,
              containers,
              volumes,
            },
          },
        },
      },
    };
  }

  /**
   * The strategic merge patch that puts every replica in read-only mode: the env variable, a pod label that
   * tells read-only pods from writers, and, for a single-node volume, affinity to this job's pod.
   */
  private enterPatch(colocate: boolean): Obj {
    return {
      spec: {
        template: {
          metadata: { labels: { [MAINTENANCE_LABEL]: MAINTENANCE_READ_ONLY } },
          spec: {
            // Preferred, not required: if the job is gone and the window left open, the registry can still be scheduled.
            affinity: colocate ? {
              podAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [{
                  weight: 100,
                  podAffinityTerm: { labelSelector: { matchLabels: this.podLabels }, topologyKey: 'kubernetes.io/hostname' },
                }],
              },
            } : undefined,
            containers: [{ name: this.registry.container.name, env: [{ name: READ_ONLY_ENV, value: '{"enabled":true}' }] }],
          },
        },
      },
    };
  }

  /** The strategic merge patch that undoes `enterPatch`. */
  private leavePatch(colocate: boolean): Obj {
    return {
      spec: {
        template: {
          metadata: { labels: { [MAINTENANCE_LABEL]: null } },
          spec: {
            affinity: colocate ? { podAffinity: null } : undefined,
            containers: [{ name: this.registry.container.name, env: [{ name: READ_ONLY_ENV, $patch: 'delete' }] }],
          },
        },
      },
    };
  }
}
