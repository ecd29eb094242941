import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { RegistryDeployment } from '../registry-deployment';
import { requireLabels } from '../util/labels';
import { validateObjectNames } from '../util/object-names';
import { propError, requireCidrs, requireDns1123Label } from '../util/validation';

/**
 * Properties of a `RegistryNetworkPolicy`.
 */
export interface RegistryNetworkPolicyProps {
  /** The registry whose pods the policy protects. */
  readonly registry: RegistryDeployment;

  /**
   * Namespaces whose pods may reach the registry port (CI runners, a pull-through cache in another namespace).
   * Kubelets pull from the node's network, not from a pod: they reach the registry through its way in
   * (`ingressControllerNamespace`, or `allowFromCidrs` for a load balancer or node addresses).
   * @default - none
   */
  readonly allowFromNamespaces?: string[];

  /**
   * Labels of pods in the registry's own namespace that may reach the registry port.
   * @default - none
   */
  readonly allowFromPods?: { [label: string]: string };

  /**
   * The namespace of the Ingress controller or OpenShift router that is the registry's way in, for example
   * `ingress-nginx` or `openshift-ingress` (OpenShift routers on the host network need
   * `allowFromCidrs` with the node addresses, or the `policy-group.network.openshift.io/ingress` label).
   * @default - none
   */
  readonly ingressControllerNamespace?: string;

  /**
   * Address ranges that may reach the registry port: a load balancer's source ranges or the nodes
   * (a `LoadBalancer` Service such as `ElbTlsService` keeps the client's address).
   * @default - none
   */
  readonly allowFromCidrs?: string[];

  /**
   * The namespace of the Prometheus that scrapes the metrics port, the only one allowed to reach it
   * (the debug server also serves pprof). Used only when the registry serves metrics.
   * @default "monitoring"
   */
  readonly monitoringNamespace?: string;
}

const NAMESPACE_LABEL = 'kubernetes.io/metadata.name';

/**
 * A NetworkPolicy that admits traffic to the registry's port only from the namespaces and pods that need it
 * and from its way in, and to its metrics port only from the monitoring namespace. Everything else that
 * reaches the registry's pods is denied (egress is not restricted: the registry needs its object store).
 */
export class RegistryNetworkPolicy extends Construct {
  /** The NetworkPolicy object. */
  public readonly apiObject: kplus.k8s.KubeNetworkPolicy;

  public constructor(scope: Construct, id: string, props: RegistryNetworkPolicyProps) {
    super(scope, id);
    validateObjectNames(this);
    const registry = props.registry;
    const namespaces = [...(props.allowFromNamespaces ?? [])];
    if (props.ingressControllerNamespace !== undefined) namespaces.push(props.ingressControllerNamespace);
    for (const ns of namespaces) requireDns1123Label(this, 'allowFromNamespaces', ns);
    const cidrs = props.allowFromCidrs ?? [];
    requireCidrs(this, 'allowFromCidrs', cidrs, '10.0.0.0/8');
    const pods = props.allowFromPods;
    if (pods !== undefined && Object.keys(pods).length === 0) {
      throw propError(this, 'allowFromPods', 'is empty, which would admit every pod of the namespace: give labels, or leave it out');
    }
    if (pods !== undefined) requireLabels(this, 'allowFromPods', pods, 'app.kubernetes.io/name');

    const peers: kplus.k8s.NetworkPolicyPeer[] = [
      ...[...new Set(namespaces)].sort().map((ns) => ({ namespaceSelector: { matchLabels: { [NAMESPACE_LABEL]: ns } } })),
      ...(pods ? [{ podSelector: { matchLabels: pods } }] : []),
      ...[...new Set(cidrs)].sort().map((cidr) => ({ ipBlock: { cidr } })),
    ];
    if (peers.length === 0) {
      throw propError(this, 'allowFromNamespaces', 'nor any other source is given, so nothing could reach the registry: give allowFromNamespaces, allowFromPods, ingressControllerNamespace or allowFromCidrs');
    }
    const ingress: kplus.k8s.NetworkPolicyIngressRule[] = [
      { from: peers, ports: [{ protocol: 'TCP', port: kplus.k8s.IntOrString.fromNumber(registry.port) }] },
    ];
    if (registry.metricsPort !== undefined) {
      const monitoring = props.monitoringNamespace ?? 'monitoring';
      requireDns1123Label(this, 'monitoringNamespace', monitoring);
      ingress.push({
        from: [{ namespaceSelector: { matchLabels: { [NAMESPACE_LABEL]: monitoring } } }],
        ports: [{ protocol: 'TCP', port: kplus.k8s.IntOrString.fromNumber(registry.metricsPort) }],
      });
    } else if (props.monitoringNamespace !== undefined) {
      throw propError(this, 'monitoringNamespace', 'is given but the registry serves no metrics: enable metrics, or leave it out');
    }
    this.apiObject = new kplus.k8s.KubeNetworkPolicy(this, 'Resource', {
      metadata: { ...(registry.name !== undefined ? { name: registry.name } : {}), labels: registry.labels },
      spec: {
        podSelector: { matchLabels: registry.selectorLabels },
        policyTypes: ['Ingress'],
        ingress,
      },
    });
  }
}
