import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { requireRootDirectory, keyPrefix } from './object-store-validation';
import { StorageBackend, StorageBindContext, StorageBinding } from './storage-backend';
import { RegistryFeature, RegistryVersion } from '../config/registry-version';
import { SecretKeyReference } from '../secret-key-reference';
import { secretEnv } from '../util/secret-env';
import { parseEndpoint, propError, requireHostname, requireProp } from '../util/validation';
import { requireFeature } from '../util/version-check';

// RegistryFeature.AZURE_DEFAULT_CREDENTIALS (3.1.0): 3.0.0 routes `default_credentials` to the shared-key client
// (distribution registry/storage/driver/azure/auth.go, `newClient`, at v3.0.0; fixed by commit e028a30ec,
// "Fix default_credentials in azure storage provider", in 3.1).

/** ServiceAccount annotation AKS workload identity reads for the managed identity's client id. */
export const AZURE_WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION = 'azure.workload.identity/client-id';

/** Pod label the AKS workload identity webhook looks for before it injects the federated token. */
export const AZURE_WORKLOAD_IDENTITY_USE_LABEL = 'azure.workload.identity/use';

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * How the azure driver of registry 3.x authenticates (`storage.azure.credentials.type`).
 */
export enum AzureCredentialsType {
  /** The storage account's access key (`shared_key`); the only method of registry 2.8. */
  SHARED_KEY = 'shared_key',
  /** A Microsoft Entra application's client secret (`client_secret`); registry 3.x only. */
  CLIENT_SECRET = 'client_secret',
  /** The Azure SDK's default credential chain (`default_credentials`): workload or managed identity; registry 3.1+. */
  DEFAULT_CREDENTIALS = 'default_credentials',
}

/**
 * Keys of a Secret holding a storage account's shared key, for `AzureCredentials.fromSecret()`.
 * The defaults match the Secret layout of Kyma's docker-registry module.
 */
export interface AzureSecretKeysOptions {
  /**
   * The key holding the storage account's access key.
   * @default 'accountKey'
   */
  readonly accountKeyKey?: string;

  /**
   * The key holding the account name, read only when `AzureStorageOptions.accountName` is not given.
   * @default 'accountName' - when `accountName` is not given
   */
  readonly accountNameKey?: string;

  /**
   * The key holding the container name, read only when `AzureStorageOptions.container` is not given.
   * @default 'container' - when `container` is not given
   */
  readonly containerKey?: string;
}

/**
 * A Microsoft Entra application's client secret, for `AzureCredentials.clientSecret()`.
 */
export interface AzureClientSecretOptions {
  /** The directory (tenant) id, a GUID or a domain such as `contoso.onmicrosoft.com`. */
  readonly tenantId: string;

  /** The application (client) id, a GUID. */
  readonly clientId: string;

  /** The Secret key holding the client secret. */
  readonly clientSecret: SecretKeyReference;
}

/**
 * Options of `AzureCredentials.defaultCredentials()`.
 */
export interface AzureDefaultCredentialsOptions {
  /**
   * The client id of the user-assigned managed identity that AKS workload identity federates the
   * registry's ServiceAccount with (annotation `azure.workload.identity/client-id`).
   * @default - no annotation: the workload identity webhook then uses its own default, or the node's managed identity applies
   */
  readonly clientId?: string;
}

/**
 * What the Azure storage backend tells its credentials when binding them.
 */
export interface AzureCredentialsBindContext {
  /** The registry release that will run. */
  readonly version: RegistryVersion;
  /** Whether `AzureStorageOptions.accountName` was given. */
  readonly accountNameGiven: boolean;
  /** Whether `AzureStorageOptions.container` was given. */
  readonly containerGiven: boolean;
}

/**
 * What credentials add to the azure driver: config keys, environment from Secrets, ServiceAccount
 * annotations and pod labels.
 */
export interface AzureCredentialsBinding {
  /**
   * Non-secret keys rendered under `storage.azure` (`credentials.type`).
   * @default - none
   */
  readonly parameters?: { [key: string]: any };
  /**
   * `REGISTRY_STORAGE_AZURE_*` variables.
   * @default - none
   */
  readonly env?: { [name: string]: kplus.EnvValue };
  /**
   * Annotations for the registry's ServiceAccount.
   * @default - none
   */
  readonly serviceAccountAnnotations?: { [key: string]: string };
  /**
   * Labels for the registry's pods.
   * @default - none
   */
  readonly podLabels?: { [key: string]: string };
}

