import { RegistryConfigDocument } from './registry-config';
import type { LifecyclePlan } from '../availability/lifecycle';
import { LogFormat, LogLevel } from '../registry-deployment-props';

/** What the part of config.yml that the registry's own props render is made of. */
export interface ConfigDocumentInputs {
  readonly logLevel?: LogLevel;
  readonly logFormat?: LogFormat;
  /** The port the registry listens on. */
  readonly port: number;
  readonly externalUrl?: string;
  readonly relativeUrls?: boolean;
  readonly lifecycle: LifecyclePlan;
}

/**
 * The part of config.yml the registry's own props render: log, http (its address, URL, drain and headers) and
 * health. Storage, auth, TLS, metrics and tracing arrive as contributions, like every part's.
 */
export function propsConfigDocument(i: ConfigDocumentInputs): RegistryConfigDocument {
  return {
    log: {
      level: i.logLevel ?? LogLevel.INFO,
      formatter: i.logFormat ?? LogFormat.TEXT,
      fields: { service: 'registry' },
    },
    http: {
      addr: `:${i.port}`,
      host: i.externalUrl,
      relativeUrls: i.relativeUrls,
      drainTimeout: i.lifecycle.drainTimeout,
      headers: { 'X-Content-Type-Options': ['nosniff'] },
    },
    health: i.lifecycle.healthCheck ? { storageDriver: i.lifecycle.healthCheck } : undefined,
  };
}
