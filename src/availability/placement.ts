import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { requireLabels } from '../util/labels';
import { propError, requireDns1123Subdomain } from '../util/validation';

/**
 * How strictly registry pods are kept off a node that already runs one.
 */
export enum PodAntiAffinity {
  /** No anti-affinity; the topology spread (if on) still balances pods. */
  NONE = 'none',
  /** The scheduler avoids a node that runs a registry pod when it can. */
  PREFERRED = 'preferred',
  /**
   * Never two registry pods on one node. Needs at least replicas + 1 nodes for a rolling update
   * (the surge pod needs a free node).
   */
  REQUIRED = 'required',
}

/**
 * Where the registry's pods run.
 */
export interface PlacementOptions {
  /**
   * Spread pods evenly across nodes (`topologySpreadConstraints` on `kubernetes.io/hostname`, maxSkew 1,
   * `ScheduleAnyway`): a node failure takes at most its share of the replicas, and a rollout never blocks on it.
   * @default - true with more than one replica
   */
  readonly spreadAcrossNodes?: boolean;

  /**
   * Spread pods evenly across zones (`topology.kubernetes.io/zone`, maxSkew 1, `ScheduleAnyway`).
   * @default - true with more than one replica
   */
  readonly spreadAcrossZones?: boolean;

  /**
   * Keep registry pods off nodes that already run one (pod anti-affinity on the hostname).
   * @default PodAntiAffinity.NONE
   */
  readonly antiAffinity?: PodAntiAffinity;

  /**
   * The PriorityClass of the pods, so that the registry that every node pulls from is not preempted first.
   * @default - the cluster's default priority
   */
  readonly priorityClassName?: string;

  /**
   * Node labels a node must have to run the registry (`nodeSelector`).
   * @default - any node
   */
  readonly nodeSelector?: { [label: string]: string };

  /**
   * Taints the pods tolerate, such as those of a dedicated infrastructure node pool.
   * @default - no tolerations
   */
  readonly tolerations?: kplus.NodeTaintQuery[];

  /**
   * Node affinity: the pods run only on nodes matching all these label queries (`requiredDuringScheduling`).
   * @default - no node affinity
   */
  readonly nodeAffinity?: kplus.NodeLabelQuery[];
}

/**
 * Applies placement options to the registry's Deployment.
 * @internal
 */
export function applyPlacement(scope: IConstruct, deployment: kplus.Deployment, selectorLabels: { [key: string]: string },
  replicas: number, options: PlacementOptions = {}): void {
  const several = replicas > 1;
  const spreads: { key: string; property: string }[] = [];
  if (options.spreadAcrossNodes ?? several) spreads.push({ key: 'kubernetes.io/hostname', property: 'spreadAcrossNodes' });
  if (options.spreadAcrossZones ?? several) spreads.push({ key: 'topology.kubernetes.io/zone', property: 'spreadAcrossZones' });
  const api = ApiObject.of(deployment);
  if (spreads.length > 0) {
    api.addJsonPatch(JsonPatch.add('/spec/template/spec/topologySpreadConstraints', spreads.map((s) => ({
      maxSkew: 1,
      topologyKey: s.key,
      // Never block a rollout or a reschedule on balance: the disruption budget and anti-affinity are the hard rules.
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: selectorLabels },
    }))));
  }

  switch (options.antiAffinity ?? PodAntiAffinity.NONE) {
    case PodAntiAffinity.PREFERRED:
      deployment.scheduling.separate(deployment, { topology: kplus.Topology.HOSTNAME, weight: 100 });
      break;
    case PodAntiAffinity.REQUIRED:
      deployment.scheduling.separate(deployment, { topology: kplus.Topology.HOSTNAME });
      break;
    case PodAntiAffinity.NONE:
      break;
    default:
      throw propError(scope, 'placement.antiAffinity', `(${JSON.stringify(options.antiAffinity)}) must be one of ${Object.values(PodAntiAffinity).join(', ')}`);
  }

  if (options.priorityClassName !== undefined) {
    requireDns1123Subdomain(scope, 'placement.priorityClassName', options.priorityClassName);
    api.addJsonPatch(JsonPatch.add('/spec/template/spec/priorityClassName', options.priorityClassName));
  }
  if (options.nodeSelector !== undefined) {
    const entries = Object.entries(options.nodeSelector).sort(([a], [b]) => a.localeCompare(b));
    if (entries.length === 0) {
      throw propError(scope, 'placement.nodeSelector', 'is empty: give at least one label, or leave it out');
    }
    requireLabels(scope, 'placement.nodeSelector', options.nodeSelector, 'node-role.kubernetes.io/infra');
    api.addJsonPatch(JsonPatch.add('/spec/template/spec/nodeSelector', Object.fromEntries(entries)));
  }
  for (const toleration of options.tolerations ?? []) {
    deployment.scheduling.tolerate(kplus.Node.tainted(toleration));
  }
  if (options.nodeAffinity !== undefined) {
    if (options.nodeAffinity.length === 0) {
      throw propError(scope, 'placement.nodeAffinity', 'is empty: give at least one node label query, or leave it out');
    }
    deployment.scheduling.attract(kplus.Node.labeled(...options.nodeAffinity));
  }
}
