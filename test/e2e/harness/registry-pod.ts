/**
 * Runs the registry container of a synthesized Deployment the way its pod would run: its command and
 * args, its env resolved from Secrets and ConfigMaps, its volumes at their exact mount paths inside a
 * private mount namespace, as the pod's user. See README.md for what is reproduced and the
 * documented substitutions.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { freePort, isRunning, removeDir, sleep, stopProcess, tempDir, trackProcess } from './cleanup';
import { httpRequest } from './http';
import { binaryForImage, E2eVersion } from './versions';
import { RegistryFeature } from '../../../src';

type Obj = { [key: string]: any };

/** Substitution 3: the image's busybox shell and tools, for init containers that run `/bin/sh`, are Debian's busybox. */
const BUSYBOX_BINARY = '/usr/bin/busybox';

/** Shells an init container may name in `command`. */
const IMAGE_SHELLS = ['/bin/sh', 'sh', '/bin/ash'];

/** Names the image's entrypoint may be called by in `command`. */
const IMAGE_REGISTRY_NAMES = ['registry', '/bin/registry', '/usr/bin/registry', '/usr/local/bin/registry'];

/**
 * Substitution 4: a Job's `redis-cli` step in the official redis image (the garbage collection job's cache
 * flush) runs Debian's redis-cli, with the same flags.
 */
const REDIS_CLI_BINARY = '/usr/bin/redis-cli';

/** Whether an image reference names the official redis image (`redis:TAG`, `docker.io/library/redis:TAG`, a mirror's `.../redis:TAG`). */
function isRedisImage(image: string): boolean {
  return /(^|\/)redis$/.test(image.split('@')[0].replace(/:[^/:]*$/, ''));
}

/** How many lines of the registry's output a failure message quotes. */
const TAIL_LINES = 25;

/** Keys and values of a Secret or ConfigMap as a cluster holds them (not base64). */
export interface KeyValues {
  readonly [key: string]: string;
}

/**
 * Substitution 5: the cloud services a chart names (AWS S3, DigitalOcean Spaces, Azure Blob Storage, the load
 * balancer or Route in front of the registry) are loopback servers here. Only where they are changes, and what
 * the loopback server needs; every other key the chart renders stays as the user gets it.
 */
export interface EndpointOverrides {
  /**
   * The S3 API the s3 driver talks to (a `SwiftServer`): sets `regionendpoint` to `url`, `region` to the
   * region it signs for (Swift's s3api is one region and refuses others), `secure: false` for an http URL and,
   * on 3.x, `forcepathstyle: true` (the loopback has no bucket DNS names; 2.8 uses path style with any endpoint).
   * @default - the s3 driver's endpoint is left as rendered
   */
  readonly s3?: { readonly url: string; readonly region: string };
  /**
   * The Azure Blob service (an `AzuriteServer`): sets `serviceurl`, and `redirect.disable: true` because
   * Azurite answers 403 to the SAS URLs the driver redirects blob GETs to (pushes are unaffected).
   * @default - the azure driver's service URL is left as rendered
   */
  readonly azure?: { readonly serviceUrl: string };
  /**
   * The load balancer or Route that users reach the registry through (the rendered `http.host`): the client
   * reaches the pod itself here, so `http.host` becomes `http://127.0.0.1:PORT` and the upload locations the
   * registry hands out point at it.
   * @default false
   */
  readonly externalUrl?: boolean;
}

