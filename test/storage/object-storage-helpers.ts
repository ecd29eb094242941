import { Testing } from 'cdk8s';
import { RegistryAuth, RegistryDeployment, RegistryDeploymentProps, RegistryVersion, StorageBackend } from '../../src';
import { validateChart } from '../util/validate-manifests';

export type Obj = { [key: string]: any };

/** Synthesizes a registry on `storage` through the schema validator, and picks out what the storage tests look at. */
export function synthStorage(storage: StorageBackend, version?: RegistryVersion, props: Partial<RegistryDeploymentProps> = {}) {
  const chart = Testing.chart();
  const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), storage, version, ...props });
  const objects = validateChart(chart);
  const deployment = objects.find((o) => o.kind === 'Deployment')!;
  const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
  const serviceAccount = objects.find((o) => o.kind === 'ServiceAccount')!;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config: Obj = require('yaml').parse(configMap.data[Object.keys(configMap.data)[0]]);
  const container: Obj = deployment.spec.template.spec.containers[0];
  const env: Obj[] = container.env ?? [];
  const envByName: Obj = Object.fromEntries(env.map((e) => [e.name, e]));
  return { chart, registry, objects, deployment, configMap, serviceAccount, config, container, env, envByName };
}

/** Builds a registry on `storage` without synthesizing, so that construction errors surface. */
export function construct(storage: StorageBackend, version?: RegistryVersion, props: Partial<RegistryDeploymentProps> = {}): () => void {
  return () => {
    const chart = Testing.chart();
    new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), storage, version, ...props });
    Testing.synth(chart);
  };
}

/** Config keys that would hold a credential in any storage driver. */
const CREDENTIAL_KEYS = /^(accesskey|secretkey|password|username|accountkey|accesskeyid|accesskeysecret|keyfile|credentials|sessiontoken|secret)$/i;

/**
 * Asserts that no credential is rendered outside a Secret: every REGISTRY_STORAGE_* variable comes
 * from a secretKeyRef, config.yml has no credential keys, and no literal in `forbidden` appears
 * in any synthesized object other than a Secret.
 */
export function expectNoCredentialOutsideSecrets(objects: Obj[], config: Obj, forbidden: string[] = []): void {
  const deployment = objects.find((o) => o.kind === 'Deployment')!;
  for (const container of deployment.spec.template.spec.containers) {
    for (const variable of container.env ?? []) {
      if (/^REGISTRY_STORAGE_/.test(variable.name)) {
        expect(variable.value).toBeUndefined();
        expect(variable.valueFrom?.secretKeyRef).toBeDefined();
      }
    }
  }
  const walk = (value: any, path: string): void => {
    if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (CREDENTIAL_KEYS.test(key)) throw new Error(`config.yml has a credential key at ${path}.${key}`);
        walk(inner, `${path}.${key}`);
      }
    }
  };
  walk(config.storage, 'storage');
  const outside = JSON.stringify(objects.filter((o) => o.kind !== 'Secret'));
  for (const literal of forbidden) {
    expect(outside).not.toContain(literal);
  }
}
