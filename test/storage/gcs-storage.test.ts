import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { expectCredentialsOnlyFromSecrets, Obj, synthStorage, synthThrows } from './cloud-storage-harness';
import { GcsCredentials, RegistryVersion, StorageBackend } from '../../src';

// Expected keys come from the distribution sources at each tag (/var/tmp/distribution-src/<tag>):
// - v2.8.3: docs/configuration.md (storage.gcs: bucket, keyfile, credentials, rootdirectory, chunksize) and
//   registry/storage/driver/gcs/gcs.go FromParameters (bucket, rootdirectory, chunksize >= 256 KiB and a multiple of
//   it, keyfile read with ioutil.ReadFile, credentials, maxconcurrency >= 25; else google.DefaultTokenSource).
// - v3.0.0: docs/content/storage-drivers/gcs.md (bucket, keyfile, rootdirectory, chunksize) and gcs.go FromParameters
//   (the same keys plus useragent; the same chunk size checks; Application Default Credentials without a key).
// - v3.1.1 (stands in for 3.1.2): gcs.go FromParameters reads exactly the keys of 3.0.0 with the same checks
//   (`diff v3.0.0 v3.1.1` of gcs.go: error messages lower-cased, `any` for `interface{}`, the MD5 set before the write
//   in putContent; no key added, removed or renamed); docs/content/storage-drivers/gcs.md is unchanged. Line numbers
//   below are v3.1.1's. A keyfile must hold a `service_account` key (google.JWTConfigFromJSON, gcs.go:166), so
//   workload identity goes through Application Default Credentials (no keyfile), as GcsCredentials.workloadIdentity renders.
// The official 2.8.3 image is built with BUILDTAGS="include_oss,include_gcs" (Dockerfile at v2.8.3).

/** The keys each release's gcs.go FromParameters reads (parameters["..."]), with its line there. */
const KEYS_READ: { [line: string]: { [key: string]: string } } = {
  '2.8': { bucket: 'gcs.go:116', rootdirectory: 'gcs.go:121', chunksize: 'gcs.go:127', keyfile: 'gcs.go:153', credentials: 'gcs.go:163', maxconcurrency: 'gcs.go:196' },
  '3.0': {
    bucket: 'gcs.go:120',
    rootdirectory: 'gcs.go:125',
    chunksize: 'gcs.go:131',
    keyfile: 'gcs.go:160',
    credentials: 'gcs.go:171',
    useragent: 'gcs.go:208',
    maxconcurrency: 'gcs.go:219',
  },
  '3.1': {
    bucket: 'gcs.go:121',
    rootdirectory: 'gcs.go:126',
    chunksize: 'gcs.go:132',
    keyfile: 'gcs.go:161',
    credentials: 'gcs.go:172',
    useragent: 'gcs.go:209',
    maxconcurrency: 'gcs.go:220',
  },
};

/** What each release is expected to get, written out per release (not derived from another release's). */
const EXPECTED: { [line: string]: { keyFile: Obj; workloadIdentity: Obj } } = {
  '2.8': {
    // gcs.go 2.8.3: bucket required (:116), keyfile a path read from disk (:153), chunksize an int, multiple of 256 KiB (:127)
    keyFile: { bucket: 'registry-images', keyfile: '/etc/registry/gcs/key.json', rootdirectory: 'dir', chunksize: 5242880 },
    // maxconcurrency: base.GetLimitFromParameter(..., minConcurrency 25, default 50) (:196); no key: DefaultTokenSource
    workloadIdentity: { bucket: 'registry-images', maxconcurrency: 25 },
  },
  '3.0': {
    // gcs.go 3.0.0: bucket (:120), keyfile (:160, os.ReadFile then JWTConfigFromJSON), rootdirectory (:125), chunksize (:131)
    keyFile: { bucket: 'registry-images', keyfile: '/etc/registry/gcs/key.json', rootdirectory: 'dir', chunksize: 5242880 },
    // maxconcurrency (:219, min 25, default 50); no keyfile and no credentials: google.DefaultTokenSource (:202)
    workloadIdentity: { bucket: 'registry-images', maxconcurrency: 25 },
  },
  '3.1': {
    // gcs.go 3.1.1: bucket (:121), keyfile (:161, os.ReadFile then JWTConfigFromJSON), rootdirectory (:126), chunksize (:132)
    keyFile: { bucket: 'registry-images', keyfile: '/etc/registry/gcs/key.json', rootdirectory: 'dir', chunksize: 5242880 },
    // maxconcurrency (:220, min 25, default 50); no keyfile and no credentials: google.DefaultTokenSource (:203)
    workloadIdentity: { bucket: 'registry-images', maxconcurrency: 25 },
  },
};