/**
 * How the registry authenticates to Azure Blob Storage. Credentials only ever reach the registry
 * as environment variables read from a Secret.
 */
export abstract class AzureCredentials {
  /**
   * The storage account's shared access key from a Secret, on every registry version
   * (`credentials.type: shared_key` on 3.x, which it requires). Kyma's Secret layout
   * (`accountName`, `accountKey`, `container`) works as is: the account name and container are then
   * read from the Secret too, unless given in `AzureStorageOptions`.
   */
  public static fromSecret(secret: kplus.ISecret, options: AzureSecretKeysOptions = {}): AzureCredentials {
    return new SharedKeyAzureCredentials(secret, options);
  }

  /**
   * A Microsoft Entra application (service principal) with a client secret read from a Secret.
   * Registry 3.x only.
   */
  public static clientSecret(options: AzureClientSecretOptions): AzureCredentials {
    return new ClientSecretAzureCredentials(options);
  }

  /**
   * No key at all: the Azure SDK's default credential chain, such as AKS workload identity (the pod
   * gets the `azure.workload.identity/use` label) or the node's managed identity. Registry 3.1 or
   * later: 3.0.0 sends such requests with an empty shared key.
   */
  public static defaultCredentials(options: AzureDefaultCredentialsOptions = {}): AzureCredentials {
    return new DefaultAzureCredentials(options);
  }

  protected constructor() {
  }

  /** The `credentials.type` of this method. */
  public abstract get type(): AzureCredentialsType;

  /**
   * Renders the credentials for the azure driver.
   * @param scope the registry, for error messages
   * @param property the property path to name in errors
   */
  public abstract bind(scope: IConstruct, property: string, context: AzureCredentialsBindContext): AzureCredentialsBinding;
}

class SharedKeyAzureCredentials extends AzureCredentials {
  public constructor(private readonly secret: kplus.ISecret, private readonly options: AzureSecretKeysOptions) {
    super();
  }

  public get type(): AzureCredentialsType {
    return AzureCredentialsType.SHARED_KEY;
  }

  public bind(scope: IConstruct, property: string, context: AzureCredentialsBindContext): AzureCredentialsBinding {
    const o = this.options;
    if (context.accountNameGiven && o.accountNameKey !== undefined) {
      throw propError(scope, `${property}.accountNameKey`, `(${JSON.stringify(o.accountNameKey)}) contradicts 'storage.accountName': `
        + 'give the account name either in the props or as a Secret key, not both');
    }
    if (context.containerGiven && o.containerKey !== undefined) {
      throw propError(scope, `${property}.containerKey`, `(${JSON.stringify(o.containerKey)}) contradicts 'storage.container': `
        + 'give the container either in the props or as a Secret key, not both');
    }
    const accountKeyKey = o.accountKeyKey ?? 'accountKey';
    // Top-level driver keys: the registry's env parser creates them in the string-keyed parameters
    // map (configuration/parser.go, overwriteMap, at v2.8.3 and v3.0.0).
    const env: { [name: string]: kplus.EnvValue } = {
      REGISTRY_STORAGE_AZURE_ACCOUNTKEY: secretEnv(scope, `${property}.accountKeyKey`, this.secret, accountKeyKey),
    };
    if (!context.accountNameGiven) {
      env.REGISTRY_STORAGE_AZURE_ACCOUNTNAME = secretEnv(scope, `${property}.accountNameKey`, this.secret, o.accountNameKey ?? 'accountName');
    }
    if (!context.containerGiven) {
      env.REGISTRY_STORAGE_AZURE_CONTAINER = secretEnv(scope, `${property}.containerKey`, this.secret, o.containerKey ?? 'container');
    }
    // 3.x fails with `invalid credentials type: ""` without it (registry/storage/driver/azure/auth.go, newClient);
    // 2.8 has no such key.
    const parameters = context.version.supports(RegistryFeature.AZURE_CREDENTIALS)
      ? { credentials: { type: AzureCredentialsType.SHARED_KEY } }
      : undefined;
    return { parameters, env };
  }
}

class ClientSecretAzureCredentials extends AzureCredentials {
  public constructor(private readonly options: AzureClientSecretOptions) {
    super();
  }

