import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { imageReferenceProblem } from '../util/image-reference';
import { dns1123LabelProblem, propError } from '../util/validation';

/** The busybox image the installer's init container copies the files with (its `sh`, `mkdir`, `cp`, `mv`). */
export const DEFAULT_INSTALLER_IMAGE = 'docker.io/library/busybox:1.36.1';

/** The image of the installer's long-running container, which only keeps the pod (and its rollout) alive. */
export const DEFAULT_PAUSE_IMAGE = 'registry.k8s.io/pause:3.9';

/** The pod-template annotation holding the sha256 of the files: a change of any file rolls the DaemonSet out. */
export const NODE_FILES_HASH_ANNOTATION = 'cdk8s-registry.io/node-files-sha256';

/** Where the installer mounts the ConfigMap. */
const CONFIG_MOUNT = '/node-config';
/** Where the installer mounts the node's directories (`/host/etc/containerd/certs.d` is the node's `/etc/containerd/certs.d`). */
const HOST_ROOT = '/host';

/** Options of `NodeConfigInstaller.daemonSet()`. */
export interface DaemonSetInstallerOptions {
  /**
   * The namespace of the DaemonSet and of the ConfigMap it reads. It must allow privileged pods: label it
   * `pod-security.kubernetes.io/enforce: privileged` (hostPath volumes are forbidden by the `baseline` level).
   * @default - the chart's namespace
   */
  readonly namespace?: string;

  /**
   * The image whose `sh`, `mkdir`, `cp` and `mv` copy the files (busybox or any image with a POSIX shell).
   * @default DEFAULT_INSTALLER_IMAGE - busybox, pinned by tag
   */
  readonly image?: string;

  /**
   * The image of the container that keeps the pod running after the copy.
   * @default DEFAULT_PAUSE_IMAGE - the Kubernetes pause image
   */
  readonly pauseImage?: string;

  /**
   * Tolerate every taint, so the files reach control-plane, GPU and other tainted nodes too (their runtimes pull
   * images as well).
   * @default true
   */
  readonly tolerateAllTaints?: boolean;

  /**
   * Only nodes with these labels get the files.
   * @default - every node (that the taints allow)
   */
  readonly nodeSelector?: { [key: string]: string };
}

/** What `NodeRegistryConfig` hands its installer. */
export interface NodeConfigInstallerContext {
  /** The name of the objects (`NodeRegistryConfig.name`). */
  readonly name: string;
  /** The ConfigMap holding the files. */
  readonly configMapName: string;
  /** Each file: the ConfigMap key holding it and its path on the node. */
  readonly entries: NodeConfigInstallerEntry[];
  /** The sha256 of every file's path and text, for the rollout annotation. */
  readonly filesHash: string;
  /** The labels of the installer's objects and pods. */
  readonly labels: { [key: string]: string };
}

/** One file the installer copies. */
export interface NodeConfigInstallerEntry {
  /** The ConfigMap key. */
  readonly key: string;
  /** The path on the node, without the leading `/`. */
  readonly path: string;
}

/**
 * How the node files get onto the nodes from inside the cluster. Platform teams that build machine images or
 * write cloud-init or Ignition use `NodeRegistryConfig.files` (written by `NodeRegistryConfig.writeFiles`) instead.
 */
export abstract class NodeConfigInstaller {
  /**
   * A privileged DaemonSet: an init container copies the ConfigMap's files into the node's
   * `/etc/containerd/certs.d` and `/etc/containers` (hostPath mounts of exactly the directories the files go to),
   * then a pause container keeps the pod, so a change of the files rolls out to every node. Opt-in: its namespace
   * needs Pod Security level `privileged`, and containerd must have `config_path = "/etc/containerd/certs.d"`.
   */
  public static daemonSet(options: DaemonSetInstallerOptions = {}): NodeConfigInstaller {
    return new DaemonSetInstaller(options);
  }

  /** The namespace of the installer and of the ConfigMap it reads, when it is not the chart's. */
  public abstract readonly namespace?: string;

  protected constructor() {}

  /** Creates the installer's objects in `scope`; returns the workload. */
  public abstract bind(scope: Construct, context: NodeConfigInstallerContext): ApiObject;
}

/** Single quotes for `sh`, for the paths and keys (which hold no quote: the renderers allow none). */
function quote(text: string): string {
  return `'${text.replace(/'/g, '\'\\\'\'')}'`;
}

/**
 * The init container's script: each file is copied from the ConfigMap into the node's directory under a temporary
 * name and renamed into place, so a runtime never reads half a file. The paths installed are recorded on the node
 * (`.cdk8s-registry-<name>.installed` in the first directory); a file the previous run recorded that is no longer in
 * the list is removed, so a host dropped from the app disappears from the nodes. Other files are never touched.
 */