/** Options of a `RegistryPod`. */
export interface RegistryPodOptions {
  /**
   * Secrets the user manages outside the chart, by name, with their keys as plain strings.
   * @default - none: only the Secrets of the synth exist
   */
  readonly externalSecrets?: { readonly [secretName: string]: KeyValues };
  /**
   * ConfigMaps managed outside the chart, by name.
   * @default - none
   */
  readonly externalConfigMaps?: { readonly [configMapName: string]: KeyValues };
  /**
   * `metadata.name` of the Deployment to run.
   * @default - the only Deployment of the synth
   */
  readonly deployment?: string;
  /**
   * Run a container of this Job or CronJob's pod instead of a Deployment's (`metadata.name`), with `run()`.
   * @default - a Deployment is run
   */
  readonly job?: string;
  /**
   * Name of the container to run (init containers included).
   * @default - `registry`, or the only container
   */
  readonly container?: string;
  /**
   * Share PersistentVolumeClaim data with this pod: a claim of the same name is the same folder, as two pods
   * on one node mounting one claim see the same files.
   * @default - claims of this pod only
   */
  readonly claimsFrom?: RegistryPod;
  /**
   * Substitution 5: point the chart's cloud endpoints at loopback servers, through `REGISTRY_*` environment
   * variables added to the container's env (the registry's config parser applies them over config.yml).
   * @default - none: the endpoints stay as rendered
   */
  readonly endpointOverrides?: EndpointOverrides;
  /**
   * Substitution 6: OpenShift's `restricted-v2` SCC admits a pod that sets no `runAsUser`/`fsGroup` (as
   * `Platform.OPENSHIFT` renders it) by assigning the first UID of the namespace's range
   * (`openshift.io/sa.scc.uid-range`, for example 1000680000) as `runAsUser` and `fsGroup`; the process runs with
   * GID 0. Give that UID to run such a pod as OpenShift would; values the pod sets are kept.
   * @default - none: a `runAsNonRoot` pod without `runAsUser` is refused, as a plain kubelet refuses it
   */
  readonly openShiftUid?: number;
  /**
   * How long to wait for the readiness probe to answer 200.
   * @default 10000
   */
  readonly readyTimeoutMs?: number;
}

/** One volume mount as it will be bind-mounted. */
interface PlannedMount {
  readonly source: string;
  readonly mountPath: string;
  readonly readOnly: boolean;
  readonly isFile: boolean;
}

/**
 * The registry container of a synthesized Deployment, run as a local process. `start()` it, push and
 * pull through `address`, `stop()` or `restart()` it; `cleanupAll()` stops it after failures too.
 */
export class RegistryPod {
  /** The Deployment (or Job/CronJob) object that is run. */
  public readonly deployment: Obj;
  /** The container spec that is run. */
  public readonly container: Obj;
  /** The release line the image's tag names, and the real binary that runs it. */
  public readonly registry: E2eVersion;

  private readonly podSpec: Obj;
  private readonly secrets = new Map<string, Map<string, Buffer>>();
  private readonly configMaps = new Map<string, Map<string, Buffer>>();
  private readonly root: string;
  private readonly pvcDirs: Map<string, string>;
  private readonly jobMode: boolean;
  private readonly redisCli: boolean;
  private _debugPort?: number;
  private readonly readyTimeoutMs: number;
  private readonly endpointOverrides: EndpointOverrides;
  private readonly openShiftUid?: number;
  private busyboxDir?: string;
  private child?: ChildProcess;
  private runDir?: string;
  private runs = 0;
  private output = '';
  private _port?: number;
  private _env: { [name: string]: string } = {};

