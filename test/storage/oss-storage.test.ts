import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { expectCredentialsOnlyFromSecrets, secretRef, synthStorage, synthThrows } from './cloud-storage-harness';
import { OssCredentials, RegistryVersion, StorageBackend } from '../../src';

// Expected keys come from registry v2.8.3 (the oss driver does not exist in 3.x: no registry/storage/driver/oss at
// v3.0.0): docs/configuration.md (storage.oss: accesskeyid, accesskeysecret, region, endpoint, internal, bucket,
// encrypt, secure, chunksize, rootdirectory) and registry/storage/driver/oss/oss.go FromParameters (internal, encrypt
// and secure must be booleans; chunksize an integer >= 5 MiB; region and bucket required).

const CREDENTIAL_KEYS = ['accesskeyid', 'accesskeysecret'];

const oss = (extra: object = {}) => (chart: any) => StorageBackend.oss({
  bucket: 'registry-images',
  region: 'oss-cn-hangzhou',
  credentials: OssCredentials.fromSecret(kplus.Secret.fromSecretName(chart, 'OssSecret', 'oss-keys')),
  ...extra,
});

describe('StorageBackend.oss', () => {
  test('2.8 is picked by default; keys from the Secret; every parameter', () => {
    const result = synthStorage(oss({
      internal: true,
      encrypt: true,
      secure: true,
      chunkSize: Size.mebibytes(10),
      rootDirectory: '/registry',
    }));
    expect(result.registry.version.version).toBe('2.8.3');
    expect(result.container.image).toBe('registry:2.8.3');
    expect(result.config.storage.oss).toEqual({
      region: 'oss-cn-hangzhou', // oss.go: parameters["region"], required, an oss.Region such as oss-cn-hangzhou
      internal: true, // oss.go: parameters["internal"].(bool)
      bucket: 'registry-images', // oss.go: parameters["bucket"], required
      encrypt: true, // oss.go: parameters["encrypt"].(bool)
      secure: true, // oss.go: parameters["secure"].(bool), default true
      chunksize: 10485760, // oss.go: parameters["chunksize"], integer bytes >= minChunkSize (5 << 20)
      rootdirectory: '/registry', // oss.go: parameters["rootdirectory"]
    });
    // oss.go: parameters["accesskeyid"], parameters["accesskeysecret"], both required; top-level keys, set from env.
    expect(result.env.REGISTRY_STORAGE_OSS_ACCESSKEYID).toMatchObject(secretRef('oss-keys', 'accessKeyId'));
    expect(result.env.REGISTRY_STORAGE_OSS_ACCESSKEYSECRET).toMatchObject(secretRef('oss-keys', 'accessKeySecret'));
    expectCredentialsOnlyFromSecrets(result, 'oss', ['REGISTRY_STORAGE_OSS_ACCESSKEYID', 'REGISTRY_STORAGE_OSS_ACCESSKEYSECRET'], CREDENTIAL_KEYS);
    expect(result.objects).toMatchSnapshot();
  });

  test('custom endpoint, plain HTTP, custom key names', () => {
    const result = synthStorage((chart) => StorageBackend.oss({
      bucket: 'registry-images',
      region: 'oss-ap-southeast-1',
      endpoint: 'registry-images.oss-ap-southeast-1-internal.aliyuncs.com',
      secure: false,
      credentials: OssCredentials.fromSecret(kplus.Secret.fromSecretName(chart, 'S', 'aliyun'), { accessKeyIdKey: 'id', accessKeySecretKey: 'secret' }),
    }), { version: RegistryVersion.V2_8 });
    expect(result.config.storage.oss).toEqual({
      region: 'oss-ap-southeast-1',
      endpoint: 'registry-images.oss-ap-southeast-1-internal.aliyuncs.com', // oss.go: parameters["endpoint"], client.SetEndpoint
      bucket: 'registry-images',
      secure: false,
    });
    expect(result.env.REGISTRY_STORAGE_OSS_ACCESSKEYID).toMatchObject(secretRef('aliyun', 'id'));
    expect(result.env.REGISTRY_STORAGE_OSS_ACCESSKEYSECRET).toMatchObject(secretRef('aliyun', 'secret'));
  });

  test('only the given keys are rendered; the driver defaults the rest', () => {
    expect(synthStorage(oss()).config.storage.oss).toEqual({ region: 'oss-cn-hangzhou', bucket: 'registry-images' });
  });
});

describe('StorageBackend.oss: bad input', () => {
  test('a pinned 3.x release is refused, naming the versions that have the driver', () => {
    expect(synthThrows(oss(), { version: RegistryVersion.V3 }))
      .toThrow(/Registry: 'version' \(3.1.2\) has no 'oss' storage driver .*'oss' exists in registry 2.8.x: pin RegistryVersion.V2_8/);
    expect(synthThrows(oss(), { image: 'registry:3.0.0' })).toThrow(/'version' \(3.0.0\) has no 'oss' storage driver/);
  });

  test('region missing or malformed', () => {
    expect(synthThrows(oss({ region: '' }))).toThrow(/'storage.region' is required by the oss driver: give the bucket's region id such as "oss-cn-hangzhou"/);
    expect(synthThrows(oss({ region: 'cn-hangzhou' }))).toThrow(/'storage.region' \("cn-hangzhou"\) is not an OSS region id: give one of the form "oss-<region>"/);
  });

  test('chunk size below the driver minimum', () => {
    expect(synthThrows(oss({ chunkSize: Size.mebibytes(4) }))).toThrow(/'storage.chunkSize' \(4194304 bytes\) is rejected by the oss driver: the chunk size must be at least 5242880 bytes \(5 MiB\)/);
  });

  test('invalid bucket names', () => {
    for (const bucket of ['ab', 'Registry', 'my_bucket', '-abc', 'a.b.c']) {
      expect(synthThrows(oss({ bucket }))).toThrow(/'storage.bucket' .* is not a valid OSS bucket name/);
    }
  });

  test('malformed endpoints, and internal with an endpoint', () => {
    expect(synthThrows(oss({ endpoint: 'https://oss-cn-hangzhou.aliyuncs.com' }))).toThrow(/'storage.endpoint' .* must be a host name with an optional port.*drop the scheme/);
    expect(synthThrows(oss({ endpoint: 'registry.example.com/path' }))).toThrow(/'storage.endpoint'/);
    expect(synthThrows(oss({ endpoint: 'registry.example.com:70000' }))).toThrow(/'storage.endpoint'.*port 70000/);
    expect(synthThrows(oss({ endpoint: 'registry.example.com', internal: true }))).toThrow(/'storage.internal' \(true\) is ignored by the oss driver when 'endpoint' is set/);
  });

  test('bad Secret key names and root directory', () => {
    expect(synthThrows((chart) => StorageBackend.oss({
      bucket: 'abc', region: 'oss-cn-beijing', credentials: OssCredentials.fromSecret(kplus.Secret.fromSecretName(chart, 'S', 's'), { accessKeyIdKey: 'a:b' }),
    }))).toThrow(/'storage.credentials.accessKeyIdKey' \("a:b"\) is not a valid Secret key/);
    expect(synthThrows(oss({ rootDirectory: ' ' }))).toThrow(/'storage.rootDirectory'/);
  });
});
