/**
 * The typed model of the registry's config.yml (distribution's configuration format `0.1`),
 * and its rendering. Sections are written in a fixed order so that the file, and the
 * checksum that rolls the pods, only change when a value does.
 *
 * Credentials never appear in this model: they reach the registry as `REGISTRY_*`
 * environment variables from Secrets, or as placeholders that an init container fills in
 * (config-secrets.ts). Further sections come from parts, merged by config-merge.ts.
 */

/** `log:` */
export interface LogSection {
  readonly level: string;
  readonly formatter: string;
  readonly fields: { [key: string]: string };
  readonly accessLogDisabled?: boolean;
}

/** `http:` (the keys the props render; `tls` and `debug` come from contributions) */
export interface HttpSection {
  readonly addr: string;
  readonly host?: string;
  readonly relativeUrls?: boolean;
  readonly headers: { [name: string]: string[] };
  readonly drainTimeout?: string;
}

/** `health:` */
export interface HealthSection {
  readonly storageDriver?: { readonly enabled: boolean; readonly interval: string; readonly threshold: number };
}

/** The part of config.yml the registry's own props render (the rest is contributed: storage, auth, parts). */
export interface RegistryConfigDocument {
  readonly log: LogSection;
  readonly http: HttpSection;
  readonly health?: HealthSection;
}

/** Drops undefined values and empty objects, keeping key order. */
function compact(value: any): any {
  if (Array.isArray(value)) {
    return value.map(compact);
  }
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: any } = {};
    for (const [key, inner] of Object.entries(value)) {
      const compacted = compact(inner);
      if (compacted === undefined) continue;
      out[key] = compacted;
    }
    return out;
  }
  return value;
}

/**
 * Renders the model into the plain object that config.yml holds, in the order of the
 * distribution configuration reference.
 */
export function renderRegistryConfig(doc: RegistryConfigDocument): { [key: string]: any } {
  const http: { [key: string]: any } = {
    addr: doc.http.addr,
    host: doc.http.host,
    relativeurls: doc.http.relativeUrls,
    draintimeout: doc.http.drainTimeout,
    headers: doc.http.headers,
  };

  const rendered: { [key: string]: any } = {
    version: '0.1',
    log: {
      accesslog: doc.log.accessLogDisabled ? { disabled: true } : undefined,
      level: doc.log.level,
      formatter: doc.log.formatter,
      fields: doc.log.fields,
    },
    http,
    health: doc.health?.storageDriver ? { storagedriver: doc.health.storageDriver } : undefined,
  };
  return compact(rendered);
}

/** The top-level sections in the order of the configuration reference; others follow, sorted. */
const SECTION_ORDER = ['version', 'log', 'storage', 'auth', 'http', 'health'];

/** Orders the top-level sections so that the file does not depend on the order parts were added in. */
export function orderSections(config: { [key: string]: any }): { [key: string]: any } {
  const out: { [key: string]: any } = {};
  const rest = Object.keys(config).filter((k) => !SECTION_ORDER.includes(k)).sort();
  for (const key of [...SECTION_ORDER, ...rest]) {
    if (config[key] !== undefined) out[key] = config[key];
  }
  return out;
}

/**
 * Checks a whole rendered config for combinations the registry cannot run with; returns the problems.
 */
export function checkRenderedConfig(config: { [key: string]: any }): string[] {
  const problems: string[] = [];
  const redis = config.redis ?? {};
  if (config.storage?.cache?.blobdescriptor === 'redis' && !redis.addr && !(redis.addrs?.length > 0)) {
    problems.push("'storage.cache.blobdescriptor' is 'redis' but no redis is configured (the registry would fail at start): add a RedisBlobDescriptorCache part, or pick BlobDescriptorCache.INMEMORY");
  }
  return problems;
}
