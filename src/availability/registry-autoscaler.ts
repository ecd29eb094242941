import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { RegistryConstruct } from '../registry-construct';
import type { RegistryDeployment } from '../registry-deployment';
import { propError, requireIntegerInRange } from '../util/validation';

/**
 * Properties of a `RegistryAutoscaler`.
 */
export interface RegistryAutoscalerProps {
  /** The registry to scale. Its storage must be shared by every replica, and it needs `httpSecret`. */
  readonly registry: RegistryDeployment;

  /**
   * The most replicas.
   */
  readonly maxReplicas: number;

  /**
   * The fewest replicas. The registry's own `replicas`, when given, is this floor: giving both with different
   * values is an error.
   * @default - the registry's `replicas` if given, else 2: one pod may fail or be drained while the registry keeps serving
   */
  readonly minReplicas?: number;

  /**
   * Average CPU use, in percent of the container's CPU request, that the autoscaler keeps the pods at.
   * @default 70
   */
  readonly cpuUtilizationPercent?: number;
}

/**
 * A HorizontalPodAutoscaler (autoscaling/v2) for the registry, scaling on CPU (pushes and pulls through
 * TLS, bcrypt checks of htpasswd logins). Refused when the storage cannot be shared by several replicas.
 * The Deployment's `replicas` is then left to the autoscaler, and the registry's `replicas`, when given, becomes
 * its `minReplicas`.
 */
export class RegistryAutoscaler extends RegistryConstruct {
  /** The HorizontalPodAutoscaler object. */
  public readonly apiObject: kplus.k8s.KubeHorizontalPodAutoscalerV2;

  public constructor(scope: Construct, id: string, props: RegistryAutoscalerProps) {
    super(scope, id);
    const registry = props.registry;
    if (registry.autoscaler) {
      throw propError(this, 'registry', `(${registry.node.path}) is already scaled by ${registry.autoscaler.construct.node.path}: `
        + 'two HorizontalPodAutoscalers of one Deployment fight over its replica count. Keep one');
    }
    const explicit = registry.requestedReplicas;
    if (explicit !== undefined && props.minReplicas !== undefined && explicit !== props.minReplicas) {
      throw propError(this, 'minReplicas', `(${props.minReplicas}) differs from the registry's replicas (${explicit}): with an autoscaler the Deployment's `
        + 'replica count is left to it, and the registry\'s replicas is its floor. Give one of them, or the same number');
    }
    const min = props.minReplicas ?? explicit ?? 2;
    requireIntegerInRange(this, 'minReplicas', min, 1, 100);
    requireIntegerInRange(this, 'maxReplicas', props.maxReplicas, 1, 100);
    if (props.maxReplicas < min) {
      const floor = props.minReplicas === undefined && explicit !== undefined ? `the registry's replicas (${min}), its minReplicas` : `minReplicas (${min})`;
      throw propError(this, 'maxReplicas', `(${props.maxReplicas}) must be at least ${floor}`);
    }
    const cpu = props.cpuUtilizationPercent ?? 70;
    requireIntegerInRange(this, 'cpuUtilizationPercent', cpu, 1, 1000);
    if (props.maxReplicas > 1 && registry.singleReplicaReason) {
      throw propError(this, 'registry', `cannot be autoscaled to ${props.maxReplicas} replicas: ${registry.singleReplicaReason}. Use object storage or a ReadWriteMany claim`);
    }
    if (props.maxReplicas > 1 && !registry.httpSecret) {
      throw propError(this, 'registry', `cannot be autoscaled to ${props.maxReplicas} replicas without 'httpSecret': every replica must sign upload state with the same http.secret`);
    }
    if (!registry.container.resources?.cpu?.request) {
      throw propError(this, 'registry', 'has no CPU request, so CPU utilization cannot be computed: set resources.cpu.request');
    }
    // The Deployment's replica count is left to the autoscaler from now on.
    registry.useAutoscaler(this, min);
    this.apiObject = new kplus.k8s.KubeHorizontalPodAutoscalerV2(this, 'Resource', {
      metadata: {
        ...(registry.name !== undefined ? { name: registry.name } : {}),
        labels: this.componentLabels(registry, 'autoscaler'),
      },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: registry.deployment.name },
        minReplicas: min,
        maxReplicas: props.maxReplicas,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: cpu } } }],
        // Scale in slowly, one pod at a time: a pod that leaves drains its uploads first.
        behavior: {
          scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
        },
      },
    });
  }
}
