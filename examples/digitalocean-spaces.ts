/**
 * Seed 000: the registry on OpenShift, storing images in a DigitalOcean Space in `ams3`.
 * The Spaces access key lives in the Secret `spaces-credentials` (keys `accessKey`, `secretKey`),
 * created outside the chart, for example with
 * `oc create secret generic spaces-credentials --from-literal=accessKey=... --from-literal=secretKey=...`.
 * Users log in with an htpasswd file from the Secret `registry-htpasswd` (key `htpasswd`), and reach the
 * registry through an edge Route that redirects plain HTTP.
 */
import { Chart, ChartProps } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  BlobDescriptorCache, HtpasswdAuth, Platform, RegistryDeployment, RegistryRoute, RouteTermination, S3Credentials, StorageBackend,
} from '../src';
import { addNamespace } from './namespace';

/** A registry on OpenShift backed by DigitalOcean Spaces, in the `spaces-registry` Namespace. */
export class DigitalOceanSpacesRegistryChart extends Chart {
  /** The registry. */
  public readonly registry: RegistryDeployment;

  public constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: 'spaces-registry', ...props });
    addNamespace(this);
    const keys = kplus.Secret.fromSecretName(this, 'SpacesCredentials', 'spaces-credentials');
    this.registry = new RegistryDeployment(this, 'Registry', {
      name: 'registry',
      platform: Platform.OPENSHIFT,
      auth: HtpasswdAuth.fromSecret(kplus.Secret.fromSecretName(this, 'Htpasswd', 'registry-htpasswd')),
      storage: StorageBackend.digitalOceanSpaces({
        region: 'ams3',
        bucket: 'space-name',
        credentials: S3Credentials.fromSecret(keys),
      }),
      storageOptions: { deleteEnabled: true, blobDescriptorCache: BlobDescriptorCache.INMEMORY },
      // Object storage is shared, so replicas may be added; they need a common http.secret.
      replicas: 2,
      httpSecret: { secret: kplus.Secret.fromSecretName(this, 'HttpSecret', 'registry-http-secret'), key: 'secret' },
    });
    new RegistryRoute(this, 'Route', {
      registry: this.registry,
      host: 'registry.apps.example.com',
      termination: RouteTermination.edge(),
    });
  }
}