  public get type(): AzureCredentialsType {
    return AzureCredentialsType.CLIENT_SECRET;
  }

  public bind(scope: IConstruct, property: string, context: AzureCredentialsBindContext): AzureCredentialsBinding {
    const o = this.options;
    requireFeature(scope, property, context.version, RegistryFeature.AZURE_CREDENTIALS, 'AzureCredentials.clientSecret()', SHARED_KEY_INSTEAD);
    requireNamesGiven(scope, context, 'AzureCredentials.clientSecret()');
    if (typeof o.clientId !== 'string' || !GUID.test(o.clientId)) {
      throw propError(scope, `${property}.clientId`, `(${JSON.stringify(o.clientId)}) must be the application (client) id, a GUID such as "00000000-0000-0000-0000-000000000000"`);
    }
    if (typeof o.tenantId !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9]$/.test(o.tenantId)) {
      throw propError(scope, `${property}.tenantId`, `(${JSON.stringify(o.tenantId)}) must be the directory (tenant) id: a GUID or a domain such as "contoso.onmicrosoft.com"`);
    }
    // The whole `credentials` map comes from the environment: had config.yml a `credentials` map, YAML
    // would decode it with non-string keys, and the registry ignores env vars inside such a map
    // ("Ignoring environment variable ... involving map with non-string keys", configuration/parser.go,
    // overwriteMap, v3.0.0; verified with registry 2.8.2, same parser). Created from env, the map is
    // string-keyed and the driver decodes it with mapstructure (registry/storage/driver/azure/parser.go).
    // The type, client id and tenant id are not secret; only the client secret is read from a Secret.
    return {
      env: {
        REGISTRY_STORAGE_AZURE_CREDENTIALS_CLIENTID: kplus.EnvValue.fromValue(o.clientId),
        REGISTRY_STORAGE_AZURE_CREDENTIALS_SECRET: secretEnv(scope, `${property}.clientSecret.key`, o.clientSecret.secret, o.clientSecret.key),
        REGISTRY_STORAGE_AZURE_CREDENTIALS_TENANTID: kplus.EnvValue.fromValue(o.tenantId),
        REGISTRY_STORAGE_AZURE_CREDENTIALS_TYPE: kplus.EnvValue.fromValue(AzureCredentialsType.CLIENT_SECRET),
      },
    };
  }
}

class DefaultAzureCredentials extends AzureCredentials {
  public constructor(private readonly options: AzureDefaultCredentialsOptions) {
    super();
  }

  public get type(): AzureCredentialsType {
    return AzureCredentialsType.DEFAULT_CREDENTIALS;
  }

  public bind(scope: IConstruct, property: string, context: AzureCredentialsBindContext): AzureCredentialsBinding {
    // 3.0 reads default_credentials but does not implement them: its driver signs such requests with an empty shared key
    requireFeature(scope, property, context.version, RegistryFeature.AZURE_DEFAULT_CREDENTIALS, 'AzureCredentials.defaultCredentials()',
      context.version.supports(RegistryFeature.AZURE_CREDENTIALS)
        ? `use AzureCredentials.fromSecret() or clientSecret(): registry ${context.version} reads default_credentials but signs such requests with an empty shared key`
        : SHARED_KEY_INSTEAD);
    requireNamesGiven(scope, context, 'AzureCredentials.defaultCredentials()');
    const clientId = this.options.clientId;
    if (clientId !== undefined && !GUID.test(clientId)) {
      throw propError(scope, `${property}.clientId`, `(${JSON.stringify(clientId)}) must be the managed identity's client id, a GUID such as "00000000-0000-0000-0000-000000000000"`);
    }
    return {
      parameters: { credentials: { type: AzureCredentialsType.DEFAULT_CREDENTIALS } },
      serviceAccountAnnotations: clientId !== undefined ? { [AZURE_WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION]: clientId } : undefined,
      podLabels: { [AZURE_WORKLOAD_IDENTITY_USE_LABEL]: 'true' },
    };
  }
}

/** What a registry without AZURE_CREDENTIALS can do instead: its driver knows only the shared key. */
const SHARED_KEY_INSTEAD = 'use AzureCredentials.fromSecret(): the azure driver of registry 2.8 knows only the shared key (accountname, accountkey)';

