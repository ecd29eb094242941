import * as kplus from 'cdk8s-plus-27';
import { build, objectsOf } from './helpers';
import { RegistryAutoscaler, StorageBackend } from '../../src';

describe('RegistryAutoscaler', () => {
  test('scales a registry on shared storage on CPU; the Deployment leaves replicas to it', () => {
    const { chart, registry } = build({ name: 'registry', replicas: undefined }, 'Registry', true);
    new RegistryAutoscaler(chart, 'Autoscaler', { registry, maxReplicas: 6 });
    const { objects, deployment } = objectsOf(chart);
    const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler')!;
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.metadata.name).toBe('registry');
    expect(hpa.spec).toMatchObject({
      minReplicas: 2,
      maxReplicas: 6,
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'registry' },
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    });
    expect(deployment.spec.replicas).toBeUndefined();
    expect(hpa.metadata.labels['app.kubernetes.io/component']).toBe('autoscaler');
  });

  test('the registry\'s explicit replicas is the autoscaler\'s minReplicas; both, differing, is an error', () => {
    // GIVEN replicas: 3 on the registry (shared() sets it) and no minReplicas
    const { chart, registry } = build({ name: 'registry' }, 'Registry', true);
    new RegistryAutoscaler(chart, 'Autoscaler', { registry, maxReplicas: 6 });
    const { objects, deployment } = objectsOf(chart);
    // THEN the floor is 3, not the default 2, and the Deployment leaves the count to the autoscaler
    expect(objects.find((o) => o.kind === 'HorizontalPodAutoscaler')!.spec.minReplicas).toBe(3);
    expect(deployment.spec.replicas).toBeUndefined();
    const same = build({}, 'Registry', true);
    expect(() => new RegistryAutoscaler(same.chart, 'Autoscaler', { registry: same.registry, minReplicas: 3, maxReplicas: 6 })).not.toThrow();
    const differ = build({}, 'Registry', true);
    expect(() => new RegistryAutoscaler(differ.chart, 'Autoscaler', { registry: differ.registry, minReplicas: 2, maxReplicas: 6 }))
      .toThrow(/test\/Autoscaler: 'minReplicas' \(2\) differs from the registry's replicas \(3\): .*Give one of them, or the same number/);
    const above = build({}, 'Registry', true);
    expect(() => new RegistryAutoscaler(above.chart, 'Autoscaler', { registry: above.registry, maxReplicas: 2 }))
      .toThrow(/'maxReplicas' \(2\) must be at least the registry's replicas \(3\), its minReplicas/);
    const twice = build({ replicas: undefined }, 'Registry', true);
    new RegistryAutoscaler(twice.chart, 'A', { registry: twice.registry, maxReplicas: 6 });
    expect(() => new RegistryAutoscaler(twice.chart, 'B', { registry: twice.registry, maxReplicas: 6 })).toThrow(/test\/B: 'registry' \(test\/Registry\) is already scaled by test\/A/);
  });

  test('refused on ReadWriteOnce storage, without httpSecret, and with min > max', () => {
    const rwo = build();
    expect(() => new RegistryAutoscaler(rwo.chart, 'Autoscaler', { registry: rwo.registry, maxReplicas: 3 }))
      .toThrow(/Autoscaler: 'registry' cannot be autoscaled to 3 replicas: the data volume is ReadWriteOnce/);
    const rwx = build({ storage: StorageBackend.persistentVolumeClaim({ accessMode: kplus.PersistentVolumeAccessMode.READ_WRITE_MANY }) });
    expect(() => new RegistryAutoscaler(rwx.chart, 'Autoscaler', { registry: rwx.registry, maxReplicas: 3 })).toThrow(/without 'httpSecret'/);
    const ok = build({ replicas: undefined }, 'Registry', true);
    expect(() => new RegistryAutoscaler(ok.chart, 'Autoscaler', { registry: ok.registry, minReplicas: 4, maxReplicas: 3 })).toThrow(/'maxReplicas' \(3\) must be at least minReplicas \(4\)/);
  });
});
