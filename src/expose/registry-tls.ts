import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { RegistryMount } from '../registry-mount';

/** Where the certificate and key of in-pod TLS are mounted. */
const TLS_MOUNT_PATH = '/etc/registry/tls';

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
    const volume = kplus.Volume.fromSecret(scope, 'TlsVolume', this.secret, {
      name: 'tls',
      items: {
        [certificateKey]: { path: 'tls.crt' },
        [privateKeyKey]: { path: 'tls.key' },
      },
    });
    return {
      certificatePath: `${TLS_MOUNT_PATH}/tls.crt`,
      keyPath: `${TLS_MOUNT_PATH}/tls.key`,
      mounts: [{ volume, path: TLS_MOUNT_PATH, readOnly: true }],
    };
  }
}