function installScript(name: string, entries: NodeConfigInstallerEntry[], directories: string[]): string {
  const record = `${HOST_ROOT}/${directories[0]}/.cdk8s-registry-${name}.installed`;
  const paths = entries.map((e) => quote(e.path)).join(' ');
  return [
    'set -eu',
    `install_file() { d="${HOST_ROOT}/$(dirname "$2")"; t="$d/.$(basename "$2").tmp"; mkdir -p "$d"; cp "${CONFIG_MOUNT}/$1" "$t"; chmod 0644 "$t"; mv -f "$t" "${HOST_ROOT}/$2"; echo "installed /$2"; }`,
    'remove_stale() { r="$1"; shift; [ -f "$r" ] || return 0; while IFS= read -r p; do keep=no; for n in "$@"; do [ "$n" = "$p" ] && keep=yes; done; '
      + `if [ "$keep" = no ] && [ -f "${HOST_ROOT}/$p" ]; then rm -f "${HOST_ROOT}/$p"; rmdir "$(dirname "${HOST_ROOT}/$p")" 2>/dev/null || true; echo "removed /$p"; fi; done < "$r"; }`,
    ...entries.map((e) => `install_file ${quote(e.key)} ${quote(e.path)}`),
    `remove_stale ${quote(record)} ${paths}`,
    `printf '%s\\n' ${paths} > ${quote(`${record}.tmp`)}`,
    `mv -f ${quote(`${record}.tmp`)} ${quote(record)}`,
  ].join('\n') + '\n';
}

/** The node directories the files go to, each mounted once (the shortest that covers them). */
function hostDirectories(entries: NodeConfigInstallerEntry[]): string[] {
  const roots = ['etc/containerd/certs.d', 'etc/containers/registries.conf.d', 'etc/containers/certs.d'];
  const used = roots.filter((root) => entries.some((e) => e.path.startsWith(`${root}/`)));
  const stray = entries.find((e) => !roots.some((root) => e.path.startsWith(`${root}/`)));
  if (stray) throw new Error(`the installer writes under ${roots.map((r) => `/${r}`).join(', ')} only, not /${stray.path}`);
  return used;
}

class DaemonSetInstaller extends NodeConfigInstaller {
  public readonly namespace?: string;

  constructor(private readonly options: DaemonSetInstallerOptions) {
    super();
    this.namespace = options.namespace;
  }

  public bind(scope: Construct, context: NodeConfigInstallerContext): ApiObject {
    const options = this.options;
    if (options.namespace !== undefined) {
      const problem = dns1123LabelProblem(options.namespace);
      if (problem) throw propError(scope, 'installer.namespace', problem);
    }
    const image = options.image ?? DEFAULT_INSTALLER_IMAGE;
    const pauseImage = options.pauseImage ?? DEFAULT_PAUSE_IMAGE;
    for (const [property, value] of [['installer.image', image], ['installer.pauseImage', pauseImage]]) {
      const problem = typeof value === 'string' && value.trim() !== '' ? imageReferenceProblem(value) : 'is empty';
      if (problem) throw propError(scope, property, `(${JSON.stringify(value)}) ${problem}: give an image reference such as "${DEFAULT_INSTALLER_IMAGE}"`);
    }
    const directories = hostDirectories(context.entries);
    const volumeName = (dir: string) => `host-${dir.replace(/^etc\//, '').replace(/[^a-z0-9]+/g, '-')}`;
    const selector = {
      'app.kubernetes.io/name': context.labels['app.kubernetes.io/name'],
      'app.kubernetes.io/instance': context.labels['app.kubernetes.io/instance'],
      'app.kubernetes.io/component': context.labels['app.kubernetes.io/component'],
    };
    const dropAll = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true };
    const namespaced = options.namespace !== undefined ? { namespace: options.namespace } : {};
    // A ServiceAccount of its own, with no API token: on OpenShift the privileged SCC is granted to it, not to `default`.
    new ApiObject(scope, 'ServiceAccount', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: context.name, labels: context.labels, ...namespaced },
      automountServiceAccountToken: false,
    });
    return new ApiObject(scope, 'DaemonSet', {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: context.name, labels: context.labels, ...namespaced },
      spec: {
        selector: { matchLabels: selector },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } },
        template: {
          metadata: { labels: context.labels, annotations: { [NODE_FILES_HASH_ANNOTATION]: context.filesHash } },
          spec: {
            serviceAccountName: context.name,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            priorityClassName: 'system-node-critical',
            ...(options.nodeSelector ? { nodeSelector: options.nodeSelector } : {}),
            ...((options.tolerateAllTaints ?? true) ? { tolerations: [{ operator: 'Exists' }] } : {}),
            initContainers: [{
              name: 'install',
              image,
              command: ['sh', '-c', installScript(context.name, context.entries, directories)],
              // Root and privileged: the node's /etc is root's, and SELinux (OpenShift, RHEL) lets only a
              // privileged container write host files.
              securityContext: { privileged: true, runAsUser: 0, runAsNonRoot: false, readOnlyRootFilesystem: true },
              resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '32Mi' } },
              volumeMounts: [
                { name: 'files', mountPath: CONFIG_MOUNT, readOnly: true },
                ...directories.map((dir) => ({ name: volumeName(dir), mountPath: `${HOST_ROOT}/${dir}` })),
              ],
            }],
            containers: [{
              name: 'pause',
              image: pauseImage,
              securityContext: { ...dropAll, runAsNonRoot: true, runAsUser: 65535 },
              resources: { requests: { cpu: '1m', memory: '8Mi' }, limits: { memory: '16Mi' } },
            }],
            volumes: [
              { name: 'files', configMap: { name: context.configMapName } },
              ...directories.map((dir) => ({ name: volumeName(dir), hostPath: { path: `/${dir}`, type: 'DirectoryOrCreate' } })),
            ],
          },
        },
      },
    });
  }
}
