import { ApiObject, Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { IRegistry, RegistryAuth, RegistryDeployment } from '../src';
import { RegistryConstruct } from '../src/registry-construct';

/** A construct of a user's own on the library's base: one object, labelled as a part of a registry. */
class Sidecar extends RegistryConstruct {
  public constructor(scope: Construct, id: string, registry: IRegistry, component: string) {
    super(scope, id);
    new ApiObject(this, 'Resource', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { labels: this.componentLabels(registry, component) } });
  }
}

describe('RegistryConstruct: what every construct of the library does, done once', () => {
  test('component labels: the registry\'s app.kubernetes.io labels with the object\'s own component', () => {
    const chart = Testing.chart();
    const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), name: 'images' });
    new Sidecar(chart, 'Sidecar', registry, 'search-index');
    const object = Testing.synth(chart).find((o) => o.kind === 'ConfigMap' && o.metadata.labels['app.kubernetes.io/component'] === 'search-index')!;
    expect(object.metadata.labels).toEqual({ ...registry.labels, 'app.kubernetes.io/component': 'search-index' });
    // AND the registry's own labels are untouched
    expect(registry.labels['app.kubernetes.io/component']).toBe('registry');
  });

  test('the names of its chart\'s objects are checked at synth, even when no registry is in the chart', () => {
    // GIVEN a chart with only a construct on the base, whose generated name keeps a '_' no Kubernetes name may hold
    const app = Testing.app();
    const registry = new RegistryDeployment(new Chart(app, 'registry', { namespace: 'registry' }), 'Registry', { auth: RegistryAuth.none() });
    const chart = new Chart(app, 'ops');
    new Sidecar(chart, 'My_Sidecar', registry, 'extra');
    // THEN synthesis names the object and the rule
    expect(() => app.synth()).toThrow(/\[ops\] ops\/My_Sidecar: the ConfigMap would be named "ops-my_sidecar-[0-9a-f]{8}", which is not a DNS-1123 subdomain.*use ids of letters, digits and '-' \(no '_'\)/);
  });

  test('two objects of one kind and name in one namespace are refused', () => {
    const chart = Testing.chart();
    const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), name: 'images' });
    new Sidecar(chart, 'Sidecar', registry, 'extra');
    new ApiObject(chart, 'Clash', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'images-config' } });
    expect(() => Testing.synth(chart)).toThrow(/test\/Clash: the ConfigMap "images-config" in the kubectl default namespace \(no namespace set\) is also rendered by test\/Registry\/Config: applied together, one would overwrite the other/);
  });
});
