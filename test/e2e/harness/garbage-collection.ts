/**
 * What garbage-collection scenarios look at: the blobs an image is made of, where the filesystem driver keeps
 * them, the command of a container of the job's pod, and the window played step by step (`MaintenanceWindow`).
 */
import { httpRequest, HttpRequestOptions } from './http';
import { RegistryPod, RegistryPodOptions } from './registry-pod';

type Obj = { [key: string]: any };

/** The manifest media types asked for, so the registry answers with the manifest as pushed. */
export const MANIFEST_TYPES = 'application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json';

/**
 * The digests of a pushed image's blobs (layers and config), read from its manifest, and the manifest's digest.
 * `options` carries credentials (`username`, `password`) for a registry with auth.
 */
export async function blobsOf(
  url: string, repo: string, tag: string, options: HttpRequestOptions = {},
): Promise<{ manifest: string; blobs: string[] }> {
  const res = await httpRequest(`${url}/v2/${repo}/manifests/${tag}`, { ...options, headers: { ...options.headers, Accept: MANIFEST_TYPES } });
  if (res.status !== 200) throw new Error(`GET ${repo}:${tag} manifest answered ${res.status}: ${res.body}`);
  const manifest = JSON.parse(res.body);
  return {
    manifest: String(res.headers['docker-content-digest']),
    blobs: [manifest.config.digest, ...manifest.layers.map((l: Obj) => l.digest)],
  };
}

/** Where the storage driver keeps a blob's data, relative to the storage root (`prefix` is an object store's). */
export function blobKey(digest: string, prefix = ''): string {
  const hex = digest.replace('sha256:', '');
  return `${prefix}docker/registry/v2/blobs/sha256/${hex.substring(0, 2)}/${hex}/data`;
}

/** The `command` of the container or init container `name` of a pod spec (a CronJob's job pod, for example). */
export function commandOf(pod: Obj, name: string): string[] {
  return [...(pod.initContainers ?? []), ...pod.containers].find((c: Obj) => c.name === name).command;
}

/** Whether equality terms `k=v,...` pick a pod with these labels. */
function picks(selector: string, labels: { [key: string]: string }): boolean {
  return selector.split(',').every((term) => {
    const match = /^([^=!]+)=([^=]*)$/.exec(term);
    if (!match) throw new Error(`selector term ${term} is not an equality term: check it with kubectl kustomize`);
    return labels[match[1]] === match[2];
  });
}

/**
 * The garbage-collection window as the cluster runs it, played from the job's rendered steps. There is no API
 * server here, so the few Kubernetes objects the window touches are this class's state: the maintenance switch
 * (the ConfigMap the job applies and deletes: absent, or its data) and the registry's pod. Each `play(step)` reads
 * that step's rendered container and does what it asks, refusing any command it does not know:
 * - `kubectl apply --server-side --filename=F`: F is a file of the job's pod, found through the step's mounts and
 *   the pod's downwardAPI volume (an annotation of the job's pod template); the manifest must be the switch, whose
 *   data becomes the cluster's (the job is the switch's only field manager, so its apply sets exactly that data);
 * - `kubectl delete pod --selector=S --wait=true`: S (equality terms only, as the job renders it) must pick the
 *   registry's pod and not the job's own pod; the registry pod is stopped and started again from the synthesized
 *   Deployment, its env resolved against the switch as it is now (the optional configMapKeyRef), as the kubelet
 *   would when the ReplicaSet replaces it;
 * - `kubectl rollout status deployment/NAME`: NAME is the registry's Deployment, and its pod is ready;
 * - `kubectl delete configmap NAME --ignore-not-found=true`: NAME is the switch; it is gone;
 * - a container of the registry's image or `redis-cli` (the collector, the flush): run to completion with
 *   `RegistryPod.run()`, which must exit 0.
 * Which pods a selector picks is checked with Kubernetes' own selector code in the unit tests
 * (`test/operations/garbage-collection-selectors.test.ts`); here equality terms are compared as such.
 */
export class MaintenanceWindow {
  /** The switch as the cluster holds it: undefined while absent, else its data. */
  public switchData?: { [key: string]: string };
  /** The running registry pod. */
  public registry: RegistryPod;
  /** The job's steps in the order the pod runs them (init containers, then the container). */
  public readonly steps: string[];
  /** The name of the switch ConfigMap. */
  public readonly switchName: string;
  /** The output of each step that ran a process (collector, flush). */
  public readonly outputs: { [step: string]: string } = {};

  private readonly cronJob: Obj;
  private readonly jobPod: Obj;
  private readonly deployment: Obj;

