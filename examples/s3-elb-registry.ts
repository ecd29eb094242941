/**
 * Seed 001: htpasswd auth behind an AWS Classic ELB that terminates TLS with an ACM/IAM certificate,
 * images in S3. Nothing secret is in the repository: the S3 keys live in the Secret `s3-credentials`
 * (keys `accessKey`, `secretKey`) and the htpasswd file in the Secret `registry-htpasswd` (key
 * `htpasswd`), both created outside the chart, for example with
 * `htpasswd -Bbn -C 5 admin PASSWORD > htpasswd && kubectl -n container-registry create secret generic registry-htpasswd --from-file=htpasswd`
 * (or as Sealed Secrets / External Secrets).
 */
import { Chart, ChartProps } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ElbTlsService, HtpasswdAuth, RegistryDeployment, RegistryVersion, S3Credentials, StorageBackend } from '../src';
import { addNamespace } from './namespace';

/** Properties of `S3ElbRegistryChart`: the seed as is by default; tests swap the bucket for a local S3. */
export interface S3ElbRegistryChartProps extends ChartProps {
  /**
   * The registry release.
   * @default - the newest release with the s3 driver (3.x)
   */
  readonly version?: RegistryVersion;

  /**
   * Where images are stored.
   * @default - the seed's S3 bucket `myregistry` in us-east-1, keys from the Secret `s3-credentials`
   */
  readonly storage?: StorageBackend;

  /**
   * Expose the registry through the ELB (which also sets its external URL). Tests that reach the pod
   * directly turn it off: with the ELB's URL as `http.host`, upload locations point at the ELB.
   * @default true
   */
  readonly loadBalancer?: boolean;
}

/** Seed 001's registry: S3 storage, htpasswd, TLS at a Classic ELB, in the `container-registry` Namespace. */
export class S3ElbRegistryChart extends Chart {
  /** The registry. */
  public readonly registry: RegistryDeployment;

  /** The LoadBalancer Service, unless turned off. */
  public readonly loadBalancer?: ElbTlsService;

  public constructor(scope: Construct, id: string, props: S3ElbRegistryChartProps = {}) {
    super(scope, id, { namespace: 'container-registry', ...props });
    addNamespace(this);
    this.registry = new RegistryDeployment(this, 'Registry', {
      name: 'registry',
      auth: HtpasswdAuth.fromSecret(kplus.Secret.fromSecretName(this, 'Htpasswd', 'registry-htpasswd')),
      version: props.version,
      storage: props.storage ?? StorageBackend.s3({
        bucket: 'myregistry',
        region: 'us-east-1',
        credentials: S3Credentials.fromSecret(kplus.Secret.fromSecretName(this, 'S3Credentials', 's3-credentials')),
      }),
    });
    if (props.loadBalancer ?? true) {
      this.loadBalancer = new ElbTlsService(this, 'LoadBalancer', {
        registry: this.registry,
        name: 'registry-public',
        certificateArn: 'arn:aws:iam::123456789012:server-certificate/registry',
        hostname: 'registry.myapp.com',
      });
    }
  }
}