  public constructor(objects: Obj[], options: RegistryPodOptions = {}) {
    const kinds = options.job !== undefined ? ['Job', 'CronJob'] : ['Deployment'];
    const wantedName = options.job ?? options.deployment;
    const deployments = objects.filter((o) => kinds.includes(o.kind)
      && (wantedName === undefined || o.metadata?.name === wantedName));
    if (deployments.length !== 1) {
      throw new Error(`expected exactly one ${kinds.join(' or ')}${wantedName ? ` named ${wantedName}` : ''} in the synth, found ${deployments.length}`);
    }
    this.deployment = deployments[0];
    this.podSpec = (this.deployment.kind === 'CronJob' ? this.deployment.spec?.jobTemplate?.spec?.template?.spec : this.deployment.spec?.template?.spec) ?? {};
    const containers: Obj[] = [...(this.podSpec.initContainers ?? []), ...(this.podSpec.containers ?? [])];
    const wanted = options.container ?? (containers.length === 1 ? containers[0].name : 'registry');
    const container = containers.find((c) => c.name === wanted);
    if (!container) {
      throw new Error(`Deployment ${this.deployment.metadata?.name} has no container named ${wanted} (containers: ${containers.map((c) => c.name).join(', ')})`);
    }
    this.container = container;
    this.redisCli = options.job !== undefined && container.command?.[0] === 'redis-cli' && isRedisImage(container.image ?? '');
    // Substitution 1: the image's `registry` binary is the real binary of the release its tag names (for a
    // redis-cli step, the release of the job's registry container).
    const registryImage = this.redisCli
      ? containers.find((c) => IMAGE_REGISTRY_NAMES.includes(c.command?.[0]))?.image
      : container.image;
    this.registry = binaryForImage(registryImage ?? '');
    const label: string | undefined = this.deployment.spec?.template?.metadata?.labels?.['app.kubernetes.io/version'];
    if (label !== undefined && !label.startsWith(`${this.registry.version.line}.`)) {
      throw new Error(`the pod is labelled app.kubernetes.io/version=${label} but its image '${container.image}' is registry ${this.registry.version.line}.x: `
        + 'the config was rendered for another release than the one that would run');
    }
    this.readyTimeoutMs = options.readyTimeoutMs ?? 10000;
    this.endpointOverrides = options.endpointOverrides ?? {};
    this.openShiftUid = options.openShiftUid;

    for (const obj of objects) {
      if (obj.kind === 'Secret') {
        const data = new Map<string, Buffer>();
        for (const [k, v] of Object.entries<string>(obj.data ?? {})) data.set(k, Buffer.from(v, 'base64'));
        for (const [k, v] of Object.entries<string>(obj.stringData ?? {})) data.set(k, Buffer.from(v, 'utf-8'));
        this.secrets.set(obj.metadata.name, data);
      } else if (obj.kind === 'ConfigMap') {
        const data = new Map<string, Buffer>();
        for (const [k, v] of Object.entries<string>(obj.data ?? {})) data.set(k, Buffer.from(v, 'utf-8'));
        for (const [k, v] of Object.entries<string>(obj.binaryData ?? {})) data.set(k, Buffer.from(v, 'base64'));
        this.configMaps.set(obj.metadata.name, data);
      }
    }
    addExternal(this.secrets, options.externalSecrets, 'Secret');
    addExternal(this.configMaps, options.externalConfigMaps, 'ConfigMap');
    this.root = tempDir('pod');
    this.pvcDirs = options.claimsFrom ? options.claimsFrom.pvcDirs : new Map<string, string>();
    this.jobMode = options.job !== undefined;
  }

  /** The port the registry listens on, on 127.0.0.1. */
  public get port(): number {
    if (this._port === undefined) throw new Error('the registry pod has not been started');
    return this._port;
  }

  /** The debug server's port on 127.0.0.1 (metrics, pprof), when the container declares a port named `metrics`. */
  public get debugPort(): number {
    if (this._debugPort === undefined) throw new Error('the registry pod has not been started with a metrics port');
    return this._debugPort;
  }

  /** `127.0.0.1:PORT`, for image references. */
  public get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** `http://127.0.0.1:PORT`. */
  public get url(): string {
    return `http://${this.address}`;
  }

  /** The registry's PID while it runs. */
  public get pid(): number | undefined {
    return this.child && isRunning(this.child) ? this.child.pid : undefined;
  }

  /** The environment the registry process got (the pod's, plus PATH, HOME and REGISTRY_HTTP_ADDR). */
  public get env(): { [name: string]: string } {
    return { ...this._env };
  }

  /** Everything the registry wrote to stdout and stderr since the pod was created. */
  public stderr(): string {
    return this.output;
  }

  /** The host folder holding a PersistentVolumeClaim's data (persists across restarts). */
  public dataDir(claimName: string): string {
    const dir = this.pvcDirs.get(claimName);
    if (!dir) throw new Error(`no PersistentVolumeClaim volume named ${claimName} has been mounted`);
    return dir;
  }

  /**
   * Starts the registry and resolves once its readiness probe answers 200. Rejects, quoting the
   * registry's last output lines, if it exits first or is not ready in time.
   */
  public async start(): Promise<void> {
    const startMark = this.output.length;
    const child = await this.spawnContainer(true);
    await this.waitReady(child, startMark);
  }

  /**
   * Runs the container to completion, as a Job's container runs (for example `registry garbage-collect`), and
   * resolves with its exit code and output. No port is substituted: the container serves nothing.
   */
  public async run(): Promise<{ exitCode: number | null; output: string }> {
    const startMark = this.output.length;
    const child = await this.spawnContainer(false);
    const exitCode = await exited(child);
    await this.stop();
    return { exitCode, output: this.output.substring(startMark) };
  }

