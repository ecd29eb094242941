import { Testing } from 'cdk8s';
import {
  KymaAzureRegistryChart, KymaBtpObjectStoreRegistryChart, KymaGcsRegistryChart, KymaPvcRegistryChart, KymaS3RegistryChart,
} from '../examples/kyma-registry';
import { validateChart } from './util/validate-manifests';

type Obj = { [key: string]: any };

function parts(objects: Obj[]) {
  const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require('yaml').parse(configMap.data[Object.keys(configMap.data)[0]]);
  const container = objects.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0];
  const env: Obj = Object.fromEntries((container.env ?? []).map((e: Obj) => [e.name, e]));
  return { config, container, env, deployment: objects.find((o) => o.kind === 'Deployment')! };
}

describe('examples/kyma-registry.ts (seed 002)', () => {
  test('Azure: Kyma\'s azure-storage Secret as is (accountName, accountKey, container)', () => {
    const objects = validateChart(new KymaAzureRegistryChart(Testing.app(), 'azure'));
    const { config, env } = parts(objects);
    expect(objects[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'kyma-registry-azure' } });
    expect(config.storage.azure).toEqual({ credentials: { type: 'shared_key' } });
    for (const [name, key] of [['ACCOUNTKEY', 'accountKey'], ['ACCOUNTNAME', 'accountName'], ['CONTAINER', 'container']]) {
      expect(env[`REGISTRY_STORAGE_AZURE_${name}`].valueFrom.secretKeyRef).toEqual({ name: 'azure-storage', key });
    }
  });

  test('GCS: the key file from gcs-secret/accountkey, root directory and chunk size of the seed', () => {
    const objects = validateChart(new KymaGcsRegistryChart(Testing.app(), 'gcs'));
    const { config, deployment } = parts(objects);
    expect(config.storage.gcs).toEqual({ bucket: 'kyma-registry-images', keyfile: '/etc/registry/gcs/key.json', rootdirectory: 'dir', chunksize: 5242880 });
    expect(deployment.spec.template.spec.volumes).toContainEqual({
      name: 'gcs-key', secret: { secretName: 'gcs-secret', defaultMode: 0o440, items: [{ key: 'accountkey', path: 'key.json' }] },
    });
  });

  test('existing PVC', () => {
    const objects = validateChart(new KymaPvcRegistryChart(Testing.app(), 'pvc'));
    expect(parts(objects).deployment.spec.template.spec.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'existing-pvc', readOnly: false } });
  });

  test('S3 and BTP Object Store: keys from Kyma\'s Secrets', () => {
    const s3 = parts(validateChart(new KymaS3RegistryChart(Testing.app(), 's3')));
    expect(s3.config.storage.s3).toMatchObject({ bucket: 'kyma-registry-images', region: 'eu-central-1', encrypt: false, secure: true });
    expect(s3.env.REGISTRY_STORAGE_S3_ACCESSKEY.valueFrom.secretKeyRef).toEqual({ name: 's3-storage', key: 'accessKey' });
    expect(s3.env.REGISTRY_STORAGE_S3_SECRETKEY.valueFrom.secretKeyRef).toEqual({ name: 's3-storage', key: 'secretKey' });
    const btp = parts(validateChart(new KymaBtpObjectStoreRegistryChart(Testing.app(), 'btp')));
    expect(btp.env.REGISTRY_STORAGE_S3_ACCESSKEY.valueFrom.secretKeyRef).toEqual({ name: 'btp-object-store-secret', key: 'access_key_id' });
  });
});
