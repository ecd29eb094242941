import { Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { construct, expectNoCredentialOutsideSecrets, synthStorage } from './object-storage-helpers';
import { RegistryVersion, StorageBackend, SwiftAuthVersion, SwiftCredentials, SwiftEndpointType, SwiftStorageOptions } from '../../src';

const creds = () => SwiftCredentials.fromSecret(kplus.Secret.fromSecretName(Testing.chart(), 'Swift', 'swift-credentials'));

function swift(options: Partial<SwiftStorageOptions> = {}): StorageBackend {
  return StorageBackend.swift({ authUrl: 'https://keystone.example.com:5000/v2.0', container: 'my_docker_registry', tenant: 'registry', credentials: creds(), ...options });
}

describe('StorageBackend.swift', () => {
  test('from JavaScript: without credentials, the error says what to give', () => {
    expect(construct(StorageBackend.swift({ authUrl: 'https://identity.example.com/v3', container: 'c' } as any), RegistryVersion.V2_8))
      .toThrow(/^test\/Registry: 'storage.credentials' is required/);
  });

  test('Keystone v2 with tenant (seed 003): every key, credentials from the Secret, registry 2.8 picked', () => {
    const { config, envByName, objects, registry, container } = synthStorage(swift({
      tenantId: '0123456789abcdef',
      region: 'RegionOne',
      prefix: '/swift/object/name/prefix',
      insecureSkipVerify: true,
      endpointType: SwiftEndpointType.INTERNAL,
      chunkSize: Size.mebibytes(32),
    }));
    expect(registry.version.version).toBe('2.8.3');
    expect(container.image).toBe('registry:2.8.3');
    expect(config.storage.swift).toEqual({
      authurl: 'https://keystone.example.com:5000/v2.0',
      authversion: 2,
      tenant: 'registry',
      tenantid: '0123456789abcdef',
      region: 'RegionOne',
      container: 'my_docker_registry',
      prefix: '/swift/object/name/prefix',
      insecureskipverify: true,
      endpointtype: 'internal',
      chunksize: 32 * 1024 * 1024,
    });
    // The driver ignores rootdirectory: it is never rendered.
    expect(config.storage.swift.rootdirectory).toBeUndefined();
    expect(envByName.REGISTRY_STORAGE_SWIFT_USERNAME).toEqual({ name: 'REGISTRY_STORAGE_SWIFT_USERNAME', valueFrom: { secretKeyRef: { name: 'swift-credentials', key: 'username' } } });
    expect(envByName.REGISTRY_STORAGE_SWIFT_PASSWORD).toEqual({ name: 'REGISTRY_STORAGE_SWIFT_PASSWORD', valueFrom: { secretKeyRef: { name: 'swift-credentials', key: 'password' } } });
    expectNoCredentialOutsideSecrets(objects, config);
    expect(objects).toMatchSnapshot();
  });

  test('v1 auth (IBM SoftLayer, TempAuth): the documented path', () => {
    const secret = kplus.Secret.fromSecretName(Testing.chart(), 'SoftLayer', 'softlayer-object-storage');
    const { config, envByName, objects } = synthStorage(StorageBackend.swift({
      authUrl: 'https://dal05.objectstorage.service.networklayer.com/auth/v1.0',
      authVersion: SwiftAuthVersion.V1,
      container: 'docker-registry',
      credentials: SwiftCredentials.fromSecret(secret, { usernameKey: 'OS_USERNAME', passwordKey: 'OS_PASSWORD' }),
    }), RegistryVersion.V2_8);
    expect(config.storage.swift).toEqual({
      authurl: 'https://dal05.objectstorage.service.networklayer.com/auth/v1.0',
      authversion: 1,
      container: 'docker-registry',
    });
    expect(envByName.REGISTRY_STORAGE_SWIFT_USERNAME.valueFrom.secretKeyRef).toEqual({ name: 'softlayer-object-storage', key: 'OS_USERNAME' });
    expect(envByName.REGISTRY_STORAGE_SWIFT_PASSWORD.valueFrom.secretKeyRef).toEqual({ name: 'softlayer-object-storage', key: 'OS_PASSWORD' });
    expectNoCredentialOutsideSecrets(objects, config);
    expect(objects).toMatchSnapshot();
  });

  test('v1 auth version read from the URL (the loopback TempAuth of the e2e suite)', () => {
    const { config } = synthStorage(StorageBackend.swift({ authUrl: 'http://127.0.0.1:8080/auth/v1.0', container: 'registry', credentials: creds() }));
    expect(config.storage.swift).toEqual({ authurl: 'http://127.0.0.1:8080/auth/v1.0', authversion: 1, container: 'registry' });
  });

  test('Keystone v3 with domains and a project', () => {
    const { config } = synthStorage(StorageBackend.swift({
      authUrl: 'https://keystone.example.com/v3',
      container: 'registry',
      credentials: creds(),
      domain: 'Default',
      tenant: 'registry',
      tenantDomainId: 'default',
    }));
    expect(config.storage.swift).toEqual({
      authurl: 'https://keystone.example.com/v3', authversion: 3, tenant: 'registry', domain: 'Default', tenantdomainid: 'default', container: 'registry',
    });
  });

  test('a pinned 3.x registry is refused: the swift driver exists in 2.8 only', () => {
    expect(construct(swift(), RegistryVersion.V3))
      .toThrow(/Registry: 'version' \(3\.1\.2\) has no 'swift' storage driver .*'swift' exists in registry 2\.8\.x: pin RegistryVersion\.V2_8/);
    expect(construct(swift(), undefined, { image: 'registry:3.0.0' })).toThrow(/'version' \(3\.0\.0\) has no 'swift' storage driver/);
  });

  describe('bad input names the property and what is valid', () => {
    test('auth URL', () => {
      expect(construct(swift({ authUrl: 'keystone:5000/v2.0' }))).toThrow(/'storage.authUrl' \("keystone:5000\/v2.0"\) must be an http:\/\/ or https:\/\/ URL/);
      expect(construct(swift({ authUrl: 'not a url' }))).toThrow(/'storage.authUrl' \("not a url"\) is not a URL: give scheme, host, optional port and path, such as "https:\/\/identity.example.com\/v3"/);
      expect(construct(swift({ authUrl: 'https://keystone.example.com/identity' })))
        .toThrow(/'storage.authVersion' is required: the auth URL's path \("\/identity"\) names no identity version/);
      expect(synthStorage(swift({ authUrl: 'https://keystone.example.com/identity', authVersion: SwiftAuthVersion.V2 })).config.storage.swift.authversion).toBe(2);
    });

    test('auth version', () => {
      expect(construct(swift({ authVersion: '4' as SwiftAuthVersion }))).toThrow(/'storage.authVersion' \("4"\) is not an auth version the swift driver knows: use SwiftAuthVersion.V1, V2 or V3/);
      expect(construct(swift({ authVersion: SwiftAuthVersion.V3 }))).toThrow(/'storage.authVersion' \(V3\) contradicts the auth URL .*v2 endpoint/);
    });

    test('settings that do not fit the auth version', () => {
      expect(construct(swift({ authUrl: 'https://swift.example.com/auth/v1.0' }))).toThrow(/'storage.tenant' is a Keystone setting, which v1 auth has no use for/);
      expect(construct(swift({ domain: 'Default' }))).toThrow(/'storage.domain' is a Keystone v3 setting, which v2 auth ignores/);
      expect(construct(swift({ tenant: undefined }))).toThrow(/'storage.tenant' is required with Keystone v2 auth \(or tenantId\)/);
      expect(construct(StorageBackend.swift({ authUrl: 'https://k.example.com/v3', container: 'c', credentials: creds() })))
        .toThrow(/'storage.domain' is required with Keystone v3 auth \(or domainId\)/);
      // Keystone v3 without a project scope: the token has no object-store endpoint, and the registry exits at start
      expect(construct(StorageBackend.swift({ authUrl: 'https://k.example.com/v3', container: 'c', domain: 'Default', credentials: creds() })))
        .toThrow(/test\/Registry: 'storage.tenant' is required with Keystone v3 auth \(or tenantId\): without a project scope the token has no object-store endpoint, and the registry exits at start .*Give the project name in tenant/);
      expect(construct(StorageBackend.swift({ authUrl: 'https://k.example.com/v3', container: 'c', domain: 'Default', tenantId: 'abc123', credentials: creds() }))).not.toThrow();
      expect(construct(StorageBackend.swift({ authUrl: 'https://k.example.com/v3', container: 'c', domain: 'Default', trustId: 't1', credentials: creds() }))).not.toThrow();
      expect(construct(swift({ tenant: ' registry' }))).toThrow(/'storage.tenant' \(" registry"\) must not be empty nor have surrounding spaces/);
    });

    test('container, prefix, region, endpoint type, chunk size', () => {
      expect(construct(swift({ container: 'a/b' }))).toThrow(/'storage.container' \("a\/b"\) must be a Swift container name: 1 to 256 bytes, without '\/'/);
      expect(construct(swift({ container: '' }))).toThrow(/'storage.container'/);
      expect(construct(swift({ prefix: 'registry/' }))).toThrow(/'storage.prefix' \("registry\/"\) must be an object name prefix/);
      expect(construct(swift({ region: 'Region One' }))).toThrow(/'storage.region' \("Region One"\) must be a region name/);
      expect(construct(swift({ endpointType: 'private' as SwiftEndpointType }))).toThrow(/'storage.endpointType' \("private"\) must be SwiftEndpointType.PUBLIC, INTERNAL or ADMIN/);
      expect(construct(swift({ chunkSize: Size.kibibytes(512) }))).toThrow(/'storage.chunkSize' \(524288 bytes\) is rejected by the swift driver: the chunk size must be at least 1048576 bytes \(1 MiB\)/);
      expect(synthStorage(swift({ chunkSize: Size.mebibytes(1) })).config.storage.swift.chunksize).toBe(1048576);
    });

    test('Secret key names', () => {
      const secret = kplus.Secret.fromSecretName(Testing.chart(), 'Bad', 'bad');
      expect(construct(swift({ credentials: SwiftCredentials.fromSecret(secret, { passwordKey: 'pass word' }) })))
        .toThrow(/'storage.credentials.passwordKey' \("pass word"\) is not a valid Secret key/);
    });
  });
});
