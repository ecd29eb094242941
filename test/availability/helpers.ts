import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { RegistryAuth, RegistryDeployment, RegistryDeploymentProps, StorageBackend, S3Credentials } from '../../src';
import { validateChart } from '../util/validate-manifests';

export type Obj = { [key: string]: any };

export function shared(chart: Chart): Partial<RegistryDeploymentProps> {
  const secret = kplus.Secret.fromSecretName(chart, 'S3', 's3-keys');
  return {
    replicas: 3,
    storage: StorageBackend.s3({ bucket: 'images', region: 'eu-west-1', credentials: S3Credentials.fromSecret(secret) }),
    httpSecret: { secret: kplus.Secret.fromSecretName(chart, 'HttpSecret', 'registry-http'), key: 'secret' },
  };
}

export function build(props: Partial<RegistryDeploymentProps> = {}, id = 'Registry', sharedStorage = false) {
  const chart = Testing.chart();
  const registry = new RegistryDeployment(chart, id, { auth: RegistryAuth.none(), ...(sharedStorage ? shared(chart) : {}), ...props });
  return { chart, registry };
}

export function objectsOf(chart: Chart) {
  const objects = validateChart(chart);
  const deployment = objects.find((o) => o.kind === 'Deployment')!;
  const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require('yaml').parse(configMap.data[Object.keys(configMap.data)[0]]);
  return { objects, deployment, config, pod: deployment.spec.template.spec as Obj, container: deployment.spec.template.spec.containers[0] as Obj };
}
