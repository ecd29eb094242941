/**
 * `StorageBackend.partition`: one storage setting for several registries that must not share keys (the mirrors of a
 * `RegistryMirrorSet`). Object stores put each registry under `<root>/<key>`; backends that make a volume per registry
 * are returned as they are; an existing claim (and a fixed claim name) is refused.
 */
import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { synthStorage } from './object-storage-helpers';
import {
  AzureCredentials, BtpHyperscaler, GcsCredentials, OssCredentials, RegistryVersion, S3Credentials, StorageBackend, SwiftCredentials,
} from '../../src';

const chart = Testing.chart();
const secret = kplus.Secret.fromSecretName(chart, 'Keys', 'keys');
const s3Keys = S3Credentials.fromSecret(secret);

describe('StorageBackend.partition', () => {
  test.each([
    ['s3', StorageBackend.s3({ bucket: 'images', region: 'eu-west-1', credentials: s3Keys }), undefined, 's3', 'rootdirectory', '/docker-io'],
    ['s3 with a root', StorageBackend.s3({ bucket: 'images', region: 'eu-west-1', rootDirectory: '/cache/', credentials: s3Keys }), undefined, 's3', 'rootdirectory', '/cache/docker-io'],
    ['minio', StorageBackend.minio({ endpoint: 'http://minio:9000', bucket: 'images', rootDirectory: 'cache', credentials: s3Keys }), undefined, 's3', 'rootdirectory', 'cache/docker-io'],
    ['digitalOceanSpaces', StorageBackend.digitalOceanSpaces({ region: 'ams3', bucket: 'images', credentials: s3Keys }), undefined, 's3', 'rootdirectory', '/docker-io'],
    ['btpObjectStore', StorageBackend.btpObjectStore({ secret, hyperscaler: BtpHyperscaler.AWS }), undefined, 's3', 'rootdirectory', '/docker-io'],
    ['azure (3.x)', StorageBackend.azure({ accountName: 'acct', container: 'mirrors', credentials: AzureCredentials.fromSecret(secret) } as any), RegistryVersion.V3_1, 'azure', 'rootdirectory', '/docker-io'],
    ['gcs', StorageBackend.gcs({ bucket: 'images', rootDirectory: '/r', credentials: GcsCredentials.workloadIdentity() }), RegistryVersion.V3_1, 'gcs', 'rootdirectory', '/r/docker-io'],
    ['oss', StorageBackend.oss({ bucket: 'images', region: 'oss-cn-hangzhou', credentials: OssCredentials.fromSecret(secret) }), RegistryVersion.V2_8, 'oss', 'rootdirectory', '/docker-io'],
    ['swift', StorageBackend.swift({
      authUrl: 'https://identity.example.com/v3', domain: 'Default', tenant: 't', container: 'c', credentials: SwiftCredentials.fromSecret(secret),
    } as any), RegistryVersion.V2_8, 'swift', 'prefix', '/docker-io'],
  ])('%s: the same store under a key prefix of its own', (_name, storage, version, driver, key, expected) => {
    const { config } = synthStorage(storage.partition(chart, 'docker-io'), version);
    expect(config.storage[driver][key]).toBe(expected);
    // the original is unchanged
    expect(synthStorage(storage, version).config.storage[driver][key]).not.toBe(expected);
  });

  test('volumes made per registry are returned as they are; an existing claim and a fixed claim name are refused', () => {
    for (const storage of [StorageBackend.persistentVolumeClaim(), StorageBackend.emptyDir(), StorageBackend.inMemory()]) {
      expect(storage.partition(chart, 'docker-io')).toBe(storage);
    }
    expect(() => StorageBackend.existingClaim('data').partition(chart, 'docker-io'))
      .toThrow(/^test: 'storage' \(StorageBackend.existingClaim\("data"\)\) cannot be shared by several registries: each \(docker-io included\) would mount the same claim/);
    expect(() => StorageBackend.persistentVolumeClaim({ claimName: 'data' }).partition(chart, 'docker-io')).toThrow(/'storage.claimName' \("data"\) would name the claim of every registry/);
    expect(() => StorageBackend.s3({ bucket: 'images', region: 'eu-west-1', credentials: s3Keys }).partition(chart, 'Docker.io'))
      .toThrow(/cannot be split for key "Docker.io": a key segment is lower-case letters, digits and '-'/);
  });
});
