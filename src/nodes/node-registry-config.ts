import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Chart, JsonPatch } from 'cdk8s';
import { Construct } from 'constructs';
import { containerdHostsFiles } from './containerd-hosts';
import { NodeConfigFile } from './node-config-file';
import { NodeConfigInstaller, NodeConfigInstallerEntry } from './node-config-installer';
import { endpointParts, nodeHostProblem } from './node-host-parts';
import { INodeRegistrySource, NodeRegistryHost } from './node-registry-host';
import { containersCertificateFiles, REGISTRIES_CONF_DIRECTORY, registriesConfDropIn } from './registries-conf';
import { RegistryConstruct } from '../registry-construct';
import { toLabelValue } from '../util/labels';
import { claimName } from '../util/object-names';
import { propError, requireDns1123Label } from '../util/validation';

/** What an OpenShift node does when no mirror of a source answers (`mirrorSourcePolicy` of the mirror sets). */
export enum MirrorSourcePolicy {
  /** Fall back to the source registry (the upstream) when the mirrors fail. */
  ALLOW_CONTACTING_SOURCE = 'AllowContactingSource',
  /** Never contact the source: pulls fail when the mirrors do (disconnected clusters). */
  NEVER_CONTACT_SOURCE = 'NeverContactSource',
}

/** Properties of `NodeRegistryConfig`. */
export interface NodeRegistryConfigProps {
  /**
   * What the nodes should reach: mirror sets and private registries' ways in. Each image host may be named once
   * across `sources` and `hosts`.
   * @default - none: then `hosts` must name at least one
   */
  readonly sources?: INodeRegistrySource[];

  /**
   * Registry hosts written out, for registries this app does not synthesize (a mirror run elsewhere).
   * @default - none: then `sources` must name at least one
   */
  readonly hosts?: NodeRegistryHost[];

  /**
   * The name of the objects (ConfigMap, DaemonSet, mirror sets), of the CRI-O drop-in
   * (`50-<name>.conf`) and of the folder `writeFiles` writes (`nodes/<name>/`). A DNS-1123 label. Give it, so that
   * renaming the construct id renames nothing: a new drop-in name would leave the old file on nodes set up by hand.
   * @default - the construct id in lower case, other characters as '-'
   */
  readonly name?: string;

  /**
   * Render containerd's `hosts.toml` files (`/etc/containerd/certs.d/<host>/hosts.toml`).
   * @default true
   */
  readonly containerd?: boolean;

  /**
   * Render the containers-registries.conf(5) drop-in (`/etc/containers/registries.conf.d/50-<name>.conf`) and
   * CA files (`/etc/containers/certs.d/<host:port>/ca.crt`) for CRI-O, podman and skopeo.
   * @default true
   */
  readonly crio?: boolean;

  /**
   * Render OpenShift's `ImageDigestMirrorSet` and `ImageTagMirrorSet` (config.openshift.io/v1, cluster-scoped) for
   * every host whose endpoint is not the image host itself. Only for OpenShift 4.13 and later: other clusters have
   * no such kinds.
   * @default false
   */
  readonly openShift?: boolean;

  /**
   * What OpenShift nodes do when no mirror answers.
   * @default MirrorSourcePolicy.ALLOW_CONTACTING_SOURCE - fall back to the source registry
   */
  readonly mirrorSourcePolicy?: MirrorSourcePolicy;

  /**
   * Put the files into a ConfigMap (for a GitOps tool, a node agent, or the installer).
   * @default true
   */
  readonly configMap?: boolean;

  /**
   * Install the files on the nodes from inside the cluster, such as `NodeConfigInstaller.daemonSet()` (privileged).
   * @default - none: deliver `files` with machine images, cloud-init or Ignition
   */
  readonly installer?: NodeConfigInstaller;
}

/** The file name of the CRI-O drop-in (drop-ins are read in name order; a later `[[registry]]` of a prefix wins). */
function dropInName(name: string): string {
  return `50-${name}.conf`;
}

/**
 * The ConfigMap key of a node file: its path with every character a key cannot hold (`/`, `:`) written as `_`, such
 * as `etc_containerd_certs.d_docker.io_hosts.toml`.
 */
export function nodeFileKey(filePath: string): string {
  return filePath.replace(/[^-._a-zA-Z0-9]/g, '_');
}

/**
 * Node-side configuration that makes the nodes' container runtimes pull through the registries of the app:
 * containerd `hosts.toml` files, a CRI-O `registries.conf.d` drop-in with its CA files, optionally OpenShift mirror
 * sets; delivered as `files` (written by `writeFiles` next to the manifests, for machine images, cloud-init and
 * Ignition), a ConfigMap, and optionally a privileged DaemonSet that installs them.
 *
 * No credential is ever in these files: where a registry needs one, pods name a pull Secret (`imagePullSecrets`).
 */
