import { Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { WayInKind } from '../registry';
import { RegistryConstruct } from '../registry-construct';
import type { RegistryDeployment } from '../registry-deployment';
import { requireLabels } from '../util/labels';
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
   * The namespace of the Ingress controller that is the registry's way in, for example `ingress-nginx`.
   * Required when a `RegistryIngress` exposes the registry, unless `allowFromCidrs` admits the controller (one
   * on the host network connects from the node addresses). An OpenShift `RegistryRoute` needs nothing here: its
   * router is admitted by the `policy-group.network.openshift.io/ingress` namespace label.
   * @default - none
   */
  readonly ingressControllerNamespace?: string;

  /**
   * Address ranges that may reach the registry port: the nodes, or a load balancer's own addresses. Required
   * when a `RegistryNodePort` exposes the registry (give the nodes' range: kube-proxy forwards from the node), and
   * when an `ElbTlsService` exposes the registry: its connections come from the nodes (a Classic ELB is a proxy,
   * and kube-proxy rewrites the source to a node address under the default `externalTrafficPolicy: Cluster`) or
   * from the load balancer's addresses (an NLB terminating TLS), never from the clients, so give the VPC's
   * range (or the nodes' and the load balancer subnets' ranges), not the clients'.
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
 * The namespace label OpenShift (4.7 and later, OpenShift SDN and OVN-Kubernetes) gives the traffic of its Ingress
 * controllers (routers), on the cluster network or the host network alike.
 */
const OPENSHIFT_INGRESS_POLICY_GROUP = 'policy-group.network.openshift.io/ingress';

/**
 * A NetworkPolicy that admits traffic to the registry's port only from the namespaces and pods that need it
 * and from its ways in, and to its metrics port only from the monitoring namespace. Everything else that
 * reaches the registry's pods is denied (egress is not restricted: the registry needs its object store).
 *
 * Every way in declared for the registry is admitted or synthesis fails saying what to add: an OpenShift
 * `RegistryRoute`'s router is admitted by its namespace label; a `RegistryIngress` needs
 * `ingressControllerNamespace` (or `allowFromCidrs` for a controller on the host network); an `ElbTlsService`
 * needs `allowFromCidrs` with the nodes' or the load balancer's addresses; a `RegistryNodePort` needs
 * `allowFromCidrs` with the nodes' addresses.
 */
export class RegistryNetworkPolicy extends RegistryConstruct {
  /** The NetworkPolicy object. */
  public readonly apiObject: kplus.k8s.KubeNetworkPolicy;

  public constructor(scope: Construct, id: string, props: RegistryNetworkPolicyProps) {
    super(scope, id);
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

    // The router of a Route declared for the registry, before or after this policy, is admitted too.
    const routed = () => registry.waysIn.some((w) => w.kind === WayInKind.ROUTE);
    const peers = (): kplus.k8s.NetworkPolicyPeer[] => [
      ...[...new Set(namespaces)].sort().map((ns) => ({ namespaceSelector: { matchLabels: { [NAMESPACE_LABEL]: ns } } })),
      // podSelector {} with the namespace selector: OVN-Kubernetes matches host-network routers only so.
      ...(routed() ? [{ namespaceSelector: { matchLabels: { [OPENSHIFT_INGRESS_POLICY_GROUP]: '' } }, podSelector: {} }] : []),
      ...(pods ? [{ podSelector: { matchLabels: pods } }] : []),
      ...[...new Set(cidrs)].sort().map((cidr) => ({ ipBlock: { cidr } })),
    ];
    this.node.addValidation({
      validate: () => {
        if (peers().length === 0) {
          return [propError(this, 'allowFromNamespaces', 'nor any other source is given, so nothing could reach the registry: give allowFromNamespaces, allowFromPods, '
            + 'ingressControllerNamespace or allowFromCidrs').message];
        }
        return this.wayInProblems(registry, props);
      },
    });
    const ingress: kplus.k8s.NetworkPolicyIngressRule[] = [
      { from: Lazy.any({ produce: peers }) as any, ports: [{ protocol: 'TCP', port: kplus.k8s.IntOrString.fromNumber(registry.port) }] },
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
      metadata: {
        ...(registry.name !== undefined ? { name: registry.name } : {}),
        labels: this.componentLabels(registry, 'network-policy'),
      },
      spec: {
        podSelector: { matchLabels: registry.selectorLabels },
        policyTypes: ['Ingress'],
        ingress,
      },
    });
  }

  /** Ways in declared for the registry whose traffic this policy would deny, as messages saying what to add. */
  private wayInProblems(registry: RegistryDeployment, props: RegistryNetworkPolicyProps): string[] {
    const problems: string[] = [];
    const cidrs = props.allowFromCidrs ?? [];
    const admitted = () => {
      const given = [
        ...(props.allowFromNamespaces ?? []).map((ns) => `namespace ${ns}`),
        ...(props.allowFromPods ? ['pods of its own namespace labelled ' + Object.entries(props.allowFromPods).map(([k, v]) => `${k}=${v}`).join(',')] : []),
      ];
      return given.length > 0 ? ` (it admits ${given.join(' and ')} only)` : '';
    };
    for (const way of registry.waysIn) {
      if (way.kind === WayInKind.INGRESS && props.ingressControllerNamespace === undefined && cidrs.length === 0) {
        problems.push(propError(this, 'ingressControllerNamespace', `is not given, but the registry is exposed through the Ingress ${way.construct.node.path}, `
          + `whose controller's pods connect to the registry: this policy would shut them out${admitted()}. Give ingressControllerNamespace (the namespace `
          + 'of the Ingress controller, such as ingress-nginx), or allowFromCidrs with the node addresses if the controller runs on the host network').message);
      }
      if (way.kind === WayInKind.LOAD_BALANCER && cidrs.length === 0) {
        problems.push(propError(this, 'allowFromCidrs', `is not given, but the registry is exposed through the load balancer ${way.construct.node.path}, `
          + `whose connections this policy would shut out${admitted()}. They come from the cluster's nodes (a Classic ELB is a proxy, and kube-proxy `
          + 'rewrites the source to a node address under externalTrafficPolicy: Cluster) or from the load balancer\'s own addresses (an NLB terminating TLS), '
          + 'never from the clients: give allowFromCidrs with the VPC\'s range (or the nodes\' and the load balancer subnets\' ranges)').message);
      }
      if (way.kind === WayInKind.NODE_PORT && cidrs.length === 0) {
        problems.push(propError(this, 'allowFromCidrs', `is not given, but the registry is exposed through the NodePort ${way.construct.node.path}, `
          + `whose connections this policy would shut out${admitted()}. kube-proxy forwards them from the nodes: a runtime pulling through localhost or a `
          + 'node address arrives from a node address (kube-proxy rewrites the source under externalTrafficPolicy: Cluster), and some CNIs from the '
          + 'node\'s pod-network address: give allowFromCidrs with the nodes\' range (and the pod network\'s, if your CNI keeps the node\'s own address there)').message);
      }
    }
    return problems;
  }
}
