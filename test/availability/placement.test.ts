import * as kplus from 'cdk8s-plus-27';
import { Obj, build, objectsOf } from './helpers';
import { PodAntiAffinity } from '../../src';

describe('placement', () => {
  test('several replicas: PDB, spread across nodes and zones by default', () => {
    const { chart, registry } = build({ name: 'registry' }, 'Registry', true);
    const { objects, pod } = objectsOf(chart);
    expect(pod.topologySpreadConstraints).toEqual([
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: registry.selectorLabels } },
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: registry.selectorLabels } },
    ]);
    const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget')!;
    expect(pdb.apiVersion).toBe('policy/v1');
    expect(pdb.metadata.name).toBe('registry');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: registry.selectorLabels }, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    expect(objects).toMatchSnapshot();
  });

  test('one replica: no PDB and no spread unless asked', () => {
    const { chart } = build();
    const { objects, pod } = objectsOf(chart);
    expect(objects.find((o) => o.kind === 'PodDisruptionBudget')).toBeUndefined();
    expect(pod.topologySpreadConstraints).toBeUndefined();
    const asked = build({ disruptionBudget: false }, 'Registry', true);
    expect(objectsOf(asked.chart).objects.find((o) => o.kind === 'PodDisruptionBudget')).toBeUndefined();
  });

  test('anti-affinity, priority class, node selector, tolerations, node affinity', () => {
    const { chart, registry } = build({
      placement: {
        antiAffinity: PodAntiAffinity.REQUIRED,
        spreadAcrossZones: false,
        priorityClassName: 'system-cluster-critical',
        nodeSelector: { 'node-role.kubernetes.io/infra': '' },
        tolerations: [kplus.NodeTaintQuery.is('node-role.kubernetes.io/infra', '', { effect: kplus.TaintEffect.NO_SCHEDULE })],
        nodeAffinity: [kplus.NodeLabelQuery.in('kubernetes.io/arch', ['amd64', 'arm64'])],
      },
    }, 'Registry', true);
    const { pod } = objectsOf(chart);
    expect(pod.topologySpreadConstraints.map((c: Obj) => c.topologyKey)).toEqual(['kubernetes.io/hostname']);
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      { labelSelector: { matchLabels: registry.selectorLabels }, topologyKey: 'kubernetes.io/hostname' },
    ]);
    expect(pod.priorityClassName).toBe('system-cluster-critical');
    expect(pod.nodeSelector).toEqual({ 'node-role.kubernetes.io/infra': '' });
    expect(pod.tolerations).toEqual([{ key: 'node-role.kubernetes.io/infra', operator: 'Equal', value: '', effect: 'NoSchedule' }]);
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }] },
    ]);
  });

  test('preferred anti-affinity is weighted', () => {
    const { chart } = build({ placement: { antiAffinity: PodAntiAffinity.PREFERRED } }, 'Registry', true);
    expect(objectsOf(chart).pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight).toBe(100);
  });

  test('bad placement values are refused', () => {
    expect(() => build({ placement: { priorityClassName: 'High_Priority' } })).toThrow(/'placement.priorityClassName' \("High_Priority"\) must be a DNS-1123 subdomain/);
    expect(() => build({ placement: { nodeSelector: {} } })).toThrow(/'placement.nodeSelector' is empty/);
    expect(() => build({ placement: { nodeSelector: { 'bad key!': 'x' } } })).toThrow(/'placement.nodeSelector' key "bad key!" is not a label key/);
    expect(() => build({ placement: { nodeSelector: { zone: 'a b' } } })).toThrow(/'placement.nodeSelector' value "a b" of zone is not a label value/);
    expect(() => build({ placement: { nodeAffinity: [] } })).toThrow(/'placement.nodeAffinity' is empty/);
  });
});