export class NodeRegistryConfig extends RegistryConstruct {
  /**
   * Writes the files of every `NodeRegistryConfig` of `app` under `<app.outdir>/nodes/<name>/`, at their paths on the
   * node (`nodes/<name>/etc/containerd/certs.d/docker.io/hosts.toml`). Call it after `app.synth()`: a folder left from
   * an earlier run is replaced, so a host removed from the app disappears from the output.
   * @returns the files written, relative to `app.outdir`, sorted
   */
  public static writeFiles(app: App): string[] {
    const configs = app.node.findAll().filter((c): c is NodeRegistryConfig => c instanceof NodeRegistryConfig);
    const written: string[] = [];
    const names = new Map<string, NodeRegistryConfig>();
    for (const config of configs) {
      const twin = names.get(config.name);
      if (twin) throw propError(config, 'name', `(${JSON.stringify(config.name)}) is also the name of ${twin.node.path}: their files would land in one folder`);
      names.set(config.name, config);
      const root = path.join(app.outdir, 'nodes', config.name);
      fs.rmSync(root, { recursive: true, force: true });
      for (const file of config.files) {
        const target = path.join(root, ...file.path.split('/'));
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, file.content);
        written.push(['nodes', config.name, file.path].join('/'));
      }
    }
    return written.sort();
  }

  /** The name of the objects, the drop-in and the output folder. */
  public readonly name: string;

  /** The hosts, sorted by image host. */
  public readonly hosts: NodeRegistryHost[];

  /** Every file, sorted by path; paths as on the node without the leading `/`. */
  public readonly files: NodeConfigFile[];

  /** The ConfigMap holding the files (keys: see `nodeFileKey`), unless `configMap` is false. */
  public readonly configMap?: ApiObject;

  /** The installer's workload, when an installer is given. */
  public readonly installer?: ApiObject;

  /** OpenShift's `ImageDigestMirrorSet`, when `openShift` is true and some host has a mirror. */
  public readonly imageDigestMirrorSet?: ApiObject;

  /** OpenShift's `ImageTagMirrorSet`, when `openShift` is true and some host has a mirror. */
  public readonly imageTagMirrorSet?: ApiObject;

  public constructor(scope: Construct, id: string, props: NodeRegistryConfigProps) {
    super(scope, id);
    this.name = props.name ?? toLabelValue(id.toLowerCase(), 'node-registry-config').replace(/[_.]/g, '-');
    requireDns1123Label(this, 'name', this.name);
    const twin = claimName(this, 'NodeRegistryConfig', this.name);
    if (twin) throw propError(this, 'name', `(${JSON.stringify(this.name)}) is also the name of ${twin.twin.node.path} in ${twin.where}: give one of them another name`);
    this.hosts = this.collectHosts(props.sources ?? [], props.hosts ?? []);

    const containerd = props.containerd ?? true;
    const crio = props.crio ?? true;
    const openShift = props.openShift ?? false;
    if (!containerd && !crio && !openShift) {
      throw propError(this, 'containerd', 'is false, and so are crio and openShift: nothing would be rendered. Leave one of them on');
    }
    const files: NodeConfigFile[] = [];
    if (containerd) files.push(...this.hosts.flatMap(containerdHostsFiles));
    if (crio && this.hosts.length > 0) {
      files.push({ path: `${REGISTRIES_CONF_DIRECTORY}/${dropInName(this.name)}`, content: registriesConfDropIn(this.hosts) });
      try {
        files.push(...containersCertificateFiles(this.hosts));
      } catch (e) {
        throw propError(this, 'sources', (e as Error).message);
      }
    }
    this.files = files.sort((a, b) => (a.path < b.path ? -1 : 1));

    const labels = {
      'app.kubernetes.io/name': 'registry-node-config',
      'app.kubernetes.io/instance': this.name,
      'app.kubernetes.io/component': 'node-config',
      'app.kubernetes.io/managed-by': 'cdk8s-registry',
    };

    const policy = props.mirrorSourcePolicy ?? MirrorSourcePolicy.ALLOW_CONTACTING_SOURCE;
    if (!Object.values(MirrorSourcePolicy).includes(policy)) {
      throw propError(this, 'mirrorSourcePolicy', `(${JSON.stringify(policy)}) must be one of ${Object.values(MirrorSourcePolicy).map((p) => JSON.stringify(p)).join(', ')}`);
    }
    if (props.mirrorSourcePolicy !== undefined && !openShift) {
      throw propError(this, 'mirrorSourcePolicy', 'applies to the OpenShift mirror sets only, and openShift is not true: set openShift: true, or leave the policy out');
    }
    if (openShift) {
      const mirrors = this.openShiftMirrors(policy);
      if (mirrors.length > 0) {
        this.imageDigestMirrorSet = this.mirrorSet('ImageDigestMirrorSet', 'imageDigestMirrors', mirrors, labels);
        this.imageTagMirrorSet = this.mirrorSet('ImageTagMirrorSet', 'imageTagMirrors', mirrors, labels);
      }
    }

    const configMap = props.configMap ?? true;
    if (props.installer && !configMap) {
      throw propError(this, 'configMap', 'is false, but the installer reads the files from the ConfigMap: leave configMap on, or the installer out');
    }
    const namespace = props.installer?.namespace;
    const keys = new Map<string, string>();
    const entries: NodeConfigInstallerEntry[] = this.files.map((file) => {
      const key = nodeFileKey(file.path);
      const clash = keys.get(key);
      if (clash !== undefined) throw propError(this, 'sources', `files ${clash} and ${file.path} have one ConfigMap key (${key}): rename one of the hosts`);
      if (key.length > 253) throw propError(this, 'sources', `file ${file.path} would have a ConfigMap key of ${key.length} characters (at most 253): use a shorter image host`);
      keys.set(key, file.path);
      return { key, path: file.path };
    });
    if (configMap) {
      const data: { [key: string]: string } = {};
      for (const [i, file] of this.files.entries()) data[entries[i].key] = file.content;
      this.configMap = new ApiObject(this, 'ConfigMap', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: this.name, labels, ...(namespace !== undefined ? { namespace } : {}) },
        data,
      });
    }
    if (props.installer) {
      this.installer = props.installer.bind(this, {
        name: this.name,
        configMapName: this.name,
        entries,
        filesHash: this.filesHash(),
        labels,
      });
    }
  }

  /** The sha256 (hex) of every file's path and text, in path order. */
  public filesHash(): string {
    const hash = createHash('sha256');
    for (const file of this.files) hash.update(`${file.path}\0${file.content}\0`);
    return hash.digest('hex');
  }

  private collectHosts(sources: INodeRegistrySource[], given: NodeRegistryHost[]): NodeRegistryHost[] {
    if (!Array.isArray(sources) || !Array.isArray(given) || sources.length + given.length === 0) {
      throw propError(this, 'sources', 'must list at least one source of registry hosts, such as a RegistryMirrorSet (or give them as hosts)');
    }
    const lists = sources.map((source, s) => {
      const list = source?.nodeRegistryHosts;
      if (!Array.isArray(list)) throw propError(this, `sources[${s}]`, 'has no nodeRegistryHosts: give an INodeRegistrySource, such as a RegistryMirrorSet');
      return { list, at: (h: number) => `sources[${s}].nodeRegistryHosts[${h}]` };
    });
    lists.push({ list: given, at: (h: number) => `hosts[${h}]` });
    const seen = new Map<string, string>();
    const hosts: NodeRegistryHost[] = [];
    for (const { list, at: where } of lists) {
      list.forEach((host, h) => {
        const at = where(h);
        const problem = nodeHostProblem(host);
        if (problem) throw propError(this, `${at}.${problem.property}`, problem.detail);
        const earlier = seen.get(host.imageHost);
        if (earlier !== undefined) {
          throw propError(this, `${at}.imageHost`, `(${JSON.stringify(host.imageHost)}) is also given by ${earlier}: a node has one configuration per registry host, so name each host once`);
        }
        seen.set(host.imageHost, at);
        hosts.push(host);
      });
    }
    return hosts.sort((a, b) => (a.imageHost < b.imageHost ? -1 : 1));
  }

  /** The mirror entries for OpenShift: each host whose endpoint is not the image host itself. */
  private openShiftMirrors(policy: MirrorSourcePolicy): { source: string; mirrors: string[]; mirrorSourcePolicy: string }[] {
    return this.hosts
      .map((host) => ({ host, location: endpointParts(host.endpoint).location }))
      .filter(({ host, location }) => location !== host.imageHost)
      .map(({ host, location }) => ({ source: host.imageHost, mirrors: [location], mirrorSourcePolicy: policy }));
  }

  private mirrorSet(kind: string, field: string, mirrors: object[], labels: { [key: string]: string }): ApiObject {
    const set = new ApiObject(this, kind, {
      apiVersion: 'config.openshift.io/v1',
      kind,
      metadata: { name: this.name, labels },
      spec: { [field]: mirrors },
    });
    // Cluster-scoped: drop the chart's namespace that cdk8s puts on every object.
    if (Chart.of(this).namespace !== undefined) set.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    return set;
  }
}

