import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { expectCredentialsOnlyFromSecrets, secretRef, synthStorage, synthThrows } from './cloud-storage-harness';
import { AzureCredentials, RegistryVersion, StorageBackend } from '../../src';

// Expected keys come from the distribution sources at each tag:
// - v2.8.3: docs/configuration.md (storage.azure: accountname, accountkey, container, realm) and
//   registry/storage/driver/azure/azure.go (paramAccountName, paramAccountKey, paramContainer, paramRealm; nothing else).
// - v3.0.0: docs/content/storage-drivers/azure.md and registry/storage/driver/azure/parser.go (DriverParameters:
//   credentials{type,clientid,tenantid,secret}, container, accountname, accountkey, realm, rootdirectory, serviceurl,
//   max_retries, retry_delay, skipverify) and auth.go (newClient rejects an empty credentials.type).
// Env names follow configuration/parser.go: REGISTRY_STORAGE_AZURE_<KEY> sets storage.azure.<key>.

const V3_1 = RegistryVersion.of('3.1.1');
const CREDENTIAL_KEYS = ['accountkey', 'secret'];

const kyma = (chart: any) => StorageBackend.azure({
  credentials: AzureCredentials.fromSecret(kplus.Secret.fromSecretName(chart, 'AzureSecret', 'azure-storage')),
});

describe('StorageBackend.azure: shared key', () => {
  test('Kyma Secret layout on 3.x: credentials.type shared_key, account, key and container from the Secret', () => {
    const result = synthStorage(kyma);
    expect(result.registry.version.version).toBe('3.1.2');
    expect(result.config.storage.azure).toEqual({
      // parser.go v3.0.0: Credentials.Type `mapstructure:"type"`; auth.go newClient: "" is an invalid credentials type.
      credentials: { type: 'shared_key' },
    });
    // parser.go v3.0.0: AccountKey `mapstructure:"accountkey"`, AccountName `accountname`, Container `container`,
    // all top-level keys, so REGISTRY_STORAGE_AZURE_<KEY> creates them.
    expect(result.env.REGISTRY_STORAGE_AZURE_ACCOUNTKEY).toMatchObject(secretRef('azure-storage', 'accountKey'));
    expect(result.env.REGISTRY_STORAGE_AZURE_ACCOUNTNAME).toMatchObject(secretRef('azure-storage', 'accountName'));
    expect(result.env.REGISTRY_STORAGE_AZURE_CONTAINER).toMatchObject(secretRef('azure-storage', 'container'));
    expect(Object.keys(result.env).filter((n) => n.startsWith('REGISTRY_STORAGE_')).sort()).toEqual([
      'REGISTRY_STORAGE_AZURE_ACCOUNTKEY', 'REGISTRY_STORAGE_AZURE_ACCOUNTNAME', 'REGISTRY_STORAGE_AZURE_CONTAINER',
    ]);
    expectCredentialsOnlyFromSecrets(result, 'azure', ['REGISTRY_STORAGE_AZURE_ACCOUNTKEY'], CREDENTIAL_KEYS);
    expect(result.objects).toMatchSnapshot();
  });

  test('Kyma Secret layout on 2.8: no credentials.type (2.8 has no such key), an empty azure section', () => {
    const result = synthStorage(kyma, { version: RegistryVersion.V2_8 });
    expect(result.container.image).toBe('registry:2.8.3');
    // azure.go v2.8.3 reads accountname, accountkey, container, realm only; all three come from env here.
    expect(result.config.storage.azure).toEqual({});
    expect(result.configText).toMatch(/^ {2}azure: \{\}$/m);
    expect(result.env.REGISTRY_STORAGE_AZURE_ACCOUNTKEY).toMatchObject(secretRef('azure-storage', 'accountKey'));
    expect(result.env.REGISTRY_STORAGE_AZURE_ACCOUNTNAME).toMatchObject(secretRef('azure-storage', 'accountName'));
    expect(result.env.REGISTRY_STORAGE_AZURE_CONTAINER).toMatchObject(secretRef('azure-storage', 'container'));
    expectCredentialsOnlyFromSecrets(result, 'azure', ['REGISTRY_STORAGE_AZURE_ACCOUNTKEY'], CREDENTIAL_KEYS);
    expect(result.objects).toMatchSnapshot();
  });

  test('2.8 with account and container in the props, a sovereign-cloud realm and custom key names', () => {
    const result = synthStorage((chart) => StorageBackend.azure({
      accountName: 'registrystore',
      container: 'images',
      realm: 'core.chinacloudapi.cn',
      credentials: AzureCredentials.fromSecret(kplus.Secret.fromSecretName(chart, 'S', 'az'), { accountKeyKey: 'key' }),
    }), { version: RegistryVersion.V2_8 });
    expect(result.config.storage.azure).toEqual({
      accountname: 'registrystore', // docs/configuration.md v2.8.3: accountname
      container: 'images', // docs/configuration.md v2.8.3: container
      realm: 'core.chinacloudapi.cn', // azure.go v2.8.3: paramRealm, default azure.DefaultBaseURL
    });
    expect(result.env.REGISTRY_STORAGE_AZURE_ACCOUNTKEY).toMatchObject(secretRef('az', 'key'));
    expect(result.env.REGISTRY_STORAGE_AZURE_ACCOUNTNAME).toBeUndefined();
    expect(result.env.REGISTRY_STORAGE_AZURE_CONTAINER).toBeUndefined();
  });

  test('3.x with every 3.x key', () => {
    const result = synthStorage((chart) => StorageBackend.azure({
      accountName: 'registrystore',
      container: 'images',
      serviceUrl: 'https://registrystore.privatelink.blob.core.windows.net/',
      rootDirectory: '/registry',
      maxRetries: 3,
      retryDelay: Duration.millis(250),
      skipVerify: false,
      credentials: AzureCredentials.fromSecret(kplus.Secret.fromSecretName(chart, 'S', 'az')),
    }));
    expect(result.config.storage.azure).toEqual({
      accountname: 'registrystore', // parser.go v3.0.0: accountname (required)
      container: 'images', // parser.go v3.0.0: container (required)
      credentials: { type: 'shared_key' }, // parser.go v3.0.0: credentials.type; azure.md: shared_key
      serviceurl: 'https://registrystore.privatelink.blob.core.windows.net', // parser.go v3.0.0: serviceurl (string)
      rootdirectory: '/registry', // parser.go v3.0.0: rootdirectory (string)
      max_retries: 3, // parser.go v3.0.0: max_retries (int)
      retry_delay: '250ms', // parser.go v3.0.0: retry_delay (string, time.ParseDuration in azure.go New)
      skipverify: false, // parser.go v3.0.0: skipverify (bool)
    });
    expect(result.env.REGISTRY_STORAGE_AZURE_ACCOUNTNAME).toBeUndefined();
    expectCredentialsOnlyFromSecrets(result, 'azure', ['REGISTRY_STORAGE_AZURE_ACCOUNTKEY'], CREDENTIAL_KEYS);
  });

  test('same input, same bytes', () => {
    expect(synthStorage(kyma).configText).toBe(synthStorage(kyma).configText);
  });
});