function requireNamesGiven(scope: IConstruct, context: AzureCredentialsBindContext, what: string): void {
  if (!context.accountNameGiven) {
    throw propError(scope, 'storage.accountName', `is required with ${what} (only AzureCredentials.fromSecret() can read it from the Secret): give the storage account name`);
  }
  if (!context.containerGiven) {
    throw propError(scope, 'storage.container', `is required with ${what} (only AzureCredentials.fromSecret() can read it from the Secret): give the blob container name`);
  }
}

/**
 * Options for `StorageBackend.azure()`.
 */
export interface AzureStorageOptions {
  /** How the registry authenticates to the storage account. */
  readonly credentials: AzureCredentials;

  /**
   * The storage account name (3 to 24 lower-case letters and digits).
   * @default - read from the credentials' Secret (`AzureCredentials.fromSecret()` only, key `accountName`)
   */
  readonly accountName?: string;

  /**
   * The blob container holding the registry's data (3 to 63 lower-case letters, digits and single hyphens).
   * @default - read from the credentials' Secret (`AzureCredentials.fromSecret()` only, key `container`)
   */
  readonly container?: string;

  /**
   * Domain suffix of the Blob service, for sovereign clouds (`core.chinacloudapi.cn`, `core.usgovcloudapi.net`),
   * without `blob.`: the driver builds `https://ACCOUNT.blob.REALM`.
   * @default - the driver's default, core.windows.net
   */
  readonly realm?: string;

  /**
   * The Blob service URL, for private endpoints or an emulator (`serviceurl`). Registry 3.x only.
   * @default - https://ACCOUNT.blob.REALM
   */
  readonly serviceUrl?: string;

  /**
   * A prefix for every blob the registry writes, to share a container (`rootdirectory`). Registry 3.x only:
   * the 2.8 azure driver has no such key.
   * @default - the container's root
   */
  readonly rootDirectory?: string;

  /**
   * Retries of a blob copy whose status is pending (`max_retries`); -1 disables retries. Registry 3.x only.
   * @default - the driver's default, 5
   */
  readonly maxRetries?: number;

  /**
   * Base delay between those retries, multiplied by the retry number (`retry_delay`). Registry 3.x only.
   * @default - the driver's default, 100 ms
   */
  readonly retryDelay?: Duration;

  /**
   * Skip TLS verification of the Blob service (`skipverify`), for emulators only. Registry 3.x only.
   * @default false
   */
  readonly skipVerify?: boolean;
}

/**
 * Microsoft Azure Blob Storage (the `azure` driver), rendered with each registry version's keys.
 */
export class AzureStorage extends StorageBackend {
  public constructor(private readonly options: AzureStorageOptions) {
    super();
  }

  public get driver(): string {
    return 'azure';
  }

  /** The same store with the registry's keys under `<rootDirectory>/<key>`. */
  public partition(scope: IConstruct, key: string): StorageBackend {
    return new AzureStorage({ ...this.options, rootDirectory: keyPrefix(scope, this.options?.rootDirectory, key) });
  }

