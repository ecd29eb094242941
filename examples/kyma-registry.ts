/**
 * Seed 002: the storage variants of Kyma's docker-registry module (Azure, S3, GCS, BTP Object Store,
 * an existing PVC), each expressed with the library and using Kyma's own Secret layouts as they are.
 * Each chart runs in its own Namespace; the Secrets are managed outside the charts.
 */
import { Chart, ChartProps, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { AzureCredentials, BtpHyperscaler, GcsCredentials, RegistryAuth, RegistryDeployment, S3Credentials, StorageBackend } from '../src';
import { addNamespace } from './namespace';

/** A chart holding one registry in its own Namespace, the way every Kyma variant below is laid out. */
abstract class KymaRegistryChart extends Chart {
  /** The registry. */
  public readonly registry: RegistryDeployment;

  protected constructor(scope: Construct, id: string, namespace: string, props: ChartProps, storage: (chart: Chart) => StorageBackend) {
    super(scope, id, { namespace, ...props });
    addNamespace(this);
    this.registry = new RegistryDeployment(this, 'Registry', {
      name: 'registry',
      // Reachable only inside the cluster; see the README for htpasswd and the ways in.
      auth: RegistryAuth.none(),
      storage: storage(this),
    });
  }
}

/**
 * `spec.storage.azure.secretName: azure-storage`: the Secret holds `accountName`, `accountKey` and
 * `container`, and all three reach the registry from it (registry 3.x, `credentials.type: shared_key`).
 */
export class KymaAzureRegistryChart extends KymaRegistryChart {
  public constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, 'kyma-registry-azure', props, (chart) => StorageBackend.azure({
      credentials: AzureCredentials.fromSecret(kplus.Secret.fromSecretName(chart, 'AzureStorage', 'azure-storage')),
    }));
  }
}

/**
 * `spec.storage.gcs`: a bucket, a root directory, a 5 MiB chunk size, and the service account key (JSON) in
 * the Secret `gcs-secret` under Kyma's key `accountkey`, mounted as a file. (The seed's bucket name
 * `bucketName` is not a valid GCS bucket name: GCS names are lower-case.)
 */
export class KymaGcsRegistryChart extends KymaRegistryChart {
  public constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, 'kyma-registry-gcs', props, (chart) => StorageBackend.gcs({
      bucket: 'kyma-registry-images',
      rootDirectory: 'dir',
      chunkSize: Size.mebibytes(5),
      credentials: GcsCredentials.fromKeyFileSecret(kplus.Secret.fromSecretName(chart, 'GcsSecret', 'gcs-secret'), { key: 'accountkey' }),
    }));
  }
}

/** `spec.storage.pvc.name: existing-pvc`: filesystem storage on a claim that already exists. */
export class KymaPvcRegistryChart extends KymaRegistryChart {
  public constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, 'kyma-registry-pvc', props, () => StorageBackend.existingClaim('existing-pvc'));
  }
}

/**
 * `spec.storage.s3`: bucket and region, `encrypt: false`, `secure: true`, keys in the Secret `s3-storage`
 * (`accessKey`, `secretKey`). The seed's `regionEndpoint` is AWS's own endpoint for the region, which the
 * driver derives from `region`, so it is left out (as a custom endpoint it would also switch 3.x to path style).
 */
export class KymaS3RegistryChart extends KymaRegistryChart {
  public constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, 'kyma-registry-s3', props, (chart) => StorageBackend.s3({
      bucket: 'kyma-registry-images',
      region: 'eu-central-1',
      encrypt: false,
      secure: true,
      credentials: S3Credentials.fromSecret(kplus.Secret.fromSecretName(chart, 'S3Storage', 's3-storage')),
    }));
  }
}

/**
 * `spec.storage.btpObjectStore.secretName: btp-object-store-secret`: the service binding's Secret of an
 * AWS-backed SAP BTP Object Store instance.
 */
export class KymaBtpObjectStoreRegistryChart extends KymaRegistryChart {
  public constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, 'kyma-registry-btp', props, (chart) => StorageBackend.btpObjectStore({
      secret: kplus.Secret.fromSecretName(chart, 'BtpObjectStore', 'btp-object-store-secret'),
      hyperscaler: BtpHyperscaler.AWS,
    }));
  }
}