  /**
   * @param objects the synthesized objects
   * @param registry the running registry pod (its claims are shared by every pod the window starts)
   * @param podOptions the options every pod of this app is started with (external Secrets, overrides)
   */
  public constructor(private readonly objects: Obj[], registry: RegistryPod, private readonly podOptions: RegistryPodOptions = {}) {
    this.registry = registry;
    this.cronJob = objects.find((o) => o.kind === 'CronJob')!;
    this.jobPod = this.cronJob.spec.jobTemplate.spec.template;
    this.deployment = registry.deployment;
    const spec = this.jobPod.spec;
    this.steps = [...(spec.initContainers ?? []), ...spec.containers].map((c: Obj) => c.name)
      // the registry pod's own init containers (config rendering) run inside the collector's RegistryPod
      .filter((name: string) => !(this.deployment.spec.template.spec.initContainers ?? []).some((c: Obj) => c.name === name));
    const env: Obj[] = this.deployment.spec.template.spec.containers[0].env ?? [];
    const ref = env.find((e) => e.name === 'REGISTRY_STORAGE_MAINTENANCE_READONLY')?.valueFrom?.configMapKeyRef;
    if (!ref?.optional) throw new Error('the registry container reads no optional maintenance switch');
    this.switchName = ref.name;
  }

  /** What the registry pod would see now: the switch as an external ConfigMap when it exists. */
  private get externalConfigMaps(): { [name: string]: { [key: string]: string } } | undefined {
    return this.switchData === undefined ? this.podOptions.externalConfigMaps
      : { ...this.podOptions.externalConfigMaps, [this.switchName]: this.switchData };
  }

  /**
   * The registry's pod replaced (a restart, or a GitOps controller re-applying the synthesized objects, which
   * brings back exactly the synthesized Deployment): started again from `objects`, with the switch as it is now.
   */
  public async restartRegistry(objects: Obj[] = this.objects): Promise<void> {
    await this.registry.stop();
    const next = new RegistryPod(objects, { ...this.podOptions, externalConfigMaps: this.externalConfigMaps, claimsFrom: this.registry });
    await next.start();
    this.registry = next;
  }

  private container(step: string): Obj {
    const spec = this.jobPod.spec;
    const container = [...(spec.initContainers ?? []), ...spec.containers].find((c: Obj) => c.name === step);
    if (!container) throw new Error(`the job has no step ${step} (steps: ${this.steps.join(', ')})`);
    return container;
  }

  /** The content of a file of the job's pod that comes from a downwardAPI volume (an annotation of the pod). */
  private downwardFile(container: Obj, file: string): string {
    const mount = (container.volumeMounts ?? []).find((m: Obj) => file.startsWith(`${m.mountPath}/`));
    if (!mount) throw new Error(`${container.name}: ${file} is on no volume the step mounts`);
    const volume = this.jobPod.spec.volumes.find((v: Obj) => v.name === mount.name);
    const item = volume?.downwardAPI?.items?.find((i: Obj) => `${mount.mountPath}/${i.path}` === file);
    const annotation = /^metadata\.annotations\['(.+)'\]$/.exec(item?.fieldRef?.fieldPath ?? '')?.[1];
    const value = annotation === undefined ? undefined : this.jobPod.metadata.annotations?.[annotation];
    if (value === undefined) throw new Error(`${container.name}: ${file} is not an annotation of the job's pod`);
    return value;
  }

  /** Plays one step of the job, as the cluster would run it. */
  public async play(step: string): Promise<void> {
    const container = this.container(step);
    const command: string[] = container.command ?? [];
    const flag = (name: string) => command.find((a) => a.startsWith(`--${name}=`))?.substring(name.length + 3);
    if (command[0] !== 'kubectl') {
      const job = new RegistryPod(this.objects, { ...this.podOptions, job: this.cronJob.metadata.name, container: step, claimsFrom: this.registry });
      const run = await job.run();
      this.outputs[step] = run.output;
      if (run.exitCode !== 0) throw new Error(`step ${step} exited ${run.exitCode}:\n${run.output}`);
      return;
    }
    const verb = command.slice(1, 3).join(' ');
    if (command[1] === 'apply' && command.includes('--server-side')) {
      const manifest = JSON.parse(this.downwardFile(container, flag('filename')!));
      if (manifest.kind !== 'ConfigMap' || manifest.metadata.name !== this.switchName) {
        throw new Error(`${step} applies ${manifest.kind} ${manifest.metadata?.name}, not the switch ${this.switchName}`);
      }
      this.switchData = { ...manifest.data };
    } else if (verb === 'delete pod') {
      const selector = flag('selector')!;
      if (!picks(selector, this.deployment.spec.template.metadata.labels)) {
        throw new Error(`${step}: ${selector} does not pick the registry's pod`);
      }
      if (picks(selector, this.jobPod.metadata.labels)) throw new Error(`${step}: ${selector} picks the job's own pod`);
      if (!command.includes('--wait=true')) throw new Error(`${step} does not wait for the deleted pods to be gone`);
      await this.restartRegistry();
    } else if (verb === 'rollout status') {
      if (command[3] !== `deployment/${this.deployment.metadata.name}`) throw new Error(`${step} waits for ${command[3]}`);
      if (this.registry.pid === undefined) throw new Error(`${step}: the registry pod is not running`);
    } else if (verb === 'delete configmap') {
      if (command[3] !== this.switchName || !command.includes('--ignore-not-found=true')) throw new Error(`${step} deletes ${command[3]}, or fails when it is gone`);
      this.switchData = undefined;
    } else {
      throw new Error(`step ${step}: the harness does not know what \`${command.join(' ')}\` does in a cluster`);
    }
  }
}
