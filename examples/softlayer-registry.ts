/**
 * Seed 004: the registry on IBM SoftLayer Object Storage, which speaks Swift with v1 auth.
 * The user name (`account:user`) and API key live in the Secret `softlayer-object-storage`
 * under the seed's names `OS_USERNAME` and `OS_PASSWORD`.
 */
import { Chart, ChartProps } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { RegistryAuth, RegistryDeployment, RegistryVersion, StorageBackend, SwiftAuthVersion, SwiftCredentials } from '../src';
import { addNamespace } from './namespace';

/** Options of the SoftLayer example; the defaults are the seed's. */
export interface SoftLayerRegistryChartProps extends ChartProps {
  /**
   * The object storage auth endpoint (the e2e suite points it at a loopback Swift).
   * @default 'https://dal05.objectstorage.service.networklayer.com/auth/v1.0' - Dallas 5's private endpoint, as in the seed
   */
  readonly authUrl?: string;

  /**
   * The object storage container.
   * @default 'docker-registry'
   */
  readonly container?: string;
}

/** A registry on SoftLayer Object Storage (Swift v1 auth), in the `softlayer-registry` Namespace. */
export class SoftLayerRegistryChart extends Chart {
  /** The registry. */
  public readonly registry: RegistryDeployment;

  public constructor(scope: Construct, id: string, props: SoftLayerRegistryChartProps = {}) {
    super(scope, id, { namespace: 'softlayer-registry', ...props });
    addNamespace(this);
    const secret = kplus.Secret.fromSecretName(this, 'ObjectStorage', 'softlayer-object-storage');
    this.registry = new RegistryDeployment(this, 'Registry', {
      name: 'registry',
      // The swift driver exists in 2.8 only; pinned here so that an upgrade is a visible change.
      version: RegistryVersion.V2_8,
      // Reachable only inside the cluster, as in the seed; see the README for htpasswd and the ways in.
      auth: RegistryAuth.none(),
      storage: StorageBackend.swift({
        // The private endpoint of the Dallas 5 datacenter, as in the seed.
        authUrl: props.authUrl ?? 'https://dal05.objectstorage.service.networklayer.com/auth/v1.0',
        authVersion: SwiftAuthVersion.V1,
        container: props.container ?? 'docker-registry',
        credentials: SwiftCredentials.fromSecret(secret, { usernameKey: 'OS_USERNAME', passwordKey: 'OS_PASSWORD' }),
      }),
      storageOptions: { deleteEnabled: true },
    });
  }
}