  public bind(scope: Construct, context: StorageBindContext): StorageBinding {
    const o = requireProp(scope, 'storage', this.options, 'give StorageBackend.azure({ credentials })');
    requireProp(scope, 'storage.credentials', o.credentials, 'use AzureCredentials.fromSecret(secret) for a shared key, '
      + 'or on registry 3.x AzureCredentials.clientSecret() / defaultCredentials()');
    const version = context.version;
    const v3 = version.major >= 3; // the 3.x driver's parser (parser.go), new in 3.0.0
    if (o.accountName !== undefined) {
      requireAccountName(scope, 'storage.accountName', o.accountName);
    }
    if (o.container !== undefined) {
      requireContainerName(scope, 'storage.container', o.container);
    }
    if (o.realm !== undefined) requireHostname(scope, 'storage.realm', o.realm, 'core.windows.net');
    if (o.realm !== undefined && o.realm.startsWith('blob.')) {
      throw propError(scope, 'storage.realm', `(${JSON.stringify(o.realm)}) starts with 'blob.': the driver builds https://ACCOUNT.blob.REALM, so the registry would `
        + `call ACCOUNT.blob.${o.realm}. Give the suffix after 'blob.', such as "${o.realm.substring(5)}"`);
    }

    // Keys that only the 3.x driver parses (registry/storage/driver/azure/parser.go at v3.0.0); the 2.8.3 driver
    // reads accountname, accountkey, container and realm only (registry/storage/driver/azure/azure.go).
    const v3Only: Array<[string, unknown, string]> = [
      ['serviceUrl', o.serviceUrl, 'serviceurl'],
      ['rootDirectory', o.rootDirectory, 'rootdirectory'],
      ['maxRetries', o.maxRetries, 'max_retries'],
      ['retryDelay', o.retryDelay, 'retry_delay'],
      ['skipVerify', o.skipVerify, 'skipverify'],
    ];
    if (!v3) {
      for (const [prop, value, key] of v3Only) {
        if (value !== undefined) {
          throw propError(scope, `storage.${prop}`, `cannot be rendered for registry ${version}: its azure driver has no '${key}' key `
            + '(it reads accountname, accountkey, container and realm only). Drop it, or use registry 3.x (RegistryVersion.V3)');
        }
      }
    }

    let serviceurl: string | undefined;
    if (o.serviceUrl !== undefined) {
      serviceurl = parseServiceUrl(scope, 'storage.serviceUrl', o.serviceUrl);
      if (o.realm !== undefined) {
        throw propError(scope, 'storage.realm', 'is ignored when \'serviceUrl\' is set (the driver builds https://ACCOUNT.blob.REALM only without one): give one of them');
      }
    }
    const rootdirectory = o.rootDirectory !== undefined ? requireRootDirectory(scope, 'storage.rootDirectory', o.rootDirectory) : undefined;
    if (o.maxRetries !== undefined && (!Number.isInteger(o.maxRetries) || o.maxRetries < -1 || o.maxRetries > 100)) {
      throw propError(scope, 'storage.maxRetries', `(${o.maxRetries}) must be a whole number from -1 (no retries) to 100`);
    }
    let retryDelay: string | undefined;
    if (o.retryDelay !== undefined) {
      const ms = o.retryDelay.toMilliseconds();
      if (!Number.isInteger(ms) || ms < 1) {
        throw propError(scope, 'storage.retryDelay', `(${ms} ms) must be a whole number of milliseconds, at least 1, such as Duration.millis(100)`);
      }
      retryDelay = `${ms}ms`;
    }

    const credentials = o.credentials.bind(scope, 'storage.credentials', {
      version,
      accountNameGiven: o.accountName !== undefined,
      containerGiven: o.container !== undefined,
    });

    // Parameter names: docs/content/storage-drivers/azure.md and registry/storage/driver/azure/parser.go (v3.0.0);
    // docs/configuration.md and registry/storage/driver/azure/azure.go (v2.8.3).
    const parameters = ({
      accountname: o.accountName,
      container: o.container,
      ...credentials.parameters,
      realm: o.realm,
      serviceurl,
      rootdirectory,
      max_retries: o.maxRetries,
      retry_delay: retryDelay,
      skipverify: o.skipVerify,
    });
    return {
      driver: 'azure',
      parameters,
      env: credentials.env,
      serviceAccountAnnotations: credentials.serviceAccountAnnotations,
      podLabels: credentials.podLabels,
    };
  }
}

/** Azure storage account names: 3 to 24 lower-case letters and digits. */
function requireAccountName(scope: IConstruct, property: string, value: string): void {
  if (typeof value !== 'string' || !/^[a-z0-9]{3,24}$/.test(value)) {
    throw propError(scope, property, `(${JSON.stringify(value)}) is not a valid Azure storage account name: 3 to 24 lower-case letters and digits`);
  }
}

/** Azure blob container names: 3 to 63 lower-case letters, digits and hyphens, no leading, trailing or double hyphen. */
function requireContainerName(scope: IConstruct, property: string, value: string): void {
  if (typeof value !== 'string' || value.length < 3 || value.length > 63 || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(value)) {
    throw propError(scope, property, `(${JSON.stringify(value)}) is not a valid Azure blob container name: 3 to 63 lower-case letters, digits and hyphens, `
      + 'starting and ending with a letter or digit, without two hyphens in a row');
  }
}

function parseServiceUrl(scope: IConstruct, property: string, value: string): string {
  parseEndpoint(scope, property, value, 'https://myaccount.blob.core.windows.net', { path: true, credentials: 'give it with AzureCredentials' });
  return value.replace(/\/+$/, '');
}
