import { ApiObject, Chart, Cron, Duration, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { GarbageCollectionProps } from './garbage-collection-props';
import { RegistryFeature } from '../config/registry-version';
import { RegistryConstruct } from '../registry-construct';
import { RegistryDeployment } from '../registry-deployment';
import { AfterCollectionSteps } from '../registry-part';
import { RegistryPod } from '../registry-pod';
import { requireCronSchedule, requireTimeZone } from '../util/cron-schedule';
import { imageReferenceProblem, splitImage } from '../util/image-reference';
import { MAX_CRON_JOB_NAME, newCronJob } from '../util/object-names';
import { propError, requireDns1123Label, wholeSeconds } from '../util/validation';

/** The kubectl image of the maintenance window, pinned by tag (the official image, built by Kubernetes). */
export const DEFAULT_KUBECTL_IMAGE = 'registry.k8s.io/kubectl:v1.33.5';

/** The image that flushes a redis blob descriptor cache after collection (`redis-cli`), pinned by tag. */
export const DEFAULT_REDIS_IMAGE = 'redis:7.4.6-alpine';

/**
 * The variable that switches a registry to read-only. The registry reads `storage.maintenance.readonly` as a
 * map, so the whole map is given as YAML; `..._READONLY_ENABLED=true` makes 2.8 and 3.x panic at start.
 * With a maintenance window the registry container takes it from the maintenance switch (an optional
 * `configMapKeyRef`): unset while the switch does not exist, `{"enabled":true}` while it does.
 */
export const READ_ONLY_ENV = 'REGISTRY_STORAGE_MAINTENANCE_READONLY';

/** The key of the maintenance switch ConfigMap that holds the value of `READ_ONLY_ENV`. */
export const MAINTENANCE_SWITCH_KEY = 'readonly';

/** The value of `READ_ONLY_ENV` while the switch exists: the registry's whole `storage.maintenance.readonly` map. */
export const MAINTENANCE_READ_ONLY_VALUE = '{"enabled":true}';

/**
 * The annotations of the job's pod holding the switch manifests the job applies, read as files through the
 * downward API (kubectl applies files, and its image has no shell): opening (read-only) and closing (writable).
 */
const SWITCH_ANNOTATIONS = { open: 'cdk8s-registry/maintenance-switch-open', close: 'cdk8s-registry/maintenance-switch-close' };

/** Where the kubectl steps read the switch manifests. */
const SWITCH_FILE_DIR = '/etc/cdk8s-registry/maintenance';

/** The field manager of the job's server-side apply of the switch. */
const FIELD_MANAGER = 'cdk8s-registry-garbage-collection';

/** One registry, one collection: the first to finish would end the other's window. */
const COLLECTIONS = new WeakMap<RegistryDeployment, GarbageCollection>();

type Obj = { [key: string]: any };

/**
 * Scheduled `registry garbage-collect` that cannot delete the blobs of an image being pushed.
 *
 * Upstream's rule is that garbage collection needs a registry that accepts no writes. Each run is a
 * maintenance window that changes nothing Git manages: the registry container reads
 * `storage.maintenance.readonly` from an optional reference to a ConfigMap, the maintenance switch, which
 * only the job creates and deletes (it is not in the synthesized YAML). The job creates the switch, deletes
 * every registry pod and waits until each is gone (terminating ones included; their replacements start
 * read-only: pulls keep working, pushes are refused), collects with the registry's own image, config,
 * credentials, volumes and security context, flushes a redis blob descriptor cache, empties the switch,
 * restarts the pods again (writable, with empty in-memory caches) and deletes the switch. Re-applying the
 * synthesized YAML at any moment starts no writable pod. If the job dies halfway, the switch stays: the registry
 * stays read-only (safe, pushes refused, the switch ConfigMap visible to alerts) until a later run completes.
 *
 * The job runs as its own ServiceAccount, allowed to create, patch and delete the switch only, to read the
 * registry's Deployment, and to list, watch and delete pods.
 */
export class GarbageCollection extends RegistryConstruct {
  /** The kubectl image used unless `kubectlImage` is given, pinned by tag. */
  public static readonly DEFAULT_KUBECTL_IMAGE: string = DEFAULT_KUBECTL_IMAGE;

  /** The redis image used unless `redisImage` is given, pinned by tag. */
  public static readonly DEFAULT_REDIS_IMAGE: string = DEFAULT_REDIS_IMAGE;

  /**
   * The collection of a registry, if it has one (one registry, one collection). Parts that watch the registry,
   * such as `RegistryAlerts`, find its window through it.
   */
  public static of(registry: RegistryDeployment): GarbageCollection | undefined {
    return COLLECTIONS.get(registry);
  }

  /** The CronJob that runs the collection. */
  public readonly cronJob: ApiObject;

  /** The ServiceAccount of the job's pods (the one that may switch the registry to read-only and restart it). */
  public readonly serviceAccount: kplus.ServiceAccount;

  /** Whether each run is a maintenance window (false for a dry run, or a registry that is read-only anyway). */
  public readonly maintenanceWindow: boolean;

  /**
   * The name of the maintenance switch, the ConfigMap that exists only while a window is open (created and
   * deleted by the job, never synthesized). Undefined without a window.
   */
  public readonly maintenanceSwitch?: string;

  /**
   * How long each of the window's three waits may take (the `rolloutTimeout` prop, or its default): the restart
   * into read-only mode, the read-only replicas becoming ready, and the restart into writable mode.
   */
  public readonly rolloutTimeout: Duration;

  private readonly registry: RegistryDeployment;
  private readonly props: GarbageCollectionProps;
  private readonly kubectlImage: string;
  private readonly redisImage: string;
  private readonly timeoutSeconds: number;
  private readonly labels: { [key: string]: string };
  private readonly pod: RegistryPod;
  private storageChecked?: { readonly storage?: Obj; readonly parts: number; readonly problems: string[] };

  public constructor(scope: Construct, id: string, props: GarbageCollectionProps) {
    super(scope, id);
    this.props = props;
    this.registry = props.registry;
    if (!this.registry) {
      throw propError(this, 'registry', 'is required: the RegistryDeployment whose storage is collected');
    }
    // The facts the job runs with come from the registry's pod facet, never from the rendered Deployment.
    const pod = RegistryPod.of(this.registry);
    if (!pod) throw propError(this, 'registry', 'must be a RegistryDeployment: the job runs its pod\'s image, config, env and volumes');
    this.pod = pod;
    const twin = COLLECTIONS.get(this.registry);
    if (twin) {
      throw propError(this, 'registry', `(${this.registry.node.path}) is already collected by ${twin.node.path}: two collections of one registry would each open and close the read-only window, and the first to finish would end the other's window while it deletes. Keep one GarbageCollection per registry`);
    }
    const here = Chart.of(this).namespace;
    const there = Chart.of(this.registry).namespace;
    if (here !== there) {
      throw propError(this, 'registry', `(${this.registry.node.path}) is in namespace ${there ?? '(none: the kubectl default)'}, but this collection is in ${here ?? '(none: the kubectl default)'}: its pod mounts the registry's claim and Secrets and restarts its pods, which only works in the registry's own namespace. Create the GarbageCollection in the registry's chart`);
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
    // at least 30 s: a restart waits for the registry's grace period
    this.timeoutSeconds = wholeSeconds(this, 'rolloutTimeout', props.rolloutTimeout ?? Duration.minutes(10), 30);
    this.rolloutTimeout = Duration.seconds(this.timeoutSeconds);
    this.maintenanceWindow = !props.dryRun && !this.configSaysReadOnly();
    COLLECTIONS.set(this.registry, this);

    this.labels = {
      'app.kubernetes.io/name': 'registry-garbage-collection',
      'app.kubernetes.io/instance': this.registryInstance,
      'app.kubernetes.io/component': 'garbage-collection',
      'app.kubernetes.io/part-of': this.registryInstance,
      'app.kubernetes.io/managed-by': 'cdk8s-registry',
    };
    const labels = this.labels;
    const name = this.objectName(props.name);
    const named = name !== undefined ? { name } : {};
    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', {
      // The storage's workload identity annotations (IRSA, Azure, GKE): grant that identity to this account too.
      metadata: { ...named, labels, annotations: this.registry.serviceAccount.metadata.toJson().annotations },
      automountToken: false,
    });
    if (this.maintenanceWindow) {
      this.maintenanceSwitch = `${this.registry.deployment.name}-maintenance`;
      const switchRef = kplus.ConfigMap.fromConfigMapName(this, 'MaintenanceSwitch', this.maintenanceSwitch);
      this.wireSwitch(switchRef);
      const role = new kplus.Role(this, 'Role', { metadata: { ...named, labels } });
      // Exactly what the kubectl steps send (see cronJobSpec), nothing more:
      // the switch: server-side apply (authorized as create when missing, patch when present) and delete, by name;
      role.allow(['create', 'patch', 'delete'], switchRef);
      // `rollout status deployment/NAME`: get, then list and watch with a metadata.name field selector;
      role.allow(['get', 'list', 'watch'], this.registry.deployment);
      // `delete pod --selector`: list, delete, then get, list and watch each until it is gone (without these
      // read verbs kubectl skips the wait silently).
      role.allow(['list', 'get', 'watch', 'delete'], kplus.ApiResource.PODS);
      if (name !== undefined) {
        new kplus.RoleBinding(this, 'RoleBinding', { metadata: { name, labels }, role }).addSubjects(this.serviceAccount);
      } else {
        role.bind(this.serviceAccount);
      }
    }

    this.cronJob = newCronJob(this, 'CronJob', {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { ...named, labels },
      spec: Lazy.any({ produce: () => this.cronJobSpec() }),
    });
    this.node.addValidation({ validate: () => this.validateStorage() });
  }

  /** The name of the job's objects: `name`, or `<registry name>-gc`, or none (generated from the construct path). */
  private objectName(given: string | undefined): string | undefined {
    if (given !== undefined) {
      requireDns1123Label(this, 'name', given);
      if (given.length > MAX_CRON_JOB_NAME) {
        throw propError(this, 'name', `(${JSON.stringify(given)}) is longer than the ${MAX_CRON_JOB_NAME} characters of a CronJob name (its Jobs append a timestamp): give a shorter name`);
      }
      return given;
    }
    if (this.registry.name === undefined) return undefined;
    const derived = `${this.registry.name}-gc`;
    if (derived.length > MAX_CRON_JOB_NAME) {
      throw propError(this, 'name', `is needed: the registry's name ${JSON.stringify(this.registry.name)} makes ${JSON.stringify(derived)}, longer than the `
        + `${MAX_CRON_JOB_NAME} characters of a CronJob name (its Jobs append a timestamp). Give the collection a name of at most ${MAX_CRON_JOB_NAME} characters`);
    }
    return derived;
  }

  /** The registry's `app.kubernetes.io/instance`, which the job's objects share as `instance` and `part-of`. */
  private get registryInstance(): string {
    return this.registry.labels['app.kubernetes.io/instance'];
  }

  /**
   * The registry container reads the switch through an optional reference (unset while the switch is absent),
   * and, on a single-node volume, the registry prefers the node of a running job's pod, which holds the claim.
   * Both are static: outside a window the reference resolves to nothing and no job pod exists.
   */
  private wireSwitch(configMap: kplus.IConfigMap): void {
    this.registry.addPart({
      bind: () => ({
        name: 'garbage-collection',
        env: { [READ_ONLY_ENV]: kplus.EnvValue.fromConfigMap(configMap, MAINTENANCE_SWITCH_KEY, { optional: true }) },
      }),
    });
    if (this.registry.singleReplicaReason !== undefined) {
      // Preferred, not required: if a job dies and its pod is gone, the registry can still be scheduled anywhere.
      this.registry.deployment.scheduling.colocate(
        kplus.Pods.select(this, 'JobPods', { labels: this.jobPodSelector }),
        { topology: kplus.Topology.HOSTNAME, weight: 100 },
      );
    }
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
  private afterCollection(container: Obj = this.pod.renderContainer()): AfterCollectionSteps {
    const context = { collection: this, registryContainer: container, redisImage: this.redisImage };
    const steps = this.registry.parts.map((part) => part.afterCollection?.(context));
    return {
      containers: steps.flatMap((s) => s?.containers ?? []),
      problems: steps.flatMap((s) => s?.problems ?? []),
    };
  }

  /** The labels that select this job's pods (never a registry pod: their `name` differs). */
  private get jobPodSelector(): { [key: string]: string } {
    return {
      'app.kubernetes.io/name': this.labels['app.kubernetes.io/name'],
      'app.kubernetes.io/instance': this.labels['app.kubernetes.io/instance'],
      'app.kubernetes.io/component': this.labels['app.kubernetes.io/component'],
    };
  }

  private configSaysReadOnly(): boolean {
    return this.registry.configValue('storage.maintenance.readonly.enabled') === true;
  }

  /**
   * Storage the job can reach, and a cache it can make fresh; called at synth time. cdk8s validates the whole app
   * once per chart, so the verdict is kept while what it was drawn from is the same: the registry's config model
   * (the same object until it changes) and its parts; the rest are facts fixed at construction.
   */
  private validateStorage(): string[] {
    const storage: Obj | undefined = this.registry.configValue('storage');
    const parts = this.registry.parts.length;
    const last = this.storageChecked;
    if (last && last.storage === storage && last.parts === parts) return last.problems;
    const problems = this.storageProblems(storage ?? {});
    this.storageChecked = { storage, parts, problems };
    return problems;
  }

  private storageProblems(storage: Obj): string[] {
    const errors: string[] = [];
    if ('inmemory' in storage) {
      errors.push(`${this.node.path}: 'registry' stores images in the registry process (inmemory driver): a garbage collection job cannot reach them`);
    }
    if (this.registry.configValue('proxy.remoteurl')) {
      errors.push(`${this.node.path}: 'registry' is a pull-through cache (PullThroughCache), which removes expired content itself (proxy.ttl); read-only mode does not stop it from storing what it pulls, so a collection could delete a blob it is caching. Drop the GarbageCollection, and set the cache's ttl for how long content is kept`);
    }
    if (!this.props.dryRun) {
      const after = this.afterCollection();
      errors.push(...after.problems);
      if (storage.cache?.blobdescriptor === 'redis' && after.containers.length === 0 && after.problems.length === 0) {
        errors.push(`${this.node.path}: 'registry' uses a redis blob descriptor cache that no RedisBlobDescriptorCache part configures (addConfigSection?), so the job cannot flush it after collection, and a push could skip uploading a blob that is gone. Configure redis with registry.addPart(new RedisBlobDescriptorCache({...})), or use BlobDescriptorCache.INMEMORY or NONE`);
      }
    }
    const data = this.registry.dataVolume;
    if (data?.podLocal) {
      errors.push(`${this.node.path}: 'registry' keeps its images on an emptyDir volume, which only the registry pod can see: use a PersistentVolumeClaim to collect garbage`);
    }
    if (data?.claim && data.accessMode === kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE_POD) {
      errors.push(`${this.node.path}: 'registry' keeps its images on the ReadWriteOncePod claim ${data.claim.name}, which the job's pod cannot mount while the registry runs: use ReadWriteOnce or ReadWriteMany`);
    }
    return errors;
  }

  /**
   * The manifest of the maintenance switch, which the job applies: a ConfigMap that is not in the synthesized
   * YAML and carries no `app.kubernetes.io/instance` (Argo CD would count it as the app's and prune it).
   * `readOnly` false is the closing switch: the same object without the key, so pods started from then on are
   * writable while the switch still marks an unfinished window.
   */
  private switchManifest(switchName: string, readOnly: boolean): Obj {
    const job = this.cronJob.name;
    return {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: switchName,
        labels: {
          'app.kubernetes.io/name': 'registry-garbage-collection',
          'app.kubernetes.io/component': 'garbage-collection',
          'app.kubernetes.io/part-of': this.registryInstance,
          'app.kubernetes.io/managed-by': 'cdk8s-registry-garbage-collection',
        },
        annotations: {
          'cdk8s-registry/maintenance': `garbage collection window of Deployment ${this.registry.deployment.name}, opened and closed by CronJob ${job}; `
            + `still here after the job ended: the run failed, start it again with kubectl create job --from=cronjob/${job}`,
        },
      },
      data: readOnly ? { [MAINTENANCE_SWITCH_KEY]: MAINTENANCE_READ_ONLY_VALUE } : {},
    };
  }

  private cronJobSpec(): Obj {
    const labels = this.labels;
    // The registry command with the registry container's image, config file (which may be rendered by an init
    // container), credentials, mounts and user. The collector deletes: it never takes the read-only switch.
    const pod = this.pod.jobPod({
      name: 'garbage-collect',
      command: 'garbage-collect',
      flags: [...(this.props.dryRun ? ['--dry-run'] : []), ...(this.props.deleteUntagged ? ['--delete-untagged'] : [])],
      withoutEnv: [READ_ONLY_ENV],
    });
    const collector = pod.command;
    const container = pod.registryContainer;
    const deploymentName = this.registry.deployment.name;
    // Labels the storage needs on the pod (workload identity), but never the registry's own.
    const podLabels = { ...pod.labels, ...labels };
    // Every selector of the window picks registry pods only: never this job's pods, nor another part's. The
    // Deployment's own selector labels in name order (as they are written), then the component.
    const { ['app.kubernetes.io/component']: component, ...own } = this.registry.selectorLabels;
    const registryPods: { [key: string]: string } = {
      ...Object.fromEntries(Object.entries(own).sort(([a], [b]) => a.localeCompare(b))), 'app.kubernetes.io/component': component,
    };
    const registrySelector = Object.entries(registryPods).map(([k, v]) => `${k}=${v}`).join(',');
    // A volume only one node can mount: the job runs beside the registry pod (which starts on it, Recreate).
    const colocate = this.registry.dataVolume?.claim !== undefined && this.registry.singleReplicaReason !== undefined;

    const volumes: Obj[] = [...pod.volumes];
    // The registry pod's own init containers (such as the one that renders credentials into the config) first.
    const initContainers: Obj[] = [...pod.initContainers];
    const containers: Obj[] = [];
    const podAnnotations: { [key: string]: string } = {};
    let podAffinity: Obj | undefined;
    // After a collection that deletes, the parts' steps (a redis cache's keys go) before pushes are accepted again.
    const after = this.props.dryRun ? [] : this.afterCollection(container).containers;
    if (!this.maintenanceWindow) {
      // The pod's last step is its container; the ones before it run as init containers, in order.
      const steps = [collector, ...after];
      initContainers.push(...steps.slice(0, -1));
      containers.push(steps[steps.length - 1]);
    } else {
      const switchName = this.maintenanceSwitch!;
      const apiVolume = 'gc-kube-api-access';
      const homeVolume = 'gc-kubectl-home';
      const switchVolume = 'gc-maintenance-switch';
      podAnnotations[SWITCH_ANNOTATIONS.open] = JSON.stringify(this.switchManifest(switchName, true));
      podAnnotations[SWITCH_ANNOTATIONS.close] = JSON.stringify(this.switchManifest(switchName, false));
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
        // The switch manifests, from this pod's own annotations: kubectl applies files, and its image has no shell.
        {
          name: switchVolume,
          downwardAPI: {
            defaultMode: 0o444,
            items: Object.entries(SWITCH_ANNOTATIONS).map(([file, annotation]) => ({
              path: `${file}.json`, fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${annotation}']` },
            })),
          },
        },
      );
      const kubectl = (name: string, args: string[], readsSwitch = false): Obj => ({
        name,
        image: this.kubectlImage,
        imagePullPolicy: 'IfNotPresent',
        command: ['kubectl', ...args],
        env: [{ name: 'HOME', value: '/home/kubectl' }],
        // Only the kubectl steps get an API token; the registry container of this pod gets none.
        volumeMounts: [
          { name: apiVolume, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
          { name: homeVolume, mountPath: '/home/kubectl' },
          ...(readsSwitch ? [{ name: switchVolume, mountPath: SWITCH_FILE_DIR, readOnly: true }] : []),
        ],
        securityContext: container.securityContext,
        resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
      });
      const timeout = `--timeout=${this.timeoutSeconds}s`;
      // Deletes every registry pod, then waits until each (by UID) is gone, terminating ones included: every pod
      // that started before the switch existed stops; their replacements read the switch when they start.
      const restart = (name: string) => kubectl(name, ['delete', 'pod', `--selector=${registrySelector}`, '--wait=true', timeout]);
      // Server-side apply of a whole manifest: idempotent (creates the switch, or finds it from a run that died).
      const applySwitch = (name: string, file: keyof typeof SWITCH_ANNOTATIONS) => kubectl(name,
        ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts', `--filename=${SWITCH_FILE_DIR}/${file}.json`], true);
      initContainers.push(
        applySwitch('enter-read-only', 'open'),
        restart('restart-read-only'),
        kubectl('wait-read-only-ready', ['rollout', 'status', `deployment/${deploymentName}`, timeout]),
        collector,
        ...after,
        // The switch loses its key (pods started from now on are writable) but stays, marking the window as
        // unfinished, until every pod has restarted writable.
        applySwitch('leave-read-only', 'close'),
        restart('restart-writable'),
      );
      // The main container, so it runs only after everything before it succeeded.
      containers.push(kubectl('remove-switch', ['delete', 'configmap', switchName, '--ignore-not-found=true', '--wait=false']));
      if (colocate) {
        podAffinity = {
          requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: registryPods }, topologyKey: 'kubernetes.io/hostname' }],
        };
      }
    }

    // Where and how the registry's pods run, the job's pod runs too: the registry's node pool, priority and pull
    // secrets (a private mirror of the registry image). Anti-affinity and spread are about registry pods: not copied.
    const nodeAffinity = pod.nodeAffinity;
    const affinity = nodeAffinity || podAffinity ? { nodeAffinity, podAffinity } : undefined;
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
            metadata: { labels: podLabels, annotations: Object.keys(podAnnotations).length ? podAnnotations : undefined },
            spec: {
              serviceAccountName: this.serviceAccount.name,
              automountServiceAccountToken: false,
              restartPolicy: 'Never',
              priorityClassName: pod.priorityClassName,
              nodeSelector: pod.nodeSelector,
              tolerations: pod.tolerations,
              affinity,
              imagePullSecrets: pod.imagePullSecrets,
              securityContext: pod.securityContext,
              initContainers: initContainers.length ? initContainers : undefined,
              containers,
              volumes,
            },
          },
        },
      },
    };
  }
}
