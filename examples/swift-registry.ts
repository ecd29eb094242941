/**
 * Seed 003: the registry on OpenStack Swift, logging in to Keystone v2.0 with a tenant.
 * The swift driver exists in registry 2.8 only, which is picked because no version is given.
 * The Swift user lives in the Secret `swift-credentials` (keys `username`, `password`).
 */
import { Chart, ChartProps } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { RegistryAuth, RegistryDeployment, StorageBackend, SwiftAuthVersion, SwiftCredentials } from '../src';
import { addNamespace } from './namespace';

/** A registry on OpenStack Swift with Keystone v2 auth, in the `swift-registry` Namespace. */
export class SwiftRegistryChart extends Chart {
  /** The registry. */
  public readonly registry: RegistryDeployment;

  public constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: 'swift-registry', ...props });
    addNamespace(this);
    this.registry = new RegistryDeployment(this, 'Registry', {
      name: 'registry',
      // Reachable only inside the cluster, as in the seed; see the README for htpasswd and the ways in.
      auth: RegistryAuth.none(),
      storage: StorageBackend.swift({
        authUrl: 'https://mycloud.openstack.com:5000/v2.0',
        authVersion: SwiftAuthVersion.V2,
        tenant: 'tenantname',
        container: 'my_docker_registry',
        // The seed's `rootdirectory` is ignored by the swift driver; `prefix` is what it reads.
        prefix: '/swift/object/name/prefix',
        credentials: SwiftCredentials.fromSecret(kplus.Secret.fromSecretName(this, 'SwiftCredentials', 'swift-credentials')),
      }),
    });
  }
}
