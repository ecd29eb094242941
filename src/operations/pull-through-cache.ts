import { Duration } from 'cdk8s';
import { RegistryFeature } from '../config/registry-version';
import { IRegistry } from '../registry';
import { IRegistryPart, RegistryContribution } from '../registry-part';
import { SecretKeyReference } from '../secret-key-reference';
import { goDuration, parseEndpoint, propError } from '../util/validation';
import { requireFeature } from '../util/version-check';

/**
 * Properties of a `PullThroughCache`.
 */
export interface PullThroughCacheProps {
  /** The upstream registry, such as `https://registry-1.docker.io`. */
  readonly remoteUrl: string;

  /**
   * User name at the upstream, read from a Secret (a Docker Hub account lifts its pull rate limit).
   * Give both or neither of `username` and `password`. Registry 2.8 sends them only to token-auth upstreams
   * (Docker Hub, GHCR, Quay), 3.x also to Basic-auth ones; 3.1 sends them to a token realm only on the
   * upstream's own host or registrable domain (`auth.docker.io` for `registry-1.docker.io`), never to a realm
   * on another IP address or port.
   * @default - anonymous pulls from the upstream
   */
  readonly username?: SecretKeyReference;

  /**
   * Password or access token at the upstream, read from a Secret.
   * @default - anonymous pulls from the upstream
   */
  readonly password?: SecretKeyReference;

  /**
   * How long cached content is kept before it is removed (`proxy.ttl`, registry 3.x); `Duration.seconds(0)`
   * keeps it forever.
   * @default - the registry's default, 168 hours
   */
  readonly ttl?: Duration;

  /**
   * Allow `username` and `password` with an `http://` `remoteUrl`: the cache's login then crosses the network in
   * clear text (Basic auth to the upstream, or the token request to a realm it names), as with `TokenAuth`'s
   * `allowInsecureRealm`. For an upstream reached over a network you trust only.
   * @default false - credentials with an http:// remoteUrl are a synth-time error
   */
  readonly allowInsecureRemote?: boolean;

  /**
   * Longest time a blob's copy into the cache may take (`proxy.cachewritetimeout`, registry 3.1 and later).
   * @default - the registry's default, 5 minutes
   */
  readonly cacheWriteTimeout?: Duration;

  /**
   * Acknowledge that this cache, on an open registry (`RegistryAuth.none()`), may be reached through a public way
   * in (a NodePort, a LoadBalancer that is not internal, an Ingress, a Route) while it logs in to the upstream:
   * anyone who reaches it then pulls through your upstream credentials and rate limit, and reads whatever private
   * upstream repositories those credentials see. Without credentials no acknowledgement is needed: a proxy refuses
   * every push, so an open cache exposes only the upstream's public images.
   * @default false - with `username` and `password`, a public way in to the open registry is a synth-time error
   */
  readonly allowPublicPullThrough?: boolean;
}

/**
 * Makes the registry a pull-through cache (mirror) of one upstream registry (`proxy`). Clients pull
 * through it and it keeps what they pulled. A proxy registry is read-only for clients: it answers every
 * push and delete with `UNSUPPORTED` (HTTP 405), so run a separate registry for your own images.
 *
 * The cache removes content older than `ttl` itself, through the storage's delete API, so the part enables
 * `storage.delete` when content expires (clients still cannot delete). Refused with it, at synth time:
 * `storageOptions.readOnly` (it does not stop the cache from writing or expiring content),
 * `storageOptions.deleteEnabled: false` while content expires, and a `GarbageCollection` of the registry.
 *
 * On an open registry (`RegistryAuth.none()`) a public way in is allowed without `allowPublicAccess`, since no one
 * can push through it; with upstream credentials it needs `allowPublicPullThrough: true` (see there).
 */
export class PullThroughCache implements IRegistryPart {
  public constructor(private readonly props: PullThroughCacheProps) {
  }

