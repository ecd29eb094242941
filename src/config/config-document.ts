import { RegistryConfigDocument } from './registry-config';
import type { AuthBinding } from '../auth/registry-auth';
import type { LifecyclePlan } from '../availability/lifecycle';
import type { TlsBinding } from '../expose/registry-tls';
import { LogFormat, LogLevel } from '../registry-deployment-props';
import type { StorageBinding } from '../storage/storage-backend';
import type { RenderedStorageOptions } from '../storage/storage-options';

/** What the part of config.yml that the registry's own props render is made of. */
export interface ConfigDocumentInputs {
  readonly logLevel?: LogLevel;
  readonly logFormat?: LogFormat;
  readonly storage: StorageBinding;
  readonly storageOptions: RenderedStorageOptions;
  readonly auth: AuthBinding;
  readonly tls?: TlsBinding;
  /** The port the registry listens on. */
  readonly port: number;
  /** The debug server's port, if metrics are on. */
  readonly metricsPort?: number;
  readonly externalUrl?: string;
  readonly relativeUrls?: boolean;
  readonly lifecycle: LifecyclePlan;
}

/** The part of config.yml the registry's props render: log, storage, auth, http and health. */
export function propsConfigDocument(i: ConfigDocumentInputs): RegistryConfigDocument {
  const metrics = i.metricsPort !== undefined;
  return {
    log: {
      level: i.logLevel ?? LogLevel.INFO,
      formatter: i.logFormat ?? LogFormat.TEXT,
      fields: { service: 'registry' },
    },
    storage: {
      driver: i.storage.driver,
      parameters: i.storage.parameters,
      ...i.storageOptions,
    },
    auth: i.auth.method ? { method: i.auth.method, parameters: i.auth.parameters ?? {} } : undefined,
    http: {
      addr: `:${i.port}`,
      host: i.externalUrl,
      relativeUrls: i.relativeUrls,
      drainTimeout: i.lifecycle.drainTimeout,
      headers: { 'X-Content-Type-Options': ['nosniff'] },
      tls: i.tls ? {
        certificate: i.tls.certificatePath,
        key: i.tls.keyPath,
        clientCas: i.tls.clientCaPaths,
        minimumTls: i.tls.minimumTls,
      } : undefined,
      debugAddr: metrics ? `:${i.metricsPort}` : undefined,
      prometheusPath: metrics ? '/metrics' : undefined,
    },
    health: i.lifecycle.healthCheck ? { storageDriver: i.lifecycle.healthCheck } : undefined,
  };
}
