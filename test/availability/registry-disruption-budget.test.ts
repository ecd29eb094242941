import { Chart, Testing } from 'cdk8s';
import { build, objectsOf } from './helpers';
import { RegistryAutoscaler, RegistryDisruptionBudget } from '../../src';
import { validateChart } from '../util/validate-manifests';

describe('disruption budgets: one per pod, and one that protects something', () => {
  const budgets = (chart: Chart) => objectsOf(chart).objects.filter((o) => o.kind === 'PodDisruptionBudget');

  test('a RegistryDisruptionBudget replaces the one the registry adds by itself with several replicas', () => {
    // GIVEN replicas: 3, which adds a budget, and an explicit budget allowing 2
    const { chart, registry } = build({ name: 'registry' }, 'Registry', true);
    new RegistryDisruptionBudget(chart, 'Budget', { registry, maxUnavailable: 2 });
    // THEN one budget selects the pods: the explicit one
    const pdbs = budgets(chart);
    expect(pdbs).toHaveLength(1);
    expect(pdbs[0].spec).toEqual({
      maxUnavailable: 2,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'registry', 'app.kubernetes.io/instance': 'registry', 'app.kubernetes.io/component': 'registry' } },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    });
    expect(pdbs[0].metadata.labels['app.kubernetes.io/component']).toBe('disruption-budget');
  });

  test('a budget that lets every replica go, or guards a single replica, is refused at synth', () => {
    const all = build({}, 'Registry', true); // 3 replicas
    new RegistryDisruptionBudget(all.chart, 'Budget', { registry: all.registry, maxUnavailable: 3 });
    expect(() => Testing.synth(all.chart)).toThrow(/test\/Budget: 'maxUnavailable' \(3\) lets a drain evict all of the registry's pods at once \(its replicas \(3\)\), so the budget protects nothing: give maxUnavailable at most 2/);
    const single = build({ disruptionBudget: true });
    expect(() => Testing.synth(single.chart)).toThrow(/test\/Registry: 'disruptionBudget' cannot protect a registry that runs a single replica \(its replicas \(1\)\).*disruptionBudget: false/);
    // with an autoscaler, its floor counts (checked at synth: the autoscaler may come after the budget)
    const scaled = build({ replicas: undefined, disruptionBudget: false }, 'Registry', true);
    new RegistryDisruptionBudget(scaled.chart, 'Budget', { registry: scaled.registry, maxUnavailable: 2 });
    new RegistryAutoscaler(scaled.chart, 'Autoscaler', { registry: scaled.registry, maxReplicas: 6 });
    expect(() => Testing.synth(scaled.chart)).toThrow(/'maxUnavailable' \(2\) lets a drain evict all of the registry's pods at once \(its autoscaler's minReplicas \(2\)\)/);
    const fine = build({ replicas: undefined, disruptionBudget: false }, 'Registry', true);
    new RegistryDisruptionBudget(fine.chart, 'Budget', { registry: fine.registry, maxUnavailable: 2 });
    new RegistryAutoscaler(fine.chart, 'Autoscaler', { registry: fine.registry, minReplicas: 3, maxReplicas: 6 });
    expect(() => validateChart(fine.chart)).not.toThrow();
  });

});