const CREDENTIAL_KEYS = ['credentials', 'private_key', 'private_key_id'];

const keyFile = (extra: object = {}) => (chart: any) => StorageBackend.gcs({
  bucket: 'registry-images',
  credentials: GcsCredentials.fromKeyFileSecret(kplus.Secret.fromSecretName(chart, 'GcsSecret', 'gcs-secret'), { key: 'accountkey' }),
  ...extra,
});

describe('StorageBackend.gcs', () => {
  for (const version of [RegistryVersion.V2_8, RegistryVersion.V3_0, RegistryVersion.V3_1]) {
    test(`key file from a Secret, mounted read-only, on ${version}`, () => {
      const result = synthStorage(keyFile({ rootDirectory: 'dir', chunkSize: Size.mebibytes(5) }), { version });
      expect(result.config.storage.gcs).toEqual(EXPECTED[version.line].keyFile);
      expect(Object.keys(result.config.storage.gcs).filter((k) => !(k in KEYS_READ[version.line]))).toEqual([]);
      const pod = result.deployment.spec.template.spec;
      const volume = pod.volumes.find((v: Obj) => v.name === 'gcs-key');
      // Only the key is projected, under the name keyfile points at.
      expect(volume.secret).toEqual({ secretName: 'gcs-secret', defaultMode: 0o440, items: [{ key: 'accountkey', path: 'key.json' }] });
      expect(result.container.volumeMounts.find((m: Obj) => m.name === 'gcs-key')).toEqual({ name: 'gcs-key', mountPath: '/etc/registry/gcs', readOnly: true });
      expect(Object.keys(result.env).filter((n) => n.startsWith('REGISTRY_STORAGE_'))).toEqual([]);
      expect(result.serviceAccount.metadata.annotations).toBeUndefined();
      expectCredentialsOnlyFromSecrets(result, 'gcs', [], CREDENTIAL_KEYS);
      expect(result.objects).toMatchSnapshot();
    });

    test(`workload identity on ${version}: no key, the Google service account on the ServiceAccount`, () => {
      const result = synthStorage(() => StorageBackend.gcs({
        bucket: 'registry-images',
        maxConcurrency: 25,
        credentials: GcsCredentials.workloadIdentity('registry@my-project.iam.gserviceaccount.com'),
      }), { version });
      // Without keyfile and credentials the driver uses google.DefaultTokenSource (gcs.go, every tag).
      expect(result.config.storage.gcs).toEqual(EXPECTED[version.line].workloadIdentity);
      expect(Object.keys(result.config.storage.gcs).filter((k) => !(k in KEYS_READ[version.line]))).toEqual([]);
      expect(result.serviceAccount.metadata.annotations).toEqual({ 'iam.gke.io/gcp-service-account': 'registry@my-project.iam.gserviceaccount.com' });
      expect(result.deployment.spec.template.spec.volumes.map((v: Obj) => v.name)).not.toContain('gcs-key');
      expect(result.objects).toMatchSnapshot();
    });
  }

  test('workload identity federation without a Google service account: no annotation', () => {
    const result = synthStorage(() => StorageBackend.gcs({ bucket: 'registry-images', credentials: GcsCredentials.workloadIdentity() }));
    expect(result.config.storage.gcs).toEqual({ bucket: 'registry-images' });
    expect(result.serviceAccount.metadata.annotations).toBeUndefined();
  });

  test('the default compute service account is a valid email too', () => {
    const result = synthStorage(() => StorageBackend.gcs({
      bucket: 'registry-images', credentials: GcsCredentials.workloadIdentity('123456789012-compute@developer.gserviceaccount.com'),
    }));
    expect(result.serviceAccount.metadata.annotations).toEqual({ 'iam.gke.io/gcp-service-account': '123456789012-compute@developer.gserviceaccount.com' });
  });

  test('the default key name is key.json; 3.x is picked by default', () => {
    const result = synthStorage((chart) => StorageBackend.gcs({
      bucket: 'registry.example.com',
      credentials: GcsCredentials.fromKeyFileSecret(kplus.Secret.fromSecretName(chart, 'K', 'gcs-key')),
    }));
    expect(result.registry.version.version).toBe('3.1.2');
    const volume = result.deployment.spec.template.spec.volumes.find((v: Obj) => v.name === 'gcs-key');
    expect(volume.secret.items).toEqual([{ key: 'key.json', path: 'key.json' }]);
  });

  test('chunk sizes: multiples of 256 KiB pass', () => {
    const size = (chunkSize: Size) => synthStorage(() => StorageBackend.gcs({ bucket: 'abc', chunkSize, credentials: GcsCredentials.workloadIdentity() })).config.storage.gcs.chunksize;
    expect(size(Size.kibibytes(256))).toBe(262144);
    expect(size(Size.mebibytes(16))).toBe(16777216);
  });
});