describe('StorageBackend.azure: client secret and default credentials (3.x)', () => {
  test('client secret: the whole credentials map from env, the secret from a Secret', () => {
    const result = synthStorage((chart) => StorageBackend.azure({
      accountName: 'registrystore',
      container: 'images',
      credentials: AzureCredentials.clientSecret({
        tenantId: '11111111-2222-3333-4444-555555555555',
        clientId: '66666666-7777-8888-9999-000000000000',
        clientSecret: { secret: kplus.Secret.fromSecretName(chart, 'Sp', 'registry-sp'), key: 'clientSecret' },
      }),
    }));
    // A credentials map in config.yml would be decoded with non-string keys, and the registry would then ignore
    // REGISTRY_STORAGE_AZURE_CREDENTIALS_SECRET (configuration/parser.go overwriteMap); so none is rendered.
    expect(result.config.storage.azure).toEqual({ accountname: 'registrystore', container: 'images' });
    // parser.go v3.0.0 Credentials: type, clientid, tenantid, secret.
    expect(result.env.REGISTRY_STORAGE_AZURE_CREDENTIALS_TYPE).toEqual({ name: 'REGISTRY_STORAGE_AZURE_CREDENTIALS_TYPE', value: 'client_secret' });
    expect(result.env.REGISTRY_STORAGE_AZURE_CREDENTIALS_CLIENTID.value).toBe('66666666-7777-8888-9999-000000000000');
    expect(result.env.REGISTRY_STORAGE_AZURE_CREDENTIALS_TENANTID.value).toBe('11111111-2222-3333-4444-555555555555');
    expect(result.env.REGISTRY_STORAGE_AZURE_CREDENTIALS_SECRET).toMatchObject(secretRef('registry-sp', 'clientSecret'));
    expect(result.env.REGISTRY_STORAGE_AZURE_ACCOUNTKEY).toBeUndefined();
    expectCredentialsOnlyFromSecrets(result, 'azure', ['REGISTRY_STORAGE_AZURE_CREDENTIALS_SECRET'], CREDENTIAL_KEYS);
    expect(result.objects).toMatchSnapshot();
  });

  test('default credentials on 3.1: workload identity annotation and pod label, no key', () => {
    const result = synthStorage(() => StorageBackend.azure({
      accountName: 'registrystore',
      container: 'images',
      credentials: AzureCredentials.defaultCredentials({ clientId: '66666666-7777-8888-9999-000000000000' }),
    }), { version: V3_1, image: 'ghcr.io/distribution/distribution:3.1.1' });
    // azure.md v3.1.1: "use the default_credentials type. There's no need to set the other credentials fields."
    expect(result.config.storage.azure).toEqual({ accountname: 'registrystore', container: 'images', credentials: { type: 'default_credentials' } });
    expect(Object.keys(result.env).filter((n) => n.startsWith('REGISTRY_STORAGE_'))).toEqual([]);
    expect(result.serviceAccount.metadata.annotations).toEqual({ 'azure.workload.identity/client-id': '66666666-7777-8888-9999-000000000000' });
    expect(result.deployment.spec.template.metadata.labels['azure.workload.identity/use']).toBe('true');
    expect(result.deployment.spec.selector.matchLabels['azure.workload.identity/use']).toBeUndefined();
    expect(result.objects).toMatchSnapshot();
  });
});

