import { Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { construct, expectNoCredentialOutsideSecrets, synthStorage } from './object-storage-helpers';
import { DigitalOceanSpacesStorageOptions, Platform, RegistryVersion, S3Credentials, StorageBackend } from '../../src';

const keys = () => S3Credentials.fromSecret(kplus.Secret.fromSecretName(Testing.chart(), 'Spaces', 'spaces-keys'));

function spaces(options: Partial<DigitalOceanSpacesStorageOptions> = {}): StorageBackend {
  return StorageBackend.digitalOceanSpaces({ region: 'ams3', bucket: 'space-name', credentials: keys(), ...options });
}

describe('StorageBackend.digitalOceanSpaces', () => {
  test.each([
    ['2.8', RegistryVersion.V2_8, undefined],
    ['3.x', RegistryVersion.V3, true],
  ])('on registry %s: region slug becomes the endpoint, v4 signing, path style', (_name, version, forcepathstyle) => {
    const { config, envByName, objects } = synthStorage(spaces({ rootDirectory: '/registry', chunkSize: Size.mebibytes(20) }), version, { platform: Platform.OPENSHIFT });
    expect(config.storage.s3).toEqual({
      region: 'us-east-1',
      regionendpoint: 'https://ams3.digitaloceanspaces.com',
      ...(forcepathstyle ? { forcepathstyle } : {}),
      bucket: 'space-name',
      v4auth: true,
      chunksize: 20 * 1024 * 1024,
      rootdirectory: '/registry',
    });
    expect(envByName.REGISTRY_STORAGE_S3_ACCESSKEY.valueFrom.secretKeyRef).toEqual({ name: 'spaces-keys', key: 'accessKey' });
    expect(envByName.REGISTRY_STORAGE_S3_SECRETKEY.valueFrom.secretKeyRef).toEqual({ name: 'spaces-keys', key: 'secretKey' });
    expectNoCredentialOutsideSecrets(objects, config);
    expect(objects).toMatchSnapshot();
  });

  test('endpoint override for tests: plain http turns secure off', () => {
    const { config } = synthStorage(spaces({ endpoint: 'http://127.0.0.1:8080' }), RegistryVersion.V2_8);
    expect(config.storage.s3).toMatchObject({ regionendpoint: 'http://127.0.0.1:8080', secure: false, region: 'us-east-1', v4auth: true });
  });

  test('signing region is configurable', () => {
    expect(synthStorage(spaces({ signingRegion: 'ams3' })).config.storage.s3.region).toBe('ams3');
  });

  test.each(['digitalocean-ams3', 'AMS3', 'ams', 'ams3.digitaloceanspaces.com', ''])('region slug %j is refused', (region) => {
    expect(construct(spaces({ region }))).toThrow(/'storage.region' \(.*\) is not a DigitalOcean Spaces region slug: give three letters and a digit, such as "ams3"/);
  });

  test('bad endpoint, bucket and IAM role are refused by name', () => {
    expect(construct(spaces({ endpoint: 'ams3.digitaloceanspaces.com' }))).toThrow(/'storage.endpoint' \("ams3.digitaloceanspaces.com"\) is not a URL/);
    expect(construct(spaces({ bucket: 'Space_Name' }))).toThrow(/'storage.bucket' \("Space_Name"\) is not a valid S3 bucket name/);
    expect(construct(spaces({ credentials: S3Credentials.fromIamRole('arn:aws:iam::123456789012:role/x') })))
      .toThrow(/'storage.credentials' is an IAM role, which DigitalOcean Spaces does not have/);
    expect(construct(spaces({ chunkSize: Size.mebibytes(1) }))).toThrow(/'storage.chunkSize'.*rejected by the s3 driver/);
  });
});