  /**
   * The init containers that run before the container: all of them for a Deployment; for a Job's container, those
   * before it that run its own image (such as the config renderer), since a Job's kubectl steps (the garbage
   * collection window) are played by the test (`MaintenanceWindow`).
   */
  private initContainersToRun(): Obj[] {
    const inits: Obj[] = this.podSpec.initContainers ?? [];
    if (!this.jobMode) return inits;
    const index = inits.indexOf(this.container);
    return (index >= 0 ? inits.slice(0, index) : inits).filter((c) => c.image === this.container.image);
  }

  private async spawnContainer(serve: boolean): Promise<ChildProcess> {
    if (this.child && isRunning(this.child)) throw new Error('the registry pod is already running');
    this.runs += 1;
    this.runDir = path.join(this.root, `run-${this.runs}`);
    fs.mkdirSync(this.runDir, { recursive: true, mode: 0o755 });

    const security = this.securityIdentity();
    const env = this.resolveEnv();
    if (serve) {
      this._port = await freePort();
      // Substitution 2: the pod's own network namespace becomes a free loopback port.
      env.REGISTRY_HTTP_ADDR = `127.0.0.1:${this._port}`;
      if ((this.container.ports ?? []).some((p: Obj) => p.name === 'metrics')) {
        // The debug server too (it listens on all interfaces at a fixed port in the pod).
        this._debugPort = await freePort();
        env.REGISTRY_HTTP_DEBUG_ADDR = `127.0.0.1:${this._debugPort}`;
      }
      if (this.endpointOverrides.externalUrl) env.REGISTRY_HTTP_HOST = `http://${this.address}`;
    }
    Object.assign(env, this.storageEndpointEnv());
    this._env = processEnv(env);

    const volumes = this.prepareVolumes(security.fsGroup);
    for (const init of this.initContainersToRun()) {
      await this.runInitContainer(init, volumes);
    }
    const mounts = this.planMounts(volumes);
    const argv = this.commandLine(env);
    this.child = this.spawnScript(this.script(mounts, security, argv), this._env);
    return this.child;
  }

  /**
   * Runs a container's script (mounts, identity, command: see `script`) in a private mount namespace, as every
   * container of the pod runs, with `env` only; its output is appended to the pod's.
   */
  private spawnScript(script: string, env: { [name: string]: string }): ChildProcess {
    const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script], {
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackProcess(child);
    child.stdout!.on('data', (c: Buffer) => { this.output += c.toString('utf-8'); });
    child.stderr!.on('data', (c: Buffer) => { this.output += c.toString('utf-8'); });
    return child;
  }

  /** Substitution 5: the `REGISTRY_STORAGE_*` variables that point the storage driver at a loopback server. */
  private storageEndpointEnv(): { [name: string]: string } {
    const env: { [name: string]: string } = {};
    const { s3, azure } = this.endpointOverrides;
    if (s3) {
      env.REGISTRY_STORAGE_S3_REGIONENDPOINT = s3.url;
      env.REGISTRY_STORAGE_S3_REGION = s3.region;
      if (s3.url.startsWith('http://')) env.REGISTRY_STORAGE_S3_SECURE = 'false';
      if (this.registry.version.supports(RegistryFeature.S3_FORCE_PATH_STYLE)) env.REGISTRY_STORAGE_S3_FORCEPATHSTYLE = 'true';
    }
    if (azure) {
      env.REGISTRY_STORAGE_AZURE_SERVICEURL = azure.serviceUrl;
      env.REGISTRY_STORAGE_REDIRECT_DISABLE = 'true';
    }
    return env;
  }

  /** Stops the registry (SIGTERM to its process group, SIGKILL after 5 s) and waits for it to exit. */
  public async stop(): Promise<void> {
    if (this.child) await stopProcess(this.child);
    this.child = undefined;
    // The pod is gone: its emptyDirs and written ConfigMaps/Secrets go; PVC data stays.
    if (this.runDir) removeDir(this.runDir);
    this.runDir = undefined;
  }

