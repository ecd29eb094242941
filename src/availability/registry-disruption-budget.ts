import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { RegistryDeployment } from '../registry-deployment';
import { validateObjectNames } from '../util/object-names';
import { propError, requireIntegerInRange } from '../util/validation';

/**
 * Properties of a `RegistryDisruptionBudget`.
 */
export interface RegistryDisruptionBudgetProps {
  /** The registry whose pods are protected. */
  readonly registry: RegistryDeployment;

  /**
   * How many registry pods a voluntary disruption (node drain, cluster upgrade) may take down at once.
   * @default 1
   */
  readonly maxUnavailable?: number;
}

/**
 * A PodDisruptionBudget for the registry's pods: node drains evict them one at a time, so the registry keeps
 * serving. Pods that are not ready (a broken store) may always be evicted, so they never block a drain.
 * `RegistryDeployment` adds one by itself with more than one replica.
 */
export class RegistryDisruptionBudget extends Construct {
  /** The PodDisruptionBudget object. */
  public readonly apiObject: kplus.k8s.KubePodDisruptionBudget;

  public constructor(scope: Construct, id: string, props: RegistryDisruptionBudgetProps) {
    super(scope, id);
    validateObjectNames(this);
    const maxUnavailable = props.maxUnavailable ?? 1;
    requireIntegerInRange(this, 'maxUnavailable', maxUnavailable, 1, 100);
    const registry = props.registry;
    if (Object.keys(registry.selectorLabels).length === 0) {
      throw propError(this, 'registry', 'has no pod selector to protect');
    }
    this.apiObject = new kplus.k8s.KubePodDisruptionBudget(this, 'Resource', {
      metadata: { ...(registry.name !== undefined ? { name: registry.name } : {}), labels: registry.labels },
      spec: {
        maxUnavailable: kplus.k8s.IntOrString.fromNumber(maxUnavailable),
        selector: { matchLabels: registry.selectorLabels },
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });
  }
}
