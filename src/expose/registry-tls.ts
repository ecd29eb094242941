import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { RegistryMount } from '../registry-mount';
import { SecretKeyReference } from '../secret-key-reference';
import { secretVolume } from '../util/secret-env';

/** Where the certificate and key of in-pod TLS are mounted. */
const TLS_MOUNT_PATH = '/etc/registry/tls';

/** Where the CA bundle for client certificates is mounted. */
const TLS_CLIENT_CA_PATH = '/etc/registry/tls-client-ca';

/**
 * What in-pod TLS contributes to the registry.
 */
export interface TlsBinding {
  /** Path of the PEM certificate chain inside the container. */
  readonly certificatePath: string;
  /** Path of the PEM private key inside the container. */
  readonly keyPath: string;
  /** The volumes holding them. */
  readonly mounts: RegistryMount[];

  /**
   * Paths of the CA bundles client certificates must chain to (`http.tls.clientcas`).
   * @default - no client certificates asked for
   */
  readonly clientCaPaths?: string[];

  /**
   * The lowest TLS version accepted (`http.tls.minimumtls`).
   * @default - the registry's default, TLS 1.2
   */
  readonly minimumTls?: string;
}

/**
 * A TLS protocol version, for `minimumVersion`.
 */
export enum TlsVersion {
  /** TLS 1.2, the registry's default minimum. */
  TLS1_2 = 'tls1.2',
  /** TLS 1.3. */
  TLS1_3 = 'tls1.3',
}

/**
 * Options for `RegistryTls.fromSecret()`.
 */
export interface RegistryTlsFromSecretOptions {
  /**
   * Key of the certificate chain in the Secret.
   * @default 'tls.crt' - the key of a `kubernetes.io/tls` Secret (and of cert-manager's)
   */
  readonly certificateKey?: string;

  /**
   * Key of the private key in the Secret.
   * @default 'tls.key'
   */
  readonly privateKeyKey?: string;

  /**
   * A CA bundle (PEM) that client certificates must chain to (`http.tls.clientcas`): clients
   * without such a certificate cannot connect (mutual TLS). Mounted read-only from its own key.
   * The kubelet's probes cannot present a certificate either, so the readiness probe becomes a TCP
   * check: the storage health check then no longer takes the pod out of the Service.
   * @default - no client certificates asked for
   */
  readonly clientCa?: SecretKeyReference;

  /**
   * The lowest TLS version the registry accepts (`http.tls.minimumtls`).
   * @default - the registry's default, TLS 1.2 (older versions are not offered here)
   */
  readonly minimumVersion?: TlsVersion;
}

/**
 * TLS terminated by the registry itself (`http.tls`): the pod serves HTTPS, and its probes
 * switch to HTTPS.
 */
export abstract class RegistryTls {
  /**
   * Certificate and key from a Secret, such as a `kubernetes.io/tls` Secret written by
   * cert-manager. The Secret is mounted read-only; nothing of it is copied into the manifests.
   */
  public static fromSecret(secret: kplus.ISecret, options: RegistryTlsFromSecretOptions = {}): RegistryTls {
    return new SecretTls(secret, options);
  }

  protected constructor() {
  }

  /** Renders the TLS setup for a registry. */
  public abstract bind(scope: Construct): TlsBinding;
}

class SecretTls extends RegistryTls {
  public constructor(private readonly secret: kplus.ISecret, private readonly options: RegistryTlsFromSecretOptions) {
    super();
  }

  public bind(scope: Construct): TlsBinding {
    const certificateKey = this.options.certificateKey ?? 'tls.crt';
    const privateKeyKey = this.options.privateKeyKey ?? 'tls.key';
    const volume = secretVolume(scope, 'TlsVolume', 'tls', this.secret, [
      { key: certificateKey, path: 'tls.crt', property: 'tls.certificateKey' },
      { key: privateKeyKey, path: 'tls.key', property: 'tls.privateKeyKey' },
    ]);
    const mounts: RegistryMount[] = [{ volume, path: TLS_MOUNT_PATH, readOnly: true }];
    let clientCaPaths: string[] | undefined;
    if (this.options.clientCa) {
      const caVolume = secretVolume(scope, 'TlsClientCaVolume', 'tls-client-ca', this.options.clientCa.secret,
        [{ key: this.options.clientCa.key, path: 'ca.crt', property: 'tls.clientCa.key' }]);
      mounts.push({ volume: caVolume, path: TLS_CLIENT_CA_PATH, readOnly: true });
      clientCaPaths = [`${TLS_CLIENT_CA_PATH}/ca.crt`];
    }
    return {
      certificatePath: `${TLS_MOUNT_PATH}/tls.crt`,
      keyPath: `${TLS_MOUNT_PATH}/tls.key`,
      mounts,
      clientCaPaths,
      minimumTls: this.options.minimumVersion,
    };
  }
}
