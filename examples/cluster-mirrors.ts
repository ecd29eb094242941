/**
 * Mirrors the nodes pull through: one pull-through registry per upstream a cluster pulls from (Docker Hub, GHCR,
 * Quay, registry.k8s.io), each reachable by every node's runtime on a NodePort at `localhost:30500` to `30503`, and
 * the node-side configuration that makes containerd, CRI-O and OpenShift use them. `npm run synth` writes the node
 * files beside the manifests, in `dist/manifests/nodes/mirrors/etc/...`, for machine images, cloud-init or Ignition.
 */
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { MirrorUpstream, NodeRegistryConfig, RegistryMirrorSet } from '../src';

/** Four mirrors on claims of their own, in the `mirrors` Namespace, with containerd, CRI-O and OpenShift node config. */
export class ClusterMirrorsChart extends Chart {
  /** The mirrors, one registry per upstream. */
  public readonly mirrors: RegistryMirrorSet;

  /** The node files (a ConfigMap too) and OpenShift's ImageDigestMirrorSet and ImageTagMirrorSet. */
  public readonly nodes: NodeRegistryConfig;

  public constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: 'mirrors' });
    this.mirrors = new RegistryMirrorSet(this, 'Mirrors', {
      upstreams: [MirrorUpstream.dockerHub(), MirrorUpstream.ghcr(), MirrorUpstream.quay(), MirrorUpstream.k8s()],
    });
    this.nodes = new NodeRegistryConfig(this, 'Nodes', { name: 'mirrors', sources: [this.mirrors], openShift: true });
  }
}