describe('StorageBackend.azure: bad input', () => {
  const secret = (chart: any) => kplus.Secret.fromSecretName(chart, 'S', 'az');

  test('client secret on 2.8 names the property and the versions', () => {
    expect(synthThrows((chart) => StorageBackend.azure({
      accountName: 'registrystore',
      container: 'images',
      credentials: AzureCredentials.clientSecret({ tenantId: 'contoso.onmicrosoft.com', clientId: '66666666-7777-8888-9999-000000000000', clientSecret: { secret: secret(chart), key: 'k' } }),
    }), { version: RegistryVersion.V2_8 })).toThrow(/Registry: 'storage.credentials' \(AzureCredentials.clientSecret\(\)\) needs registry 3.0.0 or later.*AzureCredentials.fromSecret/);
  });

  test('default credentials on 2.8 and on 3.0.0', () => {
    const make = () => StorageBackend.azure({ accountName: 'registrystore', container: 'images', credentials: AzureCredentials.defaultCredentials() });
    expect(synthThrows(make, { version: RegistryVersion.V2_8 })).toThrow(/'storage.credentials' \(AzureCredentials.defaultCredentials\(\)\) needs registry 3.1.0 or later/);
    expect(synthThrows(make, { version: RegistryVersion.V3_0 })).toThrow(/'storage.credentials' \(AzureCredentials.defaultCredentials\(\)\) needs registry 3.1.0 or later.*registry 3.0.0 reads default_credentials but signs such requests with an empty shared key/);
  });

  test('3.x-only keys on 2.8', () => {
    const on28 = (extra: object) => synthThrows(
      (chart) => StorageBackend.azure({ credentials: AzureCredentials.fromSecret(secret(chart)), ...extra }),
      { version: RegistryVersion.V2_8 },
    );
    expect(on28({ rootDirectory: '/registry' })).toThrow(/'storage.rootDirectory' cannot be rendered for registry 2.8.3: its azure driver has no 'rootdirectory' key/);
    expect(on28({ serviceUrl: 'https://a.blob.core.windows.net' })).toThrow(/'storage.serviceUrl' cannot be rendered for registry 2.8.3/);
    expect(on28({ maxRetries: 2 })).toThrow(/'storage.maxRetries'.*'max_retries'/);
    expect(on28({ retryDelay: Duration.seconds(1) })).toThrow(/'storage.retryDelay'/);
    expect(on28({ skipVerify: true })).toThrow(/'storage.skipVerify'/);
  });

  test('invalid names, URLs and values', () => {
    const make = (extra: object) => synthThrows(
      (chart) => StorageBackend.azure({ credentials: AzureCredentials.fromSecret(secret(chart)), ...extra }),
    );
    expect(make({ accountName: 'My-Account' })).toThrow(/'storage.accountName' \("My-Account"\) is not a valid Azure storage account name: 3 to 24 lower-case letters and digits/);
    expect(make({ container: 'a--b' })).toThrow(/'storage.container' \("a--b"\) is not a valid Azure blob container name/);
    expect(make({ container: 'ab' })).toThrow(/'storage.container'/);
    expect(make({ serviceUrl: 'not a url' })).toThrow(/'storage.serviceUrl' \("not a url"\) is not a URL/);
    expect(make({ serviceUrl: 'ftp://x.example.com' })).toThrow(/'storage.serviceUrl'.*must be an http:\/\/ or https:\/\/ URL/);
    expect(make({ serviceUrl: 'https://a.blob.core.windows.net', realm: 'core.windows.net' })).toThrow(/'storage.realm' is ignored when 'serviceUrl' is set/);
    expect(make({ realm: 'https://core.windows.net' })).toThrow(/'storage.realm' \("https:\/\/core.windows.net"\) must be a lower-case DNS name such as "core.windows.net"/);
    // the driver builds https://ACCOUNT.blob.REALM (2.8.2: azure-sdk-for-go storage client.go; 3.1.1: azure/parser.go)
    expect(make({ realm: 'blob.core.chinacloudapi.cn' })).toThrow(/'storage.realm' \("blob.core.chinacloudapi.cn"\) starts with 'blob.': the driver builds https:\/\/ACCOUNT.blob.REALM, so the registry would call ACCOUNT.blob.blob.core.chinacloudapi.cn. Give the suffix after 'blob.', such as "core.chinacloudapi.cn"/);
    expect(make({ rootDirectory: '../x' })).toThrow(/'storage.rootDirectory'/);
    expect(make({ maxRetries: -2 })).toThrow(/'storage.maxRetries' \(-2\) must be a whole number from -1/);
    expect(make({ retryDelay: Duration.millis(0) })).toThrow(/'storage.retryDelay'/);
  });

  test('account name or container given twice, or missing where the Secret cannot supply it', () => {
    expect(synthThrows((chart) => StorageBackend.azure({
      accountName: 'registrystore',
      credentials: AzureCredentials.fromSecret(secret(chart), { accountNameKey: 'name' }),
    }))).toThrow(/'storage.credentials.accountNameKey' \("name"\) contradicts 'storage.accountName'/);
    expect(synthThrows((chart) => StorageBackend.azure({
      container: 'images',
      credentials: AzureCredentials.fromSecret(secret(chart), { containerKey: 'c' }),
    }))).toThrow(/'storage.credentials.containerKey'/);
    expect(synthThrows((chart) => StorageBackend.azure({
      container: 'images',
      credentials: AzureCredentials.clientSecret({ tenantId: 't1', clientId: '66666666-7777-8888-9999-000000000000', clientSecret: { secret: secret(chart), key: 'k' } }),
    }))).toThrow(/'storage.accountName' is required with AzureCredentials.clientSecret\(\)/);
    expect(synthThrows(() => StorageBackend.azure({ accountName: 'registrystore', credentials: AzureCredentials.defaultCredentials() }), { version: V3_1 }))
      .toThrow(/'storage.container' is required with AzureCredentials.defaultCredentials\(\)/);
  });

  test('bad client ids, tenant ids and Secret keys', () => {
    const sp = (clientId: string, tenantId: string, key = 'k') => synthThrows((chart) => StorageBackend.azure({
      accountName: 'registrystore',
      container: 'images',
      credentials: AzureCredentials.clientSecret({ tenantId, clientId, clientSecret: { secret: secret(chart), key } }),
    }));
    expect(sp('app', 'contoso.onmicrosoft.com')).toThrow(/'storage.credentials.clientId' \("app"\) must be the application \(client\) id, a GUID/);
    expect(sp('66666666-7777-8888-9999-000000000000', 'bad tenant')).toThrow(/'storage.credentials.tenantId'/);
    expect(sp('66666666-7777-8888-9999-000000000000', 'contoso.onmicrosoft.com', 'a/b')).toThrow(/'storage.credentials.clientSecret.key' \("a\/b"\) is not a valid Secret key/);
    expect(synthThrows((chart) => StorageBackend.azure({ credentials: AzureCredentials.fromSecret(secret(chart), { accountKeyKey: '' }) })))
      .toThrow(/'storage.credentials.accountKeyKey'/);
    expect(synthThrows(() => StorageBackend.azure({ accountName: 'abc', container: 'abc', credentials: AzureCredentials.defaultCredentials({ clientId: 'x' }) }), { version: V3_1 }))
      .toThrow(/'storage.credentials.clientId' \("x"\) must be the managed identity's client id/);
  });
});