  /** Stops the registry and starts it again on the same PersistentVolumeClaim data. */
  public async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /**
   * Runs a client action (a push, a pull) and, if it fails, rethrows with the registry's own output
   * since the action began appended: the registry's error, not only the client's.
   */
  public async withLogs<T>(action: () => Promise<T>): Promise<T> {
    const mark = this.output.length;
    try {
      return await action();
    } catch (e) {
      await sleep(100); // let the registry's last lines arrive
      throw new Error(`${(e as Error).message}\nthe registry's output meanwhile:\n${tail(this.output.substring(mark))}`);
    }
  }

  /** Resolves once the registry's output matches `pattern`; rejects with its last lines otherwise. */
  public async waitForLog(pattern: RegExp, timeoutMs = 15000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const match = pattern.exec(this.output);
      if (match) return match[0];
      await sleep(50);
    }
    throw new Error(`the registry did not log ${pattern} within ${timeoutMs} ms; its last output:\n${tail(this.output)}`);
  }

  /**
   * Runs an init container to completion before the registry starts, as the kubelet does: same volumes
   * (emptyDirs are shared with the registry container), its own mounts, env and security context.
   * Substitution 3: `/bin/sh` is Debian's busybox, with only busybox applets on PATH, as in the image.
   */
  private async runInitContainer(init: Obj, volumes: Map<string, string>): Promise<void> {
    const security = this.securityIdentity(init);
    const env = this.resolveEnv(init);
    const command: string[] = init.command ?? [];
    let argv: string[];
    if (IMAGE_SHELLS.includes(command[0])) {
      // PATH is set last (after the mounts and setpriv, which are the host's tools).
      argv = ['/usr/bin/env', `PATH=${this.busybox()}`, BUSYBOX_BINARY, 'sh', ...command.slice(1), ...(init.args ?? [])];
    } else if (IMAGE_REGISTRY_NAMES.includes(command[0])) {
      argv = [this.registry.binary, ...command.slice(1), ...(init.args ?? [])];
    } else {
      throw new Error(`init container ${init.name} runs ${command[0]}; the harness runs the image's shell (${IMAGE_SHELLS.join(', ')}) or registry binary only`);
    }
    argv = argv.map((arg) => expand(arg, env));
    const mark = this.output.length;
    const code = await exited(this.spawnScript(this.script(this.planMounts(volumes, init), security, argv), processEnv(env)));
    if (code !== 0) {
      throw new Error(`init container ${init.name} exited with ${code}; the pod would not start. Its output:\n${tail(this.output.substring(mark))}`);
    }
  }

  /** A world-readable folder of busybox applet links, the PATH of the image's shell. */
  private busybox(): string {
    if (!this.busyboxDir) {
      if (!fs.existsSync(BUSYBOX_BINARY)) throw new Error(`${BUSYBOX_BINARY} is missing: install Debian's busybox (.ci/run does)`);
      const dir = tempDir('busybox');
      fs.chmodSync(dir, 0o755);
      const applets = execFileSync(BUSYBOX_BINARY, ['--list'], { encoding: 'utf-8' });
      for (const applet of applets.split('\n').filter((a) => /^[a-z0-9_.[-]+$/.test(a))) {
        fs.symlinkSync(BUSYBOX_BINARY, path.join(dir, applet));
      }
      this.busyboxDir = dir;
    }
    return this.busyboxDir;
  }

  private securityIdentity(container: Obj = this.container):
  { uid: number; gid: number; fsGroup?: number; noNewPrivs: boolean; dropAll: boolean; readOnlyRoot: boolean } {
    const pod: Obj = this.podSpec.securityContext ?? {};
    const ctr: Obj = container.securityContext ?? {};
    // Substitution 6: the SCC's assigned UID where the pod names none (GID 0, fsGroup the same UID).
    const scc = this.openShiftUid;
    const uid: number | undefined = ctr.runAsUser ?? pod.runAsUser ?? scc;
    const runAsNonRoot: boolean = ctr.runAsNonRoot ?? pod.runAsNonRoot ?? false;
    if (runAsNonRoot && (uid === undefined || uid === 0)) {
      // The image's own user is root (the registry image sets none): the kubelet refuses to start it.
      throw new Error(`container has runAsNonRoot and image will run as root (runAsUser: ${uid}): the kubelet would refuse to start it`);
    }
    return {
      uid: uid ?? 0,
      gid: ctr.runAsGroup ?? pod.runAsGroup ?? 0,
      fsGroup: pod.fsGroup ?? scc,
      noNewPrivs: ctr.allowPrivilegeEscalation === false,
      dropAll: (ctr.capabilities?.drop ?? []).includes('ALL'),
      readOnlyRoot: ctr.readOnlyRootFilesystem === true,
    };
  }

  private resolveEnv(container: Obj = this.container): { [name: string]: string } {
    const env: { [name: string]: string } = {};
    for (const from of container.envFrom ?? []) {
      const prefix: string = from.prefix ?? '';
      const ref = from.secretRef ?? from.configMapRef;
      const kind = from.secretRef ? 'Secret' : 'ConfigMap';
      const store = from.secretRef ? this.secrets : this.configMaps;
      const data = store.get(ref.name);
      if (!data) {
        if (ref.optional) continue;
        throw new Error(`envFrom: ${kind.toLowerCase()} "${ref.name}" not found (the kubelet would refuse to start the container)`);
      }
      for (const [k, v] of data) env[prefix + k] = v.toString('utf-8');
    }
    for (const variable of container.env ?? []) {
      if (variable.value !== undefined || variable.valueFrom === undefined) {
        env[variable.name] = expand(variable.value ?? '', env);
        continue;
      }
      const vf = variable.valueFrom;
      const ref = vf.secretKeyRef ?? vf.configMapKeyRef;
      if (!ref) {
        throw new Error(`env ${variable.name}: only value, secretKeyRef and configMapKeyRef are supported by the harness, got ${JSON.stringify(vf)}`);
      }
      const kind = vf.secretKeyRef ? 'Secret' : 'ConfigMap';
      const data = (vf.secretKeyRef ? this.secrets : this.configMaps).get(ref.name);
      if (!data) {
        if (ref.optional) continue;
        throw new Error(`env ${variable.name}: ${kind.toLowerCase()} "${ref.name}" not found (the kubelet would refuse to start the container)`);
      }
      const value = data.get(ref.key);
      if (value === undefined) {
        if (ref.optional) continue;
        throw new Error(`env ${variable.name}: couldn't find key ${ref.key} in ${kind} ${ref.name} (keys: ${[...data.keys()].join(', ') || 'none'})`);
      }
      env[variable.name] = value.toString('utf-8');
    }
    return env;
  }

  /** Writes every volume of the pod into a host folder; returns volume name -> folder. */
  private prepareVolumes(fsGroup: number | undefined): Map<string, string> {
    const dirs = new Map<string, string>();
    const gid = fsGroup ?? 0;
    // Only the volumes the containers that run mount are prepared (a Job's pod also has the API token of its kubectl steps).
    const used = new Set([this.container, ...this.initContainersToRun()].flatMap((c) => (c.volumeMounts ?? []).map((m: Obj) => m.name)));
    for (const volume of (this.podSpec.volumes ?? []).filter((v: Obj) => used.has(v.name))) {
      const dir = path.join(this.runDir!, `vol-${volume.name}`);
      if (volume.configMap || volume.secret) {
        const isSecret = volume.secret !== undefined;
        const source = volume.configMap ?? volume.secret;
        const name: string = isSecret ? source.secretName : source.name;
        const data = (isSecret ? this.secrets : this.configMaps).get(name);
        fs.mkdirSync(dir, { mode: 0o755 });
        fs.chmodSync(dir, 0o755);
        if (!data) {
          if (source.optional) {
            dirs.set(volume.name, dir);
            continue;
          }
          throw new Error(`volume ${volume.name}: ${isSecret ? 'secret' : 'configmap'} "${name}" not found (the kubelet would not start the pod)`);
        }
        const defaultMode: number = source.defaultMode ?? 0o644;
        const items: Obj[] = source.items ?? [...data.keys()].sort().map((key) => ({ key, path: key }));
        for (const item of items) {
          const value = data.get(item.key);
          if (value === undefined) {
            if (source.optional) continue;
            throw new Error(`volume ${volume.name}: couldn't find key ${item.key} in ${isSecret ? 'Secret' : 'ConfigMap'} ${name}`);
          }
          const file = path.join(dir, item.path);
          fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
          fs.writeFileSync(file, value);
          fs.chownSync(file, 0, gid);
          fs.chmodSync(file, item.mode ?? defaultMode);
        }
      } else if (volume.emptyDir) {
        fs.mkdirSync(dir);
        fs.chownSync(dir, 0, gid);
        fs.chmodSync(dir, 0o2777);
      } else if (volume.persistentVolumeClaim) {
        const claim: string = volume.persistentVolumeClaim.claimName;
        let data = this.pvcDirs.get(claim);
        if (!data) {
          data = path.join(this.root, `pvc-${claim}`);
          fs.mkdirSync(data);
          // What the kubelet does for fsGroup: group-owned, group-writable, setgid.
          fs.chownSync(data, 0, gid);
          fs.chmodSync(data, 0o2775);
          this.pvcDirs.set(claim, data);
        }
        dirs.set(volume.name, data);
        continue;
      } else {
        throw new Error(`volume ${volume.name}: only configMap, secret, emptyDir and persistentVolumeClaim volumes are supported by the harness, got ${Object.keys(volume).join(', ')}`);
      }
      dirs.set(volume.name, dir);
    }
    return dirs;
  }

  private planMounts(volumes: Map<string, string>, container: Obj = this.container): PlannedMount[] {
    const mounts: PlannedMount[] = [];
    for (const mount of container.volumeMounts ?? []) {
      const dir = volumes.get(mount.name);
      if (!dir) {
        throw new Error(`volumeMount ${mount.mountPath}: the pod has no volume named ${mount.name}`);
      }
      let source = dir;
      if (mount.subPath) {
        source = path.join(dir, mount.subPath);
        if (!source.startsWith(dir + path.sep)) throw new Error(`volumeMount ${mount.mountPath}: subPath ${mount.subPath} leaves the volume`);
        // The kubelet creates a missing subPath as a folder.
        if (!fs.existsSync(source)) fs.mkdirSync(source, { recursive: true });
      }
      const pvc = (this.podSpec.volumes ?? []).find((v: Obj) => v.name === mount.name)?.persistentVolumeClaim;
      mounts.push({
        source,
        mountPath: mount.mountPath,
        readOnly: mount.readOnly === true || pvc?.readOnly === true,
        isFile: fs.statSync(source).isFile(),
      });
    }
    // Parents before children, as the kubelet mounts them.
    return mounts.sort((a, b) => a.mountPath.split('/').length - b.mountPath.split('/').length || a.mountPath.localeCompare(b.mountPath));
  }

  private commandLine(env: { [name: string]: string }): string[] {
    const command: string[] = this.container.command ?? [];
    if (this.redisCli) {
      return [REDIS_CLI_BINARY, ...command.slice(1), ...(this.container.args ?? [])].map((arg) => expand(arg, env));
    }
    if (command.length === 0) {
      throw new Error('the container sets no command: the harness runs only the registry binary, so the manifest must name it (command: [registry])');
    }
    if (!IMAGE_REGISTRY_NAMES.includes(command[0])) {
      throw new Error(`the container runs ${command[0]}; the harness can only run the image's registry binary (${IMAGE_REGISTRY_NAMES.join(', ')})`);
    }
    return [this.registry.binary, ...command.slice(1), ...(this.container.args ?? [])].map((arg) => expand(arg, env));
  }

  private script(mounts: PlannedMount[], id: ReturnType<RegistryPod['securityIdentity']>, argv: string[]): string {
    const lines = ['set -e'];
    for (const m of mounts) {
      if (m.isFile) {
        lines.push(`mkdir -p ${q(path.dirname(m.mountPath))}`, `[ -e ${q(m.mountPath)} ] || touch ${q(m.mountPath)}`);
      } else {
        lines.push(`mkdir -p ${q(m.mountPath)}`);
      }
      lines.push(`mount --bind ${q(m.source)} ${q(m.mountPath)}`);
    }
    for (const m of mounts.filter((x) => x.readOnly)) {
      lines.push(`mount -o remount,bind,ro ${q(m.mountPath)}`);
    }
    if (id.readOnlyRoot) {
      lines.push('mount -o remount,bind,ro /');
    }
    const setpriv = ['setpriv', '--reuid', String(id.uid), '--regid', String(id.gid)];
    setpriv.push(...(id.fsGroup !== undefined ? ['--groups', String(id.fsGroup)] : ['--clear-groups']));
    if (id.noNewPrivs) setpriv.push('--no-new-privs');
    if (id.dropAll) setpriv.push('--inh-caps=-all', '--bounding-set=-all');
    lines.push(`exec ${[...setpriv, '--', ...argv].map(q).join(' ')}`);
    return lines.join('\n');
  }

  private async waitReady(child: ChildProcess, startMark: number): Promise<void> {
    const probe: Obj = this.container.readinessProbe?.httpGet ?? { path: '/' };
    if (probe.scheme && probe.scheme !== 'HTTP' && probe.scheme !== 'HTTPS') {
      throw new Error(`the readiness probe uses ${probe.scheme}; the harness probes HTTP and HTTPS only`);
    }
    // HTTPS probes, like the kubelet's, do not verify the certificate.
    const url = `${probe.scheme === 'HTTPS' ? 'https' : 'http'}://${this.address}${probe.path ?? '/'}`;
    // A tcpSocket readiness probe (in-pod TLS that requires client certificates) only needs a connection.
    const tcpProbe = this.container.readinessProbe?.tcpSocket !== undefined;
    const deadline = Date.now() + this.readyTimeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (!isRunning(child)) {
        await sleep(100); // let the last output arrive
        throw new Error(`the registry exited (${child.exitCode !== null ? `code ${child.exitCode}` : child.signalCode}) before it was ready; `
          + `its last output:\n${tail(this.output.substring(startMark))}`);
      }
      try {
        if (tcpProbe) {
          await tcpConnect(this.port, 1000);
          return;
        }
        const res = await httpRequest(url, { timeoutMs: 1000 });
        if (res.status === 200) return;
        last = `HTTP ${res.status} ${res.body.trim().substring(0, 2000)}`;
      } catch (e) {
        last = (e as Error).message;
      }
      await sleep(50);
    }
    throw new Error(`the registry was not ready within ${this.readyTimeoutMs} ms (readiness probe GET ${probe.path ?? '/'}: ${last}); `
      + `its last output:\n${tail(this.output.substring(startMark))}`);
  }
}

