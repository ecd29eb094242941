import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { RegistryConstruct } from '../registry-construct';
import type { RegistryDeployment } from '../registry-deployment';
import { propError, requireIntegerInRange } from '../util/validation';

/**
 * Properties of a `RegistryDisruptionBudget`.
 */
export interface RegistryDisruptionBudgetProps {
  /** The registry whose pods are protected. */
  readonly registry: RegistryDeployment;

  /**
   * How many registry pods a voluntary disruption (node drain, cluster upgrade) may take down at once: fewer than
   * the registry's replicas (or its autoscaler's `minReplicas`), or the budget would protect nothing.
   * @default 1
   */
  readonly maxUnavailable?: number;
}

/**
 * A PodDisruptionBudget for the registry's pods: node drains evict them one at a time, so the registry keeps
 * serving. Pods that are not ready (a broken store) may always be evicted, so they never block a drain.
 * `RegistryDeployment` adds one by itself with more than one replica; a `RegistryDisruptionBudget` made for the
 * registry replaces it (Kubernetes refuses every eviction of a pod that two budgets select), and a second one is
 * an error.
 */
export class RegistryDisruptionBudget extends RegistryConstruct {
  /** The PodDisruptionBudget object. */
  public readonly apiObject: kplus.k8s.KubePodDisruptionBudget;

  private readonly registry: RegistryDeployment;

  public constructor(scope: Construct, id: string, props: RegistryDisruptionBudgetProps) {
    super(scope, id);
    const maxUnavailable = props.maxUnavailable ?? 1;
    requireIntegerInRange(this, 'maxUnavailable', maxUnavailable, 1, 100);
    const registry = props.registry;
    if (Object.keys(registry.selectorLabels).length === 0) {
      throw propError(this, 'registry', 'has no pod selector to protect');
    }
    registry.useDisruptionBudget(this);
    this.node.addValidation({ validate: () => this.replicaProblems(maxUnavailable) });
    this.apiObject = new kplus.k8s.KubePodDisruptionBudget(this, 'Resource', {
      metadata: {
        ...(registry.name !== undefined ? { name: registry.name } : {}),
        labels: this.componentLabels(registry, 'disruption-budget'),
      },
      spec: {
        maxUnavailable: kplus.k8s.IntOrString.fromNumber(maxUnavailable),
        selector: { matchLabels: registry.selectorLabels },
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });
    this.registry = registry;
  }

  /** A budget that lets every replica go at once protects nothing; checked once the autoscaler, if any, is known. */
  private replicaProblems(maxUnavailable: number): string[] {
    const registry = this.registry;
    const autoscaler = registry.autoscaler;
    const fewest = autoscaler?.minReplicas ?? registry.replicas;
    const which = autoscaler ? `its autoscaler's minReplicas (${fewest})` : `its replicas (${fewest})`;
    const own = this.node.scope === registry;
    const at = own ? `${registry.node.path}: 'disruptionBudget'` : `${this.node.path}: 'maxUnavailable' (${maxUnavailable})`;
    if (fewest === 1) {
      return [`${at} cannot protect a registry that runs a single replica (${which}): a budget then either lets a drain `
        + `evict the only pod (it protects nothing) or blocks every drain. Run 2 or more replicas (shared storage and httpSecret), or drop the budget${own ? ' (disruptionBudget: false)' : ''}`];
    }
    if (maxUnavailable >= fewest) {
      return [`${at} lets a drain evict all of the registry's pods at once (${which}), so the budget protects nothing: `
        + `give maxUnavailable at most ${fewest - 1} (1 keeps ${fewest - 1} serving), or run more replicas`];
    }
    return [];
  }
}
