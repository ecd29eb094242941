/**
 * The example app behind `npm run synth`: a registry on a PersistentVolumeClaim in its own
 * Namespace, and the other examples. `cdk8s synth` writes them to dist/manifests, and the node files of the mirrors
 * example to dist/manifests/nodes.
 */
import { App, ChartProps, Size } from 'cdk8s';
import { Construct } from 'constructs';
import { NodeRegistryConfig, RegistryAuth, RegistryChart, RegistryVersion, StorageBackend } from '../src';
import { ClusterMirrorsChart } from './cluster-mirrors';
import { DigitalOceanSpacesRegistryChart } from './digitalocean-spaces';
import {
  KymaAzureRegistryChart, KymaBtpObjectStoreRegistryChart, KymaGcsRegistryChart, KymaPvcRegistryChart, KymaS3RegistryChart,
} from './kyma-registry';
import { MonitoredRegistryChart } from './monitored-registry';
import { S3ElbRegistryChart } from './s3-elb-registry';
import { SoftLayerRegistryChart } from './softlayer-registry';
import { SwiftRegistryChart } from './swift-registry';

/** Properties of a `PvcRegistryChart`. */
export interface PvcRegistryChartProps extends ChartProps {
  /**
   * The registry release (the e2e suite runs the 2.8 rendering against Debian's registry 2.8).
   * @default - the library's default release
   */
  readonly version?: RegistryVersion;
}

/**
 * A registry on a 20 GiB claim, in the `pvc-registry` Namespace (seed 001's registry, also named `registry`, is
 * in `container-registry`: two registries of one name in one namespace would overwrite each other).
 */
export class PvcRegistryChart extends RegistryChart {
  public constructor(scope: Construct, id: string, props: PvcRegistryChartProps = {}) {
    super(scope, id, {
      namespace: 'pvc-registry',
      ...props,
      registry: {
        name: 'registry',
        // Reachable only inside the cluster; see the README for htpasswd and the ways in.
        auth: RegistryAuth.none(),
        storage: StorageBackend.persistentVolumeClaim({ size: Size.gibibytes(20) }),
        storageOptions: { deleteEnabled: true },
        version: props.version,
      },
    });
  }
}

/** Builds every example chart into `app`. */
export function buildExamples(app: App): void {
  new PvcRegistryChart(app, 'pvc-registry');
  new DigitalOceanSpacesRegistryChart(app, 'digitalocean-spaces');
  new SwiftRegistryChart(app, 'swift-registry');
  new SoftLayerRegistryChart(app, 'softlayer-registry');
  new KymaAzureRegistryChart(app, 'kyma-registry-azure');
  new KymaGcsRegistryChart(app, 'kyma-registry-gcs');
  new KymaPvcRegistryChart(app, 'kyma-registry-pvc');
  new KymaS3RegistryChart(app, 'kyma-registry-s3');
  new KymaBtpObjectStoreRegistryChart(app, 'kyma-registry-btp');
  new S3ElbRegistryChart(app, 's3-elb-registry');
  new MonitoredRegistryChart(app, 'monitored-registry');
  new ClusterMirrorsChart(app, 'cluster-mirrors');
}

if (require.main === module) {
  const app = new App();
  buildExamples(app);
  app.synth();
  // The node files of every NodeRegistryConfig, beside the manifests (dist/manifests/nodes/<name>/etc/...).
  NodeRegistryConfig.writeFiles(app);
}
