import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { MirrorNodeAccess } from './mirror-node-access';
import { MirrorUpstream } from './mirror-upstream';
import { RegistryAuth } from '../auth/registry-auth';
import { RegistryVersion } from '../config/registry-version';
import { INodeRegistrySource, NodeRegistryHost } from '../nodes/node-registry-host';
import { PullThroughCache } from '../operations/pull-through-cache';
import { Platform } from '../platform';
import { RegistryConstruct } from '../registry-construct';
import { RegistryDeployment } from '../registry-deployment';
import { StorageBackend } from '../storage/storage-backend';
import { propError, requireDns1123Label } from '../util/validation';

/**
 * Properties of a `RegistryMirrorSet`.
 */
export interface RegistryMirrorSetProps {
  /** The upstreams to mirror, one pull-through registry each (`MirrorUpstream.dockerHub()`, `.ghcr()`, `.quay()`, `.k8s()`, `.of()`). */
  readonly upstreams: MirrorUpstream[];

  /**
   * How the nodes' container runtimes reach the mirrors.
   * @default MirrorNodeAccess.nodePorts() - NodePorts from 30500 on, reached at localhost over plain HTTP
   */
  readonly nodeAccess?: MirrorNodeAccess;

  /**
   * The base name of the mirrors: each registry is named `<name>-<upstream slug>` (`mirrors-docker-io`).
   * @default "mirrors"
   */
  readonly name?: string;

  /**
   * The storage of the mirrors, shared by prefix where the backend allows it: an object store gives each mirror its
   * own key prefix `<rootDirectory>/<slug>` (two proxies in one root would mix their repositories and overwrite each
   * other's `scheduler-state.json`); `StorageBackend.persistentVolumeClaim()` gives each its own claim. An existing
   * claim cannot be shared and is refused.
   * @default StorageBackend.persistentVolumeClaim() - a 10 GiB claim per mirror
   */
  readonly storage?: StorageBackend;

  /**
   * How long the mirrors keep cached content (`proxy.ttl`, registry 3.x); an upstream's own `ttl` wins.
   * @default - the registry's default, 168 hours
   */
  readonly ttl?: Duration;

  /**
   * The registry release of every mirror.
   * @default - the library's default release
   */
  readonly version?: RegistryVersion;

  /**
   * The container image of every mirror (a private copy of the official image).
   * @default - the official image of `version`
   */
  readonly image?: string;

  /**
   * Resources of each mirror's container.
   * @default - the registry's defaults
   */
  readonly resources?: kplus.ContainerResources;

  /**
   * Serve Prometheus metrics on each mirror's debug port (add a `RegistryMetrics` per mirror, from `registries`).
   * @default false
   */
  readonly metrics?: boolean;

  /**
   * The cluster flavour.
   * @default Platform.KUBERNETES
   */
  readonly platform?: Platform;
}

/**
 * Pull-through mirrors of every upstream a cluster pulls from: one `RegistryDeployment` with a `PullThroughCache`
 * per upstream (a registry mirrors one upstream), named `<name>-<slug>` in the set's namespace, each with a way in
 * the nodes reach. It knows the registry hosts nodes should use (`nodeRegistryHosts`: image host, endpoint and
 * upstream URL for the fallback), from which node files are rendered. The mirrors are open (`RegistryAuth.none()`):
 * a proxy refuses every push, and a mirror with upstream credentials behind a public way in needs
 * `allowPublicPullThrough`.
 */
export class RegistryMirrorSet extends RegistryConstruct implements INodeRegistrySource {
  /** The mirrors, in the order of `upstreams`: add parts to them (metrics, alerts, a network policy). */
  public readonly registries: RegistryDeployment[];

  /** The upstreams, in order. */
  public readonly upstreams: MirrorUpstream[];

  /** The ways in of the mirrors, in the order of `upstreams`. */
  public readonly waysIn: Construct[];

