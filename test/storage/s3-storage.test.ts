import { Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { construct, expectNoCredentialOutsideSecrets, synthStorage } from './object-storage-helpers';
import { HtpasswdAuth, RegistryDeployment, RegistryDeploymentProps, RegistryVersion, S3Credentials, S3StorageClass, S3StorageOptions, StorageBackend } from '../../src';

const keys = () => S3Credentials.fromSecret(kplus.Secret.fromSecretName(Testing.chart(), 'S3Keys', 's3-storage'));

function s3(options: Partial<S3StorageOptions> = {}): StorageBackend {
  return StorageBackend.s3({ bucket: 'my-registry', region: 'eu-central-1', credentials: keys(), ...options });
}

describe('StorageBackend.s3', () => {
  test('from JavaScript: without credentials, or without options, the error says what to give', () => {
    expect(construct(StorageBackend.s3({ bucket: 'images', region: 'us-east-1' } as any)))
      .toThrow(/^test\/Registry: 'storage.credentials' is required: say how the registry authenticates to the store/);
    expect(construct(StorageBackend.s3(undefined as any))).toThrow(/^test\/Registry: 'storage' is required: give StorageBackend.s3\(\{ bucket, region, credentials \}\)/);
  });

  describe.each([
    ['2.8', RegistryVersion.V2_8, '/etc/docker/registry/config.yml'],
    ['3.x', RegistryVersion.V3, '/etc/distribution/config.yml'],
  ])('on registry %s', (_name, version, configPath) => {
    test('Amazon S3 with every option: keys rendered one by one, credentials from the Secret only', () => {
      const { objects, config, envByName, container } = synthStorage(s3({
        encrypt: true,
        keyId: 'alias/registry',
        chunkSize: Size.mebibytes(16),
        rootDirectory: '/registry',
        storageClass: S3StorageClass.REDUCED_REDUNDANCY,
        v4auth: true,
        skipVerify: false,
        secure: true,
      }), version);
      expect(container.args).toEqual(['serve', configPath]);
      expect(config.storage.s3).toEqual({
        region: 'eu-central-1',
        bucket: 'my-registry',
        encrypt: true,
        keyid: 'alias/registry',
        secure: true,
        skipverify: false,
        v4auth: true,
        chunksize: 16 * 1024 * 1024,
        rootdirectory: '/registry',
        storageclass: 'REDUCED_REDUNDANCY',
      });
      expect(Object.keys(config.storage).filter((k) => !['cache', 'delete', 'redirect', 'maintenance'].includes(k))).toEqual(['s3']);
      expect(envByName.REGISTRY_STORAGE_S3_ACCESSKEY).toEqual({ name: 'REGISTRY_STORAGE_S3_ACCESSKEY', valueFrom: { secretKeyRef: { name: 's3-storage', key: 'accessKey' } } });
      expect(envByName.REGISTRY_STORAGE_S3_SECRETKEY).toEqual({ name: 'REGISTRY_STORAGE_S3_SECRETKEY', valueFrom: { secretKeyRef: { name: 's3-storage', key: 'secretKey' } } });
      expectNoCredentialOutsideSecrets(objects, config);
      expect(objects).toMatchSnapshot();
    });

    test('a custom endpoint over http: secure false, path style as the version needs it', () => {
      const { config } = synthStorage(s3({ regionEndpoint: 'http://127.0.0.1:8080', region: 'us-east-1', secure: false, v4auth: true }), version);
      const expected: { [key: string]: any } = {
        region: 'us-east-1',
        regionendpoint: 'http://127.0.0.1:8080',
        bucket: 'my-registry',
        secure: false,
        v4auth: true,
      };
      if (version.major === 3) {
        // 3.x defaults forcepathstyle to false, which breaks MinIO-style endpoints; 2.8 implies it.
        expected.forcepathstyle = true;
      }
      expect(config.storage.s3).toEqual(expected);
      // GIVEN an http:// endpoint THEN secure is derived from it when not given
      expect(synthStorage(s3({ regionEndpoint: 'http://minio:9000' }), version).config.storage.s3.secure).toBe(false);
    });

    test('no endpoint: no path style key, no regionendpoint', () => {
      const { config } = synthStorage(s3(), version);
      expect(config.storage.s3).toEqual({ region: 'eu-central-1', bucket: 'my-registry' });
    });

    test('key names of the Secret are configurable', () => {
      const secret = kplus.Secret.fromSecretName(Testing.chart(), 'Aws', 'aws-creds');
      const { envByName } = synthStorage(s3({ credentials: S3Credentials.fromSecret(secret, { accessKeyKey: 'AWS_ACCESS_KEY_ID', secretKeyKey: 'AWS_SECRET_ACCESS_KEY' }) }), version);
      expect(envByName.REGISTRY_STORAGE_S3_ACCESSKEY.valueFrom.secretKeyRef).toEqual({ name: 'aws-creds', key: 'AWS_ACCESS_KEY_ID' });
      expect(envByName.REGISTRY_STORAGE_S3_SECRETKEY.valueFrom.secretKeyRef).toEqual({ name: 'aws-creds', key: 'AWS_SECRET_ACCESS_KEY' });
    });

    test('encrypt follows keyId', () => {
      expect(synthStorage(s3({ keyId: 'arn:aws:kms:eu-central-1:123456789012:key/abc' }), version).config.storage.s3.encrypt).toBe(true);
      expect(() => synthStorage(s3({ keyId: 'alias/x', encrypt: false }), version)).toThrow(/'storage.keyId' is ignored by the s3 driver unless encrypt is true/);
    });
  });

  test('IRSA on 3.x: ServiceAccount annotation, no keys anywhere', () => {
    const arn = 'arn:aws:iam::123456789012:role/registry';
    const { config, env, serviceAccount, objects } = synthStorage(s3({ credentials: S3Credentials.fromIamRole(arn) }), RegistryVersion.V3);
    expect(serviceAccount.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': arn });
    expect(env.filter((e) => e.name.startsWith('REGISTRY_STORAGE_S3_'))).toEqual([]);
    expect(config.storage.s3.accesskey).toBeUndefined();
    expectNoCredentialOutsideSecrets(objects, config);
    expect(objects).toMatchSnapshot();
  });

  test('IRSA is refused on 2.8, whose s3 driver has no web identity provider', () => {
    const storage = s3({ credentials: S3Credentials.fromIamRole('arn:aws:iam::123456789012:role/registry') });
    expect(construct(storage, RegistryVersion.V2_8)).toThrow(/'storage.credentials' is an IAM role \(IRSA\), which registry 2\.8\.3 cannot use.*RegistryVersion\.V3/);
  });

  test('a malformed role ARN is refused', () => {
    expect(construct(s3({ credentials: S3Credentials.fromIamRole('registry-role') }))).toThrow(/'storage.credentials' role ARN \("registry-role"\) must be an IAM role ARN/);
  });

  test('3.x storage classes', () => {
    expect(synthStorage(s3({ storageClass: S3StorageClass.INTELLIGENT_TIERING })).config.storage.s3.storageclass).toBe('INTELLIGENT_TIERING');
    expect(construct(s3({ storageClass: S3StorageClass.GLACIER_IR }), RegistryVersion.V2_8))
      .toThrow(/'storage.storageClass' \(GLACIER_IR\) is not known to registry 2\.8\.3, whose s3 driver accepts NONE, STANDARD, REDUCED_REDUNDANCY; the others need registry 3\.0\.0 or later$/);
    expect(synthStorage(s3({ storageClass: S3StorageClass.NONE }), RegistryVersion.V2_8).config.storage.s3.storageclass).toBe('NONE');
  });

  test('forcePathStyle: explicit on 3.x, refused where 2.8 cannot honour it', () => {
    expect(synthStorage(s3({ forcePathStyle: true })).config.storage.s3.forcepathstyle).toBe(true);
    // An Amazon endpoint keeps virtual-hosted style on 3.x unless asked otherwise.
    expect(synthStorage(s3({ regionEndpoint: 'https://s3.eu-central-1.amazonaws.com' })).config.storage.s3.forcepathstyle).toBeUndefined();
    expect(synthStorage(s3({ regionEndpoint: 'https://s3.example.com', forcePathStyle: false })).config.storage.s3.forcepathstyle).toBeUndefined();
    expect(construct(s3({ forcePathStyle: true }), RegistryVersion.V2_8)).toThrow(/'storage.forcePathStyle' \(true\) cannot be rendered for registry 2\.8\.3: it has no forcepathstyle key/);
    expect(construct(s3({ regionEndpoint: 'https://s3.example.com', forcePathStyle: false }), RegistryVersion.V2_8))
      .toThrow(/'storage.forcePathStyle' \(false\) cannot be rendered for registry 2\.8\.3.*always uses path style/);
    expect(synthStorage(s3({ regionEndpoint: 'https://s3.example.com', forcePathStyle: true }), RegistryVersion.V2_8).config.storage.s3.forcepathstyle).toBeUndefined();
  });

  test('the default version is 3.x for s3', () => {
    const { registry } = synthStorage(s3());
    expect(registry.version.version).toBe('3.1.2');
  });

  test('replicas may share S3 storage: rolling update, no single-replica limit', () => {
    const secret = kplus.Secret.fromSecretName(Testing.chart(), 'Http', 'http-secret');
    const { deployment } = synthStorage(s3(), undefined, { replicas: 3, httpSecret: { secret, key: 'secret' } });
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.strategy.type).toBe('RollingUpdate');
  });

  describe('bad input names the property and what is valid', () => {
    test.each([
      ['ab', /be 3 to 63 characters long/],
      ['My_Bucket', /use only lower-case letters, digits/],
      ['-bucket', /start and end with a letter or digit/],
      ['my..bucket', /not contain two dots in a row/],
      ['192.168.1.10', /not look like an IP address/],
      ['x'.repeat(64), /be 3 to 63 characters long/],
    ])('bucket %j', (bucket, message) => {
      expect(construct(s3({ bucket }))).toThrow(/Registry: 'storage.bucket' \(.*\) is not a valid S3 bucket name: it must/);
      expect(construct(s3({ bucket }))).toThrow(message);
    });

    test('region', () => {
      expect(construct(s3({ region: '' }))).toThrow(/'storage.region' is required by the s3 driver: give the bucket's AWS region such as "us-east-1"/);
      expect(construct(s3({ region: 'Frankfurt' }))).toThrow(/'storage.region' \("Frankfurt"\) is not a region the s3 driver of registry [0-9.]+ knows.*eu-central-1.*or set regionEndpoint/);
      // With a custom endpoint the driver does not check the region: any signing region is fine.
      expect(synthStorage(s3({ region: 'garage', regionEndpoint: 'https://s3.example.com' })).config.storage.s3.region).toBe('garage');
    });

    test.each([
      ['https://', /is not a URL: give scheme, host and optional port/],
      ['s3.example.com/bucket', /must be an http:\/\/ or https:\/\/ URL with a host and optional port only/],
      ['ftp://s3.example.com', /must be an http:\/\/ or https:\/\/ URL with a host and optional port only/],
      ['https://s3.example.com/bucket', /must be an http:\/\/ or https:\/\/ URL with a host and optional port only/],
      ['https://user:pw@s3.example.com', /'storage.regionEndpoint' puts what looks like a credential in config.yml \(the ConfigMap\) as plain text \(the URL's user and password\).*Store it in a Secret/],
    ])('regionEndpoint %j', (regionEndpoint, message) => {
      expect(construct(s3({ regionEndpoint }))).toThrow(/'storage.regionEndpoint'/);
      expect(construct(s3({ regionEndpoint }))).toThrow(message);
    });

    test('a regionEndpoint without a scheme is accepted as the driver does: https, or http with secure: false', () => {
      // GIVEN Kyma's sample value, which the driver's AWS SDK completes with a scheme (endpoints.AddScheme)
      const kyma = synthStorage(s3({ region: 'eu-central-1', regionEndpoint: 's3-eu-central-1.amazonaws.com' })).config.storage.s3;
      expect(kyma.regionendpoint).toBe('https://s3-eu-central-1.amazonaws.com');
      expect(kyma.forcepathstyle).toBeUndefined(); // still recognised as Amazon's own endpoint
      const plain = synthStorage(s3({ regionEndpoint: 'minio.minio.svc:9000', secure: false })).config.storage.s3;
      expect(plain.regionendpoint).toBe('http://minio.minio.svc:9000');
      expect(plain.secure).toBe(false);
      expect(synthStorage(s3({ regionEndpoint: 'minio.minio.svc:9000' })).config.storage.s3.regionendpoint).toBe('https://minio.minio.svc:9000');
    });

    test('secure contradicting an http:// endpoint', () => {
      expect(construct(s3({ regionEndpoint: 'http://minio:9000', secure: true }))).toThrow(/'storage.secure' \(true\) contradicts the http:\/\/ regionEndpoint/);
      expect(construct(s3({ regionEndpoint: 'https://minio:9000', secure: false }))).toThrow(/'storage.secure' \(false\) contradicts the https:\/\/ regionEndpoint/);
    });

    test('v4auth false on Amazon S3', () => {
      expect(construct(s3({ v4auth: false }))).toThrow(/'storage.v4auth' \(false\) is refused by the s3 driver on Amazon S3/);
      expect(construct(s3({ v4auth: false, regionEndpoint: 'https://s3.eu-central-1.amazonaws.com' }))).toThrow(/'storage.v4auth'/);
      expect(synthStorage(s3({ v4auth: false, regionEndpoint: 'https://ceph.example.com' })).config.storage.s3.v4auth).toBe(false);
    });

    test('chunk sizes the driver rejects', () => {
      expect(construct(s3({ chunkSize: Size.mebibytes(4) }))).toThrow(/'storage.chunkSize' \(4194304 bytes\) is rejected by the s3 driver: the chunk size must be from 5242880 bytes \(5 MiB\) to 5368709120 bytes \(5 GiB\)/);
      expect(construct(s3({ chunkSize: Size.gibibytes(6) }))).toThrow(/'storage.chunkSize'.*rejected by the s3 driver/);
      expect(synthStorage(s3({ chunkSize: Size.mebibytes(5) })).config.storage.s3.chunksize).toBe(5242880);
    });

    test('rootDirectory and keyId', () => {
      expect(construct(s3({ rootDirectory: 'a/../b' }))).toThrow(/'storage.rootDirectory' \("a\/..\/b"\) must be a key prefix/);
      expect(construct(s3({ keyId: 'my key' }))).toThrow(/'storage.keyId' \("my key"\) must be a KMS key id/);
    });

    test('Secret key names', () => {
      const secret = kplus.Secret.fromSecretName(Testing.chart(), 'Bad', 'bad');
      expect(construct(s3({ credentials: S3Credentials.fromSecret(secret, { accessKeyKey: 'access key' }) })))
        .toThrow(/'storage.credentials.accessKeyKey' \("access key"\) is not a valid Secret key/);
    });
  });

  test('deterministic: the same input synthesizes the same bytes', () => {
    const a = JSON.stringify(synthStorage(s3({ regionEndpoint: 'https://s3.example.com' })).objects);
    const b = JSON.stringify(synthStorage(s3({ regionEndpoint: 'https://s3.example.com' })).objects);
    expect(a).toBe(b);
  });
});

describe('regions the registry refuses at start', () => {
  const HASH = '$2y$05$' + 'a'.repeat(53);
  const registry = (props: Partial<RegistryDeploymentProps>, chart = Testing.chart()) =>
    new RegistryDeployment(chart, 'Registry', { auth: HtpasswdAuth.fromEntries({ entries: [`admin:${HASH}`] }), ...props });
  const s3Keys = (chart: any) => S3Credentials.fromSecret(kplus.Secret.fromSecretName(chart, 'Keys', 's3-keys'));

  test('an S3 region the version\'s driver does not know', () => {
    const chart = Testing.chart();
    expect(() => registry({ version: RegistryVersion.V2_8, storage: StorageBackend.s3({ bucket: 'images', region: 'eu-north-1', credentials: s3Keys(chart) }) }, chart))
      .toThrow(/^test\/Registry: 'storage.region' \("eu-north-1"\) is not a region the s3 driver of registry 2\.8\.\d+ knows/);
    const other = Testing.chart();
    expect(() => registry({ storage: StorageBackend.s3({ bucket: 'images', region: 'us-eats-1', credentials: s3Keys(other) }) }, other))
      .toThrow(/[Dd]id you mean "us-east-1"\?/);
  });
});
