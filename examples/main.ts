/**
 * The example app behind `npm run synth`: a registry on a PersistentVolumeClaim in its own
 * Namespace. `cdk8s synth` writes it to dist/manifests.
 */
import { App, Chart, ChartProps, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { RegistryAuth, RegistryDeployment, StorageBackend } from '../src';

/** A registry on a 20 GiB claim, in the `container-registry` Namespace. */
export class PvcRegistryChart extends Chart {
  public readonly registry: RegistryDeployment;

  public constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: 'container-registry', ...props });
    new kplus.Namespace(this, 'Namespace', { metadata: { name: this.namespace } });
    this.registry = new RegistryDeployment(this, 'Registry', {
      name: 'registry',
      // Reachable only inside the cluster; see the README for htpasswd and the ways in.
      auth: RegistryAuth.none(),
      storage: StorageBackend.persistentVolumeClaim({ size: Size.gibibytes(20) }),
      storageOptions: { deleteEnabled: true },
    });
  }
}

/** Builds every example chart into `app`. */
export function buildExamples(app: App): void {
  new PvcRegistryChart(app, 'pvc-registry');
}

if (require.main === module) {
  const app = new App();
  buildExamples(app);
  app.synth();
}
