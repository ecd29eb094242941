import * as path from 'path';
import { ApiObject, Duration, JsonPatch, Lazy, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { LifecyclePlan, lifecycleProblem } from './availability/lifecycle';
import { NamedDeployment } from './availability/named-deployment';
import { PlacementOptions } from './availability/placement';
import { SecretRenderingTarget } from './config/config-secrets';
import { RegistryVersion } from './config/registry-version';
import { Platform } from './platform';
import { RegistryMount } from './registry-mount';
import { ANNOTATION_ROUTE, findCredentialLiterals, refuseCredentials } from './util/credential-check';
import { propError } from './util/validation';

/** Port the registry listens on inside the pod. */
export const REGISTRY_PORT = 5000;

/** Port of the registry's debug server when metrics are enabled. */
export const METRICS_PORT = 5001;

/** Annotation on the pod template holding the config's checksum, so a config change rolls the pods. */
export const CONFIG_CHECKSUM_ANNOTATION = 'checksum/config';

/** The pod's seccomp profile (the restricted profile needs one; cdk8s-plus has no setting for it). */
const SECCOMP_PROFILE = { type: 'RuntimeDefault' };

type Obj = { [key: string]: any };

/** The pod facet of each registry (`RegistryPod.of`). */
const PODS = new WeakMap<IConstruct, RegistryPod>();

/**
 * The registry's pod as a job that works on its storage runs it (`RegistryPod.jobPod`), in Kubernetes JSON.
 * Rendered from the model the Deployment is rendered from, not from the Deployment: what the props, parts and
 * cdk8s-plus calls set reaches the job; JSON patches of the Deployment (escape hatches) do not.
 */
export interface RegistryJobPod {
  /** The registry container (a part's steps after collection run with its security context). */
  readonly registryContainer: Obj;
  /** The registry command: the registry container's image, config file, env, mounts, security context, resources. */
  readonly command: Obj;
  /** The registry pod's init containers (the one that renders credentials into the config), in order. */
  readonly initContainers: Obj[];
  /** The registry pod's volumes. */
  readonly volumes: Obj[];
  /** The pod's security context. */
  readonly securityContext: Obj;
  /** The labels the storage needs on every pod that reaches it (workload identity); never the registry's own. */
  readonly labels: { [key: string]: string };
  /** Where the registry's pods run: its node pool and priority, not its anti-affinity or spread. */
  readonly priorityClassName?: string;
  readonly nodeSelector?: { [key: string]: string };
  readonly tolerations?: Obj[];
  readonly nodeAffinity?: Obj;
  readonly imagePullSecrets?: Obj[];
}

/** A registry command run in a job's pod (`registry <command> <config file> <flags>`). */
export interface RegistryCommandOptions {
  /** The container's name. */
  readonly name: string;
  /** The registry's subcommand (`garbage-collect`). */
  readonly command: string;
  /** Flags after the config file. */
  readonly flags: string[];
  /** Variables of the registry container the command must not take (the read-only switch). */
  readonly withoutEnv: string[];
}

/** The registry the pod belongs to: its public facts, set before the pod is built (the core). */
export interface RegistryPodHost extends IConstruct {
  readonly port: number;
  readonly metricsPort?: number;
  readonly image: string;
  readonly name?: string;
  readonly labels: { [key: string]: string };
  readonly replicas: number;
  readonly singleReplicaReason?: string;
  readonly platform: Platform;
  readonly serviceAccount: kplus.ServiceAccount;
  readonly configMap: kplus.ConfigMap;
  /** The path of the config file the registry reads (a token). */
  readonly configFilePath: string;
  readonly version: RegistryVersion;
  readonly servesTls: boolean;
}

/** What the registry's pod is built from besides the registry's public facts (internal: the core gives it). */
export interface RegistryPodProps {
  readonly runAsUser: number;
  readonly lifecycle: LifecyclePlan;
  /** Extra labels of the pods (the storage's). */
  readonly podLabels?: { [key: string]: string };
  /** Whether clients must present a certificate (readiness is then a TCP check). */
  readonly requiresClientCertificates: boolean;
  readonly resources?: kplus.ContainerResources;
  /** The config's checksum (a pod annotation). */
  readonly checksum: () => string;
  /** Where the pods run (the placement prop), which a job on the storage shares. */
  readonly placement?: PlacementOptions;
  /** The Secret the kubelet pulls the registry image with (the imagePullSecret prop), which a job shares. */
  readonly imagePullSecret?: kplus.ISecret;
}

/**
 * The registry's pod, as a facet the core holds (in the cdk8s-plus style): the Deployment, the registry container
 * with its probes and security contexts, the config and tmp volumes, and the one place mounts, environment and pod
 * annotations are added. Its constructs are made in the core's scope, so their paths and names stay as they were.
 */
export class RegistryPod implements SecretRenderingTarget {
  /** The pod facet of a registry (a `RegistryDeployment`), if it is one. */
  public static of(registry: IConstruct): RegistryPod | undefined {
    return PODS.get(registry);
  }

  /** The registry's pods. */
  public readonly deployment: kplus.Deployment;
  /** The registry container. */
  public readonly container: kplus.Container;
  /** The volume of the ConfigMap holding config.yml. */
  public readonly configVolume: kplus.Volume;
  /** The container's security context (the init containers use it too). */
  public readonly securityContext: kplus.ContainerSecurityContextProps;
  /** The labels that pick exactly the registry's pods. */
  public readonly selectorLabels: { [key: string]: string };
  /** The name of the registry's port (`http` or `https`). */
  public readonly portName: string;
  /** The image of the registry container (the init container that renders credentials runs it too). */
  public readonly image: string;
  /** The name of the config file in the ConfigMap. */
  public readonly configFile: string;

  private readonly mountedPaths = new Set<string>();
  private readonly annotationSources = new Map<string, string>();
  private lifecycleChecked?: { readonly patches?: number; readonly problems: string[] };

  public constructor(private readonly scope: RegistryPodHost, private readonly props: RegistryPodProps) {
    PODS.set(scope, this);
    const { lifecycle, runAsUser } = props;
    const { labels, platform, port } = scope;
    this.image = scope.image;
    this.configFile = path.basename(scope.version.configPath);
    const idSettings = platform === Platform.KUBERNETES ? { user: runAsUser, group: runAsUser } : {};
    const deployment = new NamedDeployment(scope, 'Deployment', {
      metadata: { ...(scope.name ? { name: scope.name } : {}), labels },
      podMetadata: { labels: { ...props.podLabels, ...labels } },
      // With a name, the selector is the name: it must never change, and Kubernetes refuses to change it.
      select: scope.name === undefined,
      replicas: scope.replicas,
      minReady: Duration.seconds(lifecycle.minReadySeconds),
      strategy: scope.singleReplicaReason
        ? kplus.DeploymentStrategy.recreate()
        // One new pod at a time, never below the wanted count.
        : kplus.DeploymentStrategy.rollingUpdate({
          maxSurge: kplus.PercentOrAbsolute.absolute(1),
          maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
        }),
      serviceAccount: scope.serviceAccount,
      automountServiceAccountToken: false,
      dockerRegistryAuth: props.imagePullSecret,
      securityContext: {
        ensureNonRoot: true,
        ...idSettings,
        fsGroup: platform === Platform.KUBERNETES ? runAsUser : undefined,
        // A registry volume holds millions of files: chown them only when the root does not match.
        fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH,
      },
      terminationGracePeriod: Duration.seconds(lifecycle.terminationGraceSeconds),
    });
    this.deployment = deployment;
    if (scope.name !== undefined) {
      deployment.select(kplus.LabelSelector.of({ labels: { 'app.kubernetes.io/name': 'registry', 'app.kubernetes.io/instance': scope.name } }));
      // cdk8s-plus labels every pod with its construct path; with a name nothing may depend on the path.
      ApiObject.of(deployment).addJsonPatch(JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'));
    }
    // Before any Service is made from the Deployment: every other selector names the component.
    deployment.podSelectorExtraLabels = { 'app.kubernetes.io/component': labels['app.kubernetes.io/component'] };
    this.selectorLabels = deployment.podSelectorLabels;
    deployment.podMetadata.addAnnotation(CONFIG_CHECKSUM_ANNOTATION, Lazy.any({ produce: () => props.checksum() }) as any);
    // cdk8s-plus has no seccomp setting; the restricted profile needs RuntimeDefault.
    ApiObject.of(deployment).addJsonPatch(
      JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', SECCOMP_PROFILE),
    );

    const scheme = scope.servesTls ? kplus.ConnectionScheme.HTTPS : kplus.ConnectionScheme.HTTP;
    const timings = lifecycle.readiness;
    const readinessTimings = {
      initialDelaySeconds: Duration.seconds(timings.initialDelaySeconds),
      periodSeconds: Duration.seconds(timings.periodSeconds),
      failureThreshold: timings.failureThreshold,
      timeoutSeconds: Duration.seconds(timings.timeoutSeconds),
    };
    this.portName = scope.servesTls ? 'https' : 'http';
    this.securityContext = {
      ensureNonRoot: true,
      ...idSettings,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      // 'ALL' is what the restricted profile asks for; cdk8s-plus's enum lists single capabilities only.
      capabilities: { drop: ['ALL' as kplus.Capability] },
    };
    this.container = deployment.addContainer({
      name: 'registry',
      image: scope.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['registry'],
      args: ['serve', scope.configFilePath],
      ports: [
        { number: port, name: this.portName },
        ...(scope.metricsPort !== undefined ? [{ number: scope.metricsPort, name: 'metrics' }] : []),
      ],
      securityContext: this.securityContext,
      resources: props.resources ?? {
        cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.units(2) },
        memory: { request: Size.mebibytes(256), limit: Size.gibibytes(1) },
      },
      // Ready only when the registry answers (503 while the storage health check fails). The kubelet cannot
      // present a client certificate, so with required client certificates readiness is a TCP check.
      readiness: props.requiresClientCertificates
        ? kplus.Probe.fromTcpSocket({ port, ...readinessTimings })
        : kplus.Probe.fromHttpGet('/', { port, scheme, ...readinessTimings }),
      // Alive while it accepts connections: a storage outage must not restart every pod.
      liveness: kplus.Probe.fromTcpSocket({
        port, initialDelaySeconds: Duration.seconds(10), periodSeconds: Duration.seconds(20), failureThreshold: 6,
      }),
      // Services and load balancers stop sending before the registry stops accepting (it drains on SIGTERM).
      lifecycle: lifecycle.preStopSeconds > 0
        ? { preStop: kplus.Handler.fromCommand(['sleep', String(lifecycle.preStopSeconds)]) }
        : undefined,
    });

    this.configVolume = kplus.Volume.fromConfigMap(scope, 'ConfigVolume', scope.configMap, { name: 'config' });
    this.mount(this.configVolume, path.dirname(scope.version.configPath), true);
    this.mount(kplus.Volume.fromEmptyDir(scope, 'TmpVolume', 'tmp', { sizeLimit: Size.mebibytes(256) }), '/tmp', false);
  }

  /** Mounts a part's volume in the registry container (read-only unless it says otherwise). */
  public addMount(mount: RegistryMount): void {
    if (!mount.path.startsWith('/')) {
      throw propError(this.scope, 'mount', `path '${mount.path}' must be absolute`);
    }
    this.mount(mount.volume, mount.path, mount.readOnly ?? true, mount.subPath);
  }

  /** Sets an environment variable of the registry container. */
  public addEnv(name: string, value: kplus.EnvValue): void {
    this.container.env.addVariable(name, value);
  }

  /**
   * Adds pod annotations, in name order; `source` names who sets them, for the errors: no credential as a literal
   * (checksums aside), and no annotation set twice.
   */
  public addAnnotations(annotations: { [name: string]: string }, source: string): void {
    refuseCredentials(this.scope, source, findCredentialLiterals(annotations, () => false).filter((a) => !a.startsWith('checksum/')), ANNOTATION_ROUTE);
    for (const [name, value] of Object.entries(annotations).sort(([a], [b]) => a.localeCompare(b))) {
      const previous = this.annotationSources.get(name);
      if (previous !== undefined) {
        throw propError(this.scope, source, `sets pod annotation '${name}', which ${previous} already sets`);
      }
      this.annotationSources.set(name, `'${source}'`);
      this.deployment.podMetadata.addAnnotation(name, value);
    }
  }

  /** The registry container in Kubernetes JSON, as the Deployment renders it before JSON patches. */
  public renderContainer(): Obj {
    return kplus.k8s.toJson_Container(this.container._toKube())!;
  }

  /**
   * The pod of a job that runs a registry command on the registry's storage (`garbage-collect`), rendered at synth
   * from the pod's model (see `RegistryJobPod`): the same image, config file, credentials, volumes and user.
   */
  public jobPod(options: RegistryCommandOptions): RegistryJobPod {
    const spec: Obj = kplus.k8s.toJson_PodSpec(this.deployment._toPodSpec())!;
    const registry: Obj = spec.containers.find((c: Obj) => c.name === this.container.name);
    const env = (registry.env as Obj[] | undefined)?.filter((e) => !options.withoutEnv.includes(e.name));
    const placement = this.props.placement ?? {};
    const nodeSelector = placement.nodeSelector;
    return {
      registryContainer: registry,
      command: {
        name: options.name,
        image: registry.image,
        imagePullPolicy: registry.imagePullPolicy,
        command: registry.command,
        args: [options.command, this.scope.configFilePath, ...options.flags],
        env: env?.length ? env : undefined,
        envFrom: registry.envFrom,
        volumeMounts: registry.volumeMounts,
        securityContext: registry.securityContext,
        resources: registry.resources,
      },
      initContainers: spec.initContainers ?? [],
      volumes: spec.volumes ?? [],
      securityContext: { ...spec.securityContext, seccompProfile: SECCOMP_PROFILE },
      labels: Object.fromEntries(Object.entries(this.props.podLabels ?? {})
        .filter(([key]) => !key.startsWith('app.kubernetes.io/') && !(key in this.selectorLabels))),
      priorityClassName: placement.priorityClassName,
      nodeSelector: nodeSelector && Object.fromEntries(Object.entries(nodeSelector).sort(([a], [b]) => a.localeCompare(b))),
      tolerations: spec.tolerations,
      nodeAffinity: spec.affinity?.nodeAffinity,
      imagePullSecrets: spec.imagePullSecrets,
    };
  }

  /**
   * A pod spec patched (an escape hatch) so that the kubelet kills the registry before it has drained. Only a JSON
   * patch of the Deployment can change the grace period or the preStop hook once constructed, so the check is redone
   * only when the patches changed: cdk8s validates the whole app once per chart (see `RegistryConfigModel.problems`).
   */
  public validateLifecycle(): string[] {
    const api = ApiObject.of(this.deployment);
    const patches: number | undefined = (api as any).patches?.length;
    if (patches !== undefined && this.lifecycleChecked?.patches === patches) return this.lifecycleChecked.problems;
    const pod = api.toJson().spec?.template?.spec ?? {};
    const problem = lifecycleProblem(pod, this.container.name, this.props.lifecycle);
    const problems = problem ? [`${this.scope.node.path}: ${problem}`] : [];
    this.lifecycleChecked = { patches, problems };
    return problems;
  }

  private mount(volume: kplus.Volume, mountPath: string, readOnly: boolean, subPath?: string): void {
    if (this.mountedPaths.has(mountPath)) {
      throw propError(this.scope, 'mount', `path '${mountPath}' is mounted twice: two parts of the registry (storage, auth, TLS, added parts) ask for the same path`);
    }
    this.mountedPaths.add(mountPath);
    this.container.mount(mountPath, volume, { readOnly, subPath });
  }
}