  public bind(registry: IRegistry): RegistryContribution {
    const p = this.props;
    const earlier = registry.parts.find((part) => part instanceof PullThroughCache) as PullThroughCache | undefined;
    if (earlier) {
      throw propError(registry, 'proxy', `is already given by another PullThroughCache part (${JSON.stringify(earlier.props.remoteUrl)}): one registry mirrors one upstream. `
        + `Create a second RegistryDeployment (with its own name) for ${JSON.stringify(p.remoteUrl)}`);
    }
    const remote = parseEndpoint(registry, 'proxy.remoteUrl', p.remoteUrl, 'https://registry-1.docker.io', { credentials: 'give it as username and password' });
    if ((p.username === undefined) !== (p.password === undefined)) {
      throw propError(registry, p.username ? 'proxy.password' : 'proxy.username', 'is required with the other: the upstream is logged in to with both, or pulled from anonymously with neither');
    }
    if (remote.protocol === 'http:' && p.username !== undefined && !p.allowInsecureRemote) {
      throw propError(registry, 'proxy.remoteUrl', `(${JSON.stringify(p.remoteUrl)}) is http://, so the cache's login (username and password) would cross the network in clear text: `
        + 'use an https:// upstream, or acknowledge it with allowInsecureRemote: true');
    }
    const hasTtl = registry.version.supports(RegistryFeature.PROXY_TTL);
    if (p.ttl !== undefined && !hasTtl) {
      throw propError(registry, 'proxy.ttl', `is not supported by registry ${registry.version} (cached content expires after 168h there): use registry 3.x, or drop ttl`);
    }
    if (p.cacheWriteTimeout !== undefined) {
      requireFeature(registry, 'proxy.cacheWriteTimeout', registry.version, RegistryFeature.PROXY_CACHE_WRITE_TIMEOUT, 'proxy.cachewritetimeout');
    }
    const ttl = p.ttl !== undefined ? goDuration(registry, 'proxy.ttl', p.ttl, 0) : undefined;
    const cacheWriteTimeout = p.cacheWriteTimeout !== undefined ? goDuration(registry, 'proxy.cacheWriteTimeout', p.cacheWriteTimeout, 1) : undefined;
    if (registry.configValue('storage.maintenance.readonly.enabled') === true) {
      throw propError(registry, 'storageOptions.readOnly', 'cannot be used with a PullThroughCache: a proxy refuses pushes and deletes anyway, and read-only mode does not stop it from storing what it pulls or removing expired content. Drop readOnly (to stop caching, drop the PullThroughCache)');
    }
    // The expiry scheduler deletes through the storage's delete API (upstream: "delete must be enabled").
    const expires = !hasTtl || ttl !== '0s';
    if (expires && registry.configValue('storage.delete.enabled') === false) {
      throw propError(registry, 'storageOptions.deleteEnabled', `is false, but a pull-through cache removes content older than its ttl (${ttl ?? '168h'}) through the delete API, which would fail and let the cache grow forever. Leave deleteEnabled unset or true (clients still cannot delete from a proxy)${hasTtl ? ', or keep content forever with ttl Duration.seconds(0)' : ''}`);
    }
    return {
      name: 'proxy',
      // A proxy answers every push and delete with UNSUPPORTED: what an open cache exposes is its upstream login.
      publicExposure: {
        refusesPushes: true,
        risk: p.username !== undefined
          ? `anyone who reaches it pulls through your upstream credentials (${p.username.secret.name}) and rate limit at ${remote.host}, `
            + 'and reads whatever private upstream repositories those credentials see'
          : undefined,
        riskAcknowledged: p.allowPublicPullThrough === true,
        acknowledgeWith: 'allowPublicPullThrough: true on the PullThroughCache',
      },
      config: {
        storage: expires ? { delete: { enabled: true } } : undefined,
        proxy: {
          remoteurl: p.remoteUrl.replace(/\/$/, ''),
          username: p.username ? registry.secretValue(p.username.secret, p.username.key, 'proxy.username.key') : undefined,
          password: p.password ? registry.secretValue(p.password.secret, p.password.key, 'proxy.password.key') : undefined,
          ttl,
          cachewritetimeout: cacheWriteTimeout,
        },
      },
    };
  }
}
