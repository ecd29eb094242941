import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { SecretKeyReference } from '../secret-key-reference';
import { isImageHost, parseEndpoint, propError } from '../util/validation';

/** The API URL of the well-known upstreams, by the host image references name. */
const KNOWN_UPSTREAMS: { [imageHost: string]: string } = {
  'docker.io': 'https://registry-1.docker.io',
  'ghcr.io': 'https://ghcr.io',
  'quay.io': 'https://quay.io',
  'registry.k8s.io': 'https://registry.k8s.io',
};

/**
 * Options of an upstream of a `RegistryMirrorSet` (`MirrorUpstream.dockerHub(options)` and the others).
 */
export interface MirrorUpstreamOptions {
  /**
   * User name at the upstream, read from a Secret (a Docker Hub account lifts its pull rate limit). Give both or
   * neither of `username` and `password`.
   * @default - anonymous pulls from the upstream
   */
  readonly username?: SecretKeyReference;

  /**
   * Password or access token at the upstream, read from a Secret.
   * @default - anonymous pulls from the upstream
   */
  readonly password?: SecretKeyReference;

  /**
   * How long this mirror keeps cached content (`proxy.ttl`, registry 3.x); `Duration.seconds(0)` keeps it forever.
   * @default - the set's `ttl`, or the registry's default of 168 hours
   */
  readonly ttl?: Duration;

  /**
   * Allow `username` and `password` with an `http://` upstream (the login then crosses the network in clear text).
   * @default false
   */
  readonly allowInsecureRemote?: boolean;

  /**
   * Acknowledge that, with `username` and `password`, anyone who reaches this mirror through a public way in (a
   * NodePort is public unless said otherwise) pulls through your upstream credentials and rate limit, and reads
   * whatever private upstream repositories those credentials see (`PullThroughCache.allowPublicPullThrough`).
   * @default false - a mirror with credentials behind a public way in is a synth-time error
   */
  readonly allowPublicPullThrough?: boolean;

  /**
   * Pull from another mirror of the same upstream instead of the upstream itself: a corporate Artifactory or Nexus
   * remote of Docker Hub, `https://mirror.gcr.io`, or a mirror in another cluster. Image references naming the
   * upstream's host are then served what this URL serves, so give only a mirror you trust to serve the upstream's
   * content. The nodes still fall back to the upstream itself when this mirror fails.
   * @default - the upstream's own API (`remoteUrl`)
   */
  readonly pullFrom?: string;
}

/**
 * Options of `MirrorUpstream.of()`: an upstream the library has no preset for.
 */
export interface CustomMirrorUpstreamOptions extends MirrorUpstreamOptions {
  /** The registry host as image references name it (`registry.example.com`, `registry.example.com:5000`). */
  readonly imageHost: string;

  /** The upstream's API URL (`https://registry.example.com`); its host must be `imageHost`. */
  readonly remoteUrl: string;
}

/**
 * One upstream registry a `RegistryMirrorSet` mirrors: the host image references name, the URL the mirror pulls
 * from, and the mirror's login there.
 */
export class MirrorUpstream {
  /** Docker Hub: image host `docker.io`, pulled from `https://registry-1.docker.io`. */
  public static dockerHub(options: MirrorUpstreamOptions = {}): MirrorUpstream {
    return new MirrorUpstream('docker.io', KNOWN_UPSTREAMS['docker.io'], options);
  }

  /** GitHub Container Registry: `ghcr.io`. */
  public static ghcr(options: MirrorUpstreamOptions = {}): MirrorUpstream {
    return new MirrorUpstream('ghcr.io', KNOWN_UPSTREAMS['ghcr.io'], options);
  }

  /** Red Hat Quay: `quay.io`. */
  public static quay(options: MirrorUpstreamOptions = {}): MirrorUpstream {
    return new MirrorUpstream('quay.io', KNOWN_UPSTREAMS['quay.io'], options);
  }

  /** The Kubernetes project's registry: `registry.k8s.io`. */
  public static k8s(options: MirrorUpstreamOptions = {}): MirrorUpstream {
    return new MirrorUpstream('registry.k8s.io', KNOWN_UPSTREAMS['registry.k8s.io'], options);
  }

  /** Any other upstream: its image host and its API URL. */
  public static of(options: CustomMirrorUpstreamOptions): MirrorUpstream {
    return new MirrorUpstream(options?.imageHost, options?.remoteUrl, options ?? {} as CustomMirrorUpstreamOptions);
  }

  /** The registry host as image references name it (`docker.io`). */
  public readonly imageHost: string;

  /** The upstream's API URL the mirror pulls from (`https://registry-1.docker.io`). */
  public readonly remoteUrl: string;

  /** The mirror's login, TTL and acknowledgements. */
  public readonly options: MirrorUpstreamOptions;

  /** The URL the mirror pulls from: `pullFrom` if given, else the upstream's own API (`remoteUrl`). */
  public get pullUrl(): string {
    return this.options.pullFrom ?? this.remoteUrl;
  }

  private constructor(imageHost: string, remoteUrl: string, options: MirrorUpstreamOptions) {
    this.imageHost = imageHost;
    this.remoteUrl = remoteUrl;
    this.options = options;
  }

  /** The image host as a name segment (`docker-io`, `registry-k8s-io`, `localhost-5000`). */
  public get slug(): string {
    return String(this.imageHost).toLowerCase().replace(/[[\]]/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  }

  /**
   * Throws unless the upstream is consistent: an image host as image references name it, and an API URL on that
   * host (the preset's for the well-known ones).
   * @param scope the construct that errors name
   * @param property the property that gave it (`upstreams[0]`)
   */
  public validate(scope: IConstruct, property: string): void {
    if (!isImageHost(this.imageHost)) {
      throw propError(scope, `${property}.imageHost`, `(${JSON.stringify(this.imageHost)}) must be a registry host as image references name it, such as "docker.io" or "registry.example.com:5000": lower case, no scheme or path`);
    }
    const remote = parseEndpoint(scope, `${property}.remoteUrl`, this.remoteUrl, 'https://registry.example.com', { credentials: 'give it as username and password' });
    const known = KNOWN_UPSTREAMS[this.imageHost];
    if (known !== undefined && this.remoteUrl.replace(/\/$/, '') !== known) {
      throw propError(scope, `${property}.remoteUrl`, `(${JSON.stringify(this.remoteUrl)}) is not the API of ${this.imageHost}, which is ${known}: image references `
        + `naming ${this.imageHost} would be served images from elsewhere. Use the preset for ${this.imageHost} (with pullFrom to pull through another mirror of it), or give another imageHost`);
    }
    if (known === undefined && remote.host !== this.imageHost) {
      throw propError(scope, `${property}.remoteUrl`, `(${JSON.stringify(this.remoteUrl)}) is on host ${remote.host}, but imageHost is ${this.imageHost}: a mirror of ${this.imageHost} `
        + `pulls from ${this.imageHost} itself (https://${this.imageHost}); to pull from another mirror of it, give pullFrom`);
    }
    if (this.options.pullFrom !== undefined) {
      parseEndpoint(scope, `${property}.pullFrom`, this.options.pullFrom, 'https://mirror.gcr.io', { credentials: 'give it as username and password' });
    }
  }
}