  /** The registry hosts nodes reach, one per upstream, in the order of `upstreams`. */
  public readonly nodeRegistryHosts: NodeRegistryHost[];

  public constructor(scope: Construct, id: string, props: RegistryMirrorSetProps) {
    super(scope, id);
    const upstreams = props?.upstreams;
    if (!Array.isArray(upstreams) || upstreams.length === 0) {
      throw propError(this, 'upstreams', 'is empty: give the upstreams to mirror, such as [MirrorUpstream.dockerHub(), MirrorUpstream.ghcr()]');
    }
    const name = props.name ?? 'mirrors';
    requireDns1123Label(this, 'name', name);
    const seenHosts = new Map<string, number>();
    const seenSlugs = new Map<string, number>();
    upstreams.forEach((upstream, i) => {
      if (!(upstream instanceof MirrorUpstream)) {
        throw propError(this, `upstreams[${i}]`, 'is not a MirrorUpstream: use MirrorUpstream.dockerHub(), .ghcr(), .quay(), .k8s() or .of({ imageHost, remoteUrl })');
      }
      upstream.validate(this, `upstreams[${i}]`);
      const sameHost = seenHosts.get(upstream.imageHost);
      if (sameHost !== undefined) {
        throw propError(this, `upstreams[${i}]`, `mirrors ${upstream.imageHost}, as upstreams[${sameHost}] does: a runtime uses one mirror per image host. Give each host once`);
      }
      const sameSlug = seenSlugs.get(upstream.slug);
      if (sameSlug !== undefined) {
        throw propError(this, `upstreams[${i}]`, `(${upstream.imageHost}) would be named ${name}-${upstream.slug}, as upstreams[${sameSlug}] (${upstreams[sameSlug].imageHost}) is: mirror one of them in another set (another name)`);
      }
      seenHosts.set(upstream.imageHost, i);
      seenSlugs.set(upstream.slug, i);
    });
    const storage = props.storage ?? StorageBackend.persistentVolumeClaim();
    const access = props.nodeAccess ?? MirrorNodeAccess.nodePorts();

    this.upstreams = [...upstreams];
    this.registries = [];
    this.waysIn = [];
    this.nodeRegistryHosts = [];
    upstreams.forEach((upstream, i) => {
      const o = upstream.options;
      const registry = new RegistryDeployment(this, upstream.slug, {
        name: `${name}-${upstream.slug}`,
        auth: RegistryAuth.none(),
        storage: storage.partition(this, upstream.slug),
        version: props.version,
        image: props.image,
        resources: props.resources,
        platform: props.platform,
        metrics: props.metrics,
      });
      registry.addPart(new PullThroughCache({
        remoteUrl: upstream.pullUrl,
        username: o.username,
        password: o.password,
        ttl: o.ttl ?? props.ttl,
        allowInsecureRemote: o.allowInsecureRemote,
        allowPublicPullThrough: o.allowPublicPullThrough,
      }));
      const binding = access.bind(this, registry, upstream, i, upstreams.length);
      this.registries.push(registry);
      this.waysIn.push(binding.wayIn as Construct);
      this.nodeRegistryHosts.push({
        imageHost: upstream.imageHost,
        endpoint: binding.endpoint,
        upstreamUrl: upstream.remoteUrl.replace(/\/$/, ''),
        ...(binding.caCertificate !== undefined ? { caCertificate: binding.caCertificate } : {}),
      });
    });
  }

  /** The mirror of an image host (`docker.io`). */
  public registryFor(imageHost: string): RegistryDeployment {
    const i = this.upstreams.findIndex((u) => u.imageHost === imageHost);
    if (i < 0) {
      throw propError(this, 'upstreams', `has no mirror of ${JSON.stringify(imageHost)}: it mirrors ${this.upstreams.map((u) => u.imageHost).join(', ')}`);
    }
    return this.registries[i];
  }
}