describe('StorageBackend.gcs: bad input', () => {
  const make = (extra: object) => synthThrows(() => StorageBackend.gcs({ bucket: 'registry-images', credentials: GcsCredentials.workloadIdentity(), ...extra }));

  test('chunk sizes the driver rejects', () => {
    expect(make({ chunkSize: Size.kibibytes(128) })).toThrow(/'storage.chunkSize' \(131072 bytes\) is rejected by the gcs driver: the chunk size must be a positive multiple of 256 KiB/);
    expect(make({ chunkSize: Size.kibibytes(300) })).toThrow(/'storage.chunkSize' \(307200 bytes\).*multiple of 256 KiB/);
  });

  test("a chunk size in bytes, as Kyma's values give it, fails with the Size to write instead", () => {
    // GIVEN `chunksize: 5242880` copied from a values file, passed from JavaScript (the TypeScript type is Size)
    expect(make({ chunkSize: 5242880 })).toThrow(/'storage.chunkSize' \(5242880\) is a number of bytes, and cdk8s Size has no bytes unit: write Size.mebibytes\(5\) \(= 5242880 bytes\)/);
    expect(make({ chunkSize: 786432 })).toThrow(/write Size.kibibytes\(768\) \(= 786432 bytes\)/);
    expect(make({ chunkSize: 1000 })).toThrow(/write a whole number of KiB, such as Size.kibibytes\(1\)/);
    // THEN what the message says to write is accepted and renders the same bytes
    const chunksize = synthStorage(() => StorageBackend.gcs({ bucket: 'abc', chunkSize: Size.kibibytes(5242880 / 1024), credentials: GcsCredentials.workloadIdentity() }))
      .config.storage.gcs.chunksize;
    expect(chunksize).toBe(5242880);
  });

  test('invalid bucket names', () => {
    for (const bucket of ['AB', 'My_Bucket', '-abc', 'goog-registry', 'my-google-bucket', '192.168.1.1', 'a'.repeat(64), 'a..b']) {
      expect(make({ bucket })).toThrow(/'storage.bucket' .* is not a valid GCS bucket name/);
    }
  });

  test('other values', () => {
    expect(make({ maxConcurrency: 10 })).toThrow(/'storage.maxConcurrency' \(10\) must be a whole number from 25/);
    expect(make({ rootDirectory: 'a/../b' })).toThrow(/'storage.rootDirectory'/);
    expect(synthThrows(() => StorageBackend.gcs({ bucket: 'abc', credentials: GcsCredentials.workloadIdentity('registry') })))
      .toThrow(/'storage.credentials' service account \("registry"\) must be a Google service account email/);
    expect(synthThrows((chart) => StorageBackend.gcs({ bucket: 'abc', credentials: GcsCredentials.fromKeyFileSecret(kplus.Secret.fromSecretName(chart, 'K', 'k'), { key: 'a b' }) })))
      .toThrow(/'storage.credentials.key' \("a b"\) is not a valid Secret key/);
  });
});
