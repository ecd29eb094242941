import { Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { construct, expectNoCredentialOutsideSecrets, synthStorage } from './object-storage-helpers';
import { BtpHyperscaler, RegistryVersion, StorageBackend } from '../../src';

const binding = () => kplus.Secret.fromSecretName(Testing.chart(), 'Binding', 'btp-object-store-secret');

describe('StorageBackend.btpObjectStore', () => {
  test.each([
    ['2.8', RegistryVersion.V2_8],
    ['3.x', RegistryVersion.V3],
  ])('AWS-backed binding on registry %s: bucket, region and keys from the binding Secret', (_name, version) => {
    const storage = StorageBackend.btpObjectStore({ secret: binding(), hyperscaler: BtpHyperscaler.AWS });
    const { config, env, envByName, objects } = synthStorage(storage, version);
    // Nothing the binding knows is copied: only what the registry needs besides it.
    expect(config.storage.s3).toEqual({ secure: true });
    const fromBinding = (key: string) => ({ secretKeyRef: { name: 'btp-object-store-secret', key } });
    expect(envByName.REGISTRY_STORAGE_S3_BUCKET.valueFrom).toEqual(fromBinding('bucket'));
    expect(envByName.REGISTRY_STORAGE_S3_REGION.valueFrom).toEqual(fromBinding('region'));
    expect(envByName.REGISTRY_STORAGE_S3_ACCESSKEY.valueFrom).toEqual(fromBinding('access_key_id'));
    expect(envByName.REGISTRY_STORAGE_S3_SECRETKEY.valueFrom).toEqual(fromBinding('secret_access_key'));
    expect(env.filter((e) => e.name.startsWith('REGISTRY_STORAGE_')).map((e) => e.name)).toEqual([
      'REGISTRY_STORAGE_S3_ACCESSKEY', 'REGISTRY_STORAGE_S3_BUCKET', 'REGISTRY_STORAGE_S3_REGION', 'REGISTRY_STORAGE_S3_SECRETKEY',
    ]);
    expectNoCredentialOutsideSecrets(objects, config);
    expect(objects).toMatchSnapshot();
  });

  test('root directory and chunk size', () => {
    const { config } = synthStorage(StorageBackend.btpObjectStore({
      secret: binding(), hyperscaler: BtpHyperscaler.AWS, rootDirectory: '/registry', chunkSize: Size.mebibytes(32),
    }));
    expect(config.storage.s3).toEqual({ secure: true, chunksize: 32 * 1024 * 1024, rootdirectory: '/registry' });
    expect(construct(StorageBackend.btpObjectStore({ secret: binding(), hyperscaler: BtpHyperscaler.AWS, chunkSize: Size.mebibytes(2) })))
      .toThrow(/'storage.chunkSize' \(2097152 bytes\) is rejected by the s3 driver/);
    expect(construct(StorageBackend.btpObjectStore({ secret: binding(), hyperscaler: BtpHyperscaler.AWS, rootDirectory: 'my dir' })))
      .toThrow(/'storage.rootDirectory' \("my dir"\) must be a key prefix/);
  });

  test('Azure-backed bindings are refused, as Kyma does', () => {
    expect(construct(StorageBackend.btpObjectStore({ secret: binding(), hyperscaler: BtpHyperscaler.AZURE })))
      .toThrow(/Registry: 'storage.hyperscaler' \(AZURE\) is not supported: an Azure-backed BTP Object Store binding carries only a SAS token/);
  });

  test('GCP-backed bindings are refused with the reason and the way out', () => {
    expect(construct(StorageBackend.btpObjectStore({ secret: binding(), hyperscaler: BtpHyperscaler.GCP })))
      .toThrow(/'storage.hyperscaler' \(GCP\) is not supported yet: the binding holds the service account key base64-encoded.*StorageBackend\.gcs\(\)/);
  });
});
