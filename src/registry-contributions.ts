import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import type { AuthBinding } from './auth/registry-auth';
import type { TlsBinding } from './expose/registry-tls';
import type { RegistryContribution } from './registry-part';
import type { SecretKeyReference } from './secret-key-reference';
import type { StorageBinding } from './storage/storage-backend';
import type { RenderedStorageOptions } from './storage/storage-options';
import { secretEnv } from './util/secret-env';

/**
 * Adapters from the built-ins' bindings (storage, auth, TLS) and the core's own props (`httpSecret`,
 * `storageOptions`, `metrics`) to the one shape every part returns, so that the core applies all of them in one
 * loop, in one order, with one set of rules. The binding interfaces stay as they are: users implement them.
 *
 * The order the core applies them in is the order of the keys in config.yml (storage's driver before the options,
 * `http.tls` before `http.debug`) and of the registry container's variables and mounts.
 */

/** `REGISTRY_HTTP_SECRET` from the Secret given as `httpSecret`, if any. */
export function httpSecretContribution(scope: IConstruct, httpSecret?: SecretKeyReference): RegistryContribution {
  return {
    name: 'httpSecret',
    env: httpSecret ? { REGISTRY_HTTP_SECRET: secretEnv(scope, 'httpSecret.key', httpSecret.secret, httpSecret.key) } : undefined,
  };
}

/** The storage backend: `storage.<driver>` with its parameters, its variables and its volumes. */
export function storageContribution(binding: StorageBinding): RegistryContribution {
  return {
    name: 'storage',
    config: { storage: { [binding.driver]: binding.parameters } },
    env: binding.env,
    mounts: binding.mounts,
  };
}

/** The storage options shared by every backend: delete, redirect, maintenance and a chosen blob descriptor cache. */
export function storageOptionsContribution(options: RenderedStorageOptions): RegistryContribution {
  return {
    name: 'storageOptions',
    config: {
      storage: {
        delete: options.deleteEnabled !== undefined ? { enabled: options.deleteEnabled } : undefined,
        redirect: options.redirectDisabled !== undefined ? { disable: options.redirectDisabled } : undefined,
        maintenance: options.maintenance,
        cache: options.blobDescriptorCache ? { blobdescriptor: options.blobDescriptorCache } : undefined,
      },
    },
  };
}

/** The auth method: `auth.<method>` with its parameters (none for an open registry), variables, volumes, annotations. */
export function authContribution(binding: AuthBinding): RegistryContribution {
  return {
    name: 'auth',
    config: binding.method ? { auth: { [binding.method]: binding.parameters ?? {} } } : undefined,
    env: binding.env,
    mounts: binding.mounts,
    podAnnotations: binding.podAnnotations,
  };
}

/** TLS served by the registry itself: `http.tls` and the volumes holding the certificate, key and client CAs. */
export function tlsContribution(binding?: TlsBinding): RegistryContribution {
  return {
    name: 'tls',
    config: binding ? {
      http: {
        tls: {
          certificate: binding.certificatePath,
          key: binding.keyPath,
          clientcas: binding.clientCaPaths,
          minimumtls: binding.minimumTls,
        },
      },
    } : undefined,
    mounts: binding?.mounts,
  };
}

/** The debug server with the Prometheus endpoint (`http.debug`), when metrics are served on `port`. */
export function metricsContribution(port?: number): RegistryContribution {
  return {
    name: 'metrics',
    config: port !== undefined ? { http: { debug: { addr: `:${port}`, prometheus: { enabled: true, path: '/metrics' } } } } : undefined,
  };
}

/**
 * The names of a contribution's variables in the order the container lists them: by name, except that a variable
 * another one references as `$(NAME)` comes before it (the kubelet expands only variables defined earlier).
 */
export function orderedEnvNames(env: { [name: string]: kplus.EnvValue }): string[] {
  const names = Object.keys(env).sort();
  const depth = new Map<string, number>();
  // How deep a variable is referenced: referenced by one that is itself referenced goes earlier still.
  const depthOf = (name: string, seen: Set<string>): number => {
    if (depth.has(name)) return depth.get(name)!;
    if (seen.has(name)) return 0;
    seen.add(name);
    const referrers = names.filter((other) => other !== name && (env[other].value ?? '').includes(`$(${name})`));
    const d = referrers.length === 0 ? 0 : 1 + Math.max(...referrers.map((r) => depthOf(r, seen)));
    depth.set(name, d);
    return d;
  };
  return names.map((name, i) => ({ name, i, d: depthOf(name, new Set()) }))
    .sort((a, b) => b.d - a.d || a.i - b.i)
    .map((n) => n.name);
}
