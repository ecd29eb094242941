import { Testing } from 'cdk8s';
import { RegistryAuth, RegistryDeployment, RegistryDeploymentProps, RegistryVersion, StorageBackend } from '../../src';
import { validateChart } from '../util/validate-manifests';

type Obj = { [key: string]: any };

/** A registry of `version` on emptyDir storage with no auth, for testing one part. */
export function registryOf(version: RegistryVersion, props: Partial<RegistryDeploymentProps> = {}) {
  const chart = Testing.chart();
  const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), storage: StorageBackend.emptyDir(), version, ...props });
  return { chart, registry };
}

/** Synthesizes and validates; returns the objects, the parsed config.yml and the pod spec. */
export function synthConfig(chart: any) {
  const objects = validateChart(chart);
  const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
  const deployment = objects.find((o) => o.kind === 'Deployment')!;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config: Obj = require('yaml').parse(configMap.data[Object.keys(configMap.data)[0]]);
  return { objects, config, spec: deployment.spec.template.spec as Obj };
}

export const V2_8 = RegistryVersion.V2_8;
export const V3_0 = RegistryVersion.V3_0;
export const V3_1 = RegistryVersion.V3_1;