/** The environment a container's process gets: the pod's variables, plus `PATH` and `HOME=/` (never the host's). */
function processEnv(env: { [name: string]: string }): { [name: string]: string } {
  return { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/', ...env };
}

/** Resolves with the exit code of `child` once it exited and its last output arrived. */
async function exited(child: ChildProcess): Promise<number | null> {
  const code = await new Promise<number | null>((resolve) => {
    if (!isRunning(child)) resolve(child.exitCode);
    else child.once('exit', (c) => resolve(c));
  });
  await sleep(50); // the last output
  return code;
}

/** Resolves once a TCP connection to 127.0.0.1:port succeeds, as the kubelet's tcpSocket probe checks. */
function tcpConnect(port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve();
    });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`TCP connect to port ${port} timed out`)));
    socket.on('error', reject);
  });
}

function addExternal(store: Map<string, Map<string, Buffer>>, external: { readonly [name: string]: KeyValues } | undefined, kind: string): void {
  for (const [name, values] of Object.entries(external ?? {})) {
    if (store.has(name)) {
      throw new Error(`${kind} ${name} is both in the synth and supplied as external: a name exists once in a namespace`);
    }
    store.set(name, new Map(Object.entries(values).map(([k, v]) => [k, Buffer.from(v, 'utf-8')])));
  }
}

/** The kubelet's `$(VAR)` expansion: known names are replaced, `$$` escapes, unknown ones stay. */
function expand(text: string, env: { [name: string]: string }): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name) => {
    if (whole === '$$') return '$';
    return name in env ? env[name] : whole;
  });
}

function q(arg: string): string {
  return `'${arg.replace(/'/g, "'\\''")}'`;
}

/** The last lines of a process's output. */
export function tail(text: string, lines = TAIL_LINES): string {
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n') || '(no output)';
}
