import { RegistryFeature, RegistryVersion } from '../config/registry-version';

/**
 * Why a hand-written `proxy` section (`addConfigSection`, a custom part) makes a cache that grows forever, or
 * undefined: the registry's scheduler expires cached content through the storage's delete API (upstream
 * registry/proxy/scheduler), so with deletes disabled every expiry fails ("operation unsupported") and nothing is
 * ever removed. The `PullThroughCache` part enables deletes itself.
 * @param config the rendered config.yml
 */
export function proxyExpiryProblem(version: RegistryVersion, config: { [key: string]: any }): string | undefined {
  const proxy = config.proxy;
  if (!proxy?.remoteurl || config.storage?.delete?.enabled === true) return undefined;
  const ttl = proxy.ttl;
  const keepsForever = version.supports(RegistryFeature.PROXY_TTL) && ttl !== undefined && /^0+[smh]?$/.test(String(ttl));
  if (keepsForever) return undefined;
  return 'configures a pull-through cache (proxy.remoteurl) with storage deletes disabled: the registry removes content older than '
    + `the ttl (${ttl ?? '168h'}) through the delete API, which answers "operation unsupported", so the cache grows forever. Set storageOptions.deleteEnabled `
    + 'to true (clients still cannot delete from a proxy), or use the PullThroughCache part, which does';
}
