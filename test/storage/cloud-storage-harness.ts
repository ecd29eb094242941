/**
 * Synthesizes a registry with a given storage backend, validated by `validateChart`, and returns
 * the parts the Azure, GCS and OSS tests look at: the parsed config.yml, the env by name, the pod.
 */
import { Chart, Testing } from 'cdk8s';
import { RegistryAuth, RegistryDeployment, RegistryDeploymentProps, StorageBackend } from '../../src';
import { validateChart } from '../util/validate-manifests';

export type Obj = { [key: string]: any };

export interface SynthResult {
  readonly objects: Obj[];
  readonly registry: RegistryDeployment;
  /** config.yml, parsed. */
  readonly config: Obj;
  readonly configText: string;
  readonly deployment: Obj;
  readonly container: Obj;
  readonly serviceAccount: Obj;
  /** The container's env entries by name. */
  readonly env: { [name: string]: Obj };
}

export function synthStorage(
  storage: (chart: Chart) => StorageBackend,
  props: Partial<RegistryDeploymentProps> = {},
): SynthResult {
  const chart = Testing.chart();
  const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), storage: storage(chart), ...props });
  const objects = validateChart(chart);
  const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
  const configText = configMap.data[Object.keys(configMap.data)[0]];
  const deployment = objects.find((o) => o.kind === 'Deployment')!;
  const container = deployment.spec.template.spec.containers[0];
  const env: { [name: string]: Obj } = {};
  for (const e of container.env ?? []) env[e.name] = e;
  return {
    objects,
    registry,
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    config: require('yaml').parse(configText),
    configText,
    deployment,
    container,
    serviceAccount: objects.find((o) => o.kind === 'ServiceAccount')!,
    env,
  };
}

/** Builds a function that synthesizes and is expected to throw. */
export function synthThrows(storage: (chart: Chart) => StorageBackend, props: Partial<RegistryDeploymentProps> = {}): () => void {
  return () => synthStorage(storage, props);
}

/** The `secretKeyRef` an env entry is read from. */
export function secretRef(name: string, key: string): Obj {
  return { valueFrom: { secretKeyRef: { name, key } } };
}

/**
 * Asserts that credentials reach the registry only by Secret reference: every REGISTRY_STORAGE_* variable
 * named in `secretVars` is a secretKeyRef without a literal value, no object other than a Secret holds any
 * of `forbiddenKeys` in config.yml, and no ConfigMap or annotation carries one either.
 */
export function expectCredentialsOnlyFromSecrets(result: SynthResult, driver: string, secretVars: string[], forbiddenKeys: string[]): void {
  for (const name of secretVars) {
    expect(result.env[name]).toBeDefined();
    expect(result.env[name].value).toBeUndefined();
    expect(result.env[name].valueFrom.secretKeyRef).toBeDefined();
  }
  const section = result.config.storage[driver] ?? {};
  const flat = JSON.stringify(section).toLowerCase();
  for (const key of forbiddenKeys) {
    expect(flat).not.toContain(`"${key}"`);
  }
  expect(result.objects.filter((o) => o.kind === 'Secret')).toEqual([]);
}
