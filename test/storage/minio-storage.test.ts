import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { construct, expectNoCredentialOutsideSecrets, synthStorage } from './object-storage-helpers';
import { MinioStorageOptions, RegistryVersion, S3Credentials, StorageBackend } from '../../src';

const keys = () => S3Credentials.fromSecret(kplus.Secret.fromSecretName(Testing.chart(), 'Minio', 'minio-keys'), { accessKeyKey: 'rootUser', secretKeyKey: 'rootPassword' });

function minio(options: Partial<MinioStorageOptions> = {}): StorageBackend {
  return StorageBackend.minio({ endpoint: 'http://minio.minio.svc:9000', bucket: 'registry', credentials: keys(), ...options });
}

describe('StorageBackend.minio', () => {
  test.each([
    ['2.8', RegistryVersion.V2_8],
    ['3.x', RegistryVersion.V3],
  ])('on registry %s: custom endpoint, path style, http means secure false', (_name, version) => {
    const { config, envByName, objects } = synthStorage(minio(), version);
    const expected: { [key: string]: any } = {
      region: 'us-east-1',
      regionendpoint: 'http://minio.minio.svc:9000',
      bucket: 'registry',
      secure: false,
    };
    // 2.8 uses path style whenever regionendpoint is set and has no key for it; 3.x needs it spelled out.
    if (version.major === 3) expected.forcepathstyle = true;
    expect(config.storage.s3).toEqual(expected);
    expect(Object.keys(config.storage.s3)).toEqual(version.major === 3
      ? ['region', 'regionendpoint', 'forcepathstyle', 'bucket', 'secure']
      : ['region', 'regionendpoint', 'bucket', 'secure']);
    expect(envByName.REGISTRY_STORAGE_S3_ACCESSKEY.valueFrom.secretKeyRef).toEqual({ name: 'minio-keys', key: 'rootUser' });
    expect(envByName.REGISTRY_STORAGE_S3_SECRETKEY.valueFrom.secretKeyRef).toEqual({ name: 'minio-keys', key: 'rootPassword' });
    expectNoCredentialOutsideSecrets(objects, config);
    expect(objects).toMatchSnapshot();
  });

  test('Ceph RGW over https with its zonegroup as region and a self-signed certificate', () => {
    const { config } = synthStorage(minio({ endpoint: 'https://rgw.ceph.svc:8443', region: 'default', skipVerify: true }));
    expect(config.storage.s3).toEqual({
      region: 'default', regionendpoint: 'https://rgw.ceph.svc:8443', forcepathstyle: true, bucket: 'registry', skipverify: true,
    });
  });

  test('bad input', () => {
    expect(construct(minio({ endpoint: 'minio:9000' }))).toThrow(/'storage.endpoint' \("minio:9000"\) must be an http:\/\/ or https:\/\/ URL/);
    expect(construct(minio({ endpoint: '' }))).toThrow(/'storage.endpoint' is required/);
    expect(construct(minio({ bucket: 'a' }))).toThrow(/'storage.bucket' \("a"\) is not a valid S3 bucket name: it must be 3 to 63 characters long/);
    expect(construct(minio({ credentials: S3Credentials.fromIamRole('arn:aws:iam::123456789012:role/x') }))).toThrow(/'storage.credentials' is an IAM role/);
  });
});
