import { ApiObject, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { RegistryAuth, RegistryDeployment, RegistryIngress, WayInKind } from '../../src';
import { RegistryWayInBase } from '../../src/expose/registry-way-in-base';

/** A way in of a user's own, written on the base the library's ways in use. */
class TunnelWayIn extends RegistryWayInBase {
  public readonly url: string;
  public constructor(scope: Construct, id: string, props: { registry: RegistryDeployment; host: string; publicAccess: boolean }) {
    super(scope, id, WayInKind.LOAD_BALANCER);
    const registry = this.requireRegistry(props.registry);
    this.admit(registry, props.publicAccess);
    new ApiObject(this, 'Resource', {
      apiVersion: 'v1', kind: 'Service', metadata: this.objectMetadata(registry, { 'example.com/tunnel': props.host }, 'tunnel'),
    });
    this.url = this.publishUrl(registry, props.host);
  }
}

describe('RegistryWayInBase: the protocol of every way in, written once', () => {
  test('a way in is admitted, labelled with its own component, and sets the registry\'s external URL', () => {
    const chart = Testing.chart();
    const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), name: 'images' });
    const way = new TunnelWayIn(chart, 'Tunnel', { registry, host: 'registry.example.com', publicAccess: false });
    // THEN the registry records it, with its kind
    expect(way.kind).toBe(WayInKind.LOAD_BALANCER);
    expect(registry.waysIn).toEqual([{ construct: way, kind: WayInKind.LOAD_BALANCER }]);
    // AND its object carries the registry's labels with its own component, its name and annotations
    const service = Testing.synth(chart).find((o) => o.metadata.name === 'tunnel')!;
    expect(service.metadata.labels).toEqual({ ...registry.labels, 'app.kubernetes.io/component': 'load-balancer' });
    expect(service.metadata.annotations).toEqual({ 'example.com/tunnel': 'registry.example.com' });
    // AND clients' URL is the registry's http.host
    expect(way.url).toBe('https://registry.example.com');
    expect(registry.externalUrl).toBe('https://registry.example.com');
    expect(registry.configValue('http.host')).toBe('https://registry.example.com');
  });

  test('an open registry behind a public way in: the whole synth fails, naming the way in (decided once every part is known)', () => {
    const chart = Testing.chart();
    const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none() });
    new TunnelWayIn(chart, 'Tunnel', { registry, host: 'registry.example.com', publicAccess: true });
    // nothing is written: the synth throws before any manifest is produced
    expect(() => Testing.synth(chart)).toThrow(/test\/Tunnel: 'registry' \(test\/Registry\) has no authentication/);
    // a way in the cluster's network alone is admitted
    const inside = Testing.chart();
    const registry2 = new RegistryDeployment(inside, 'Registry', { auth: RegistryAuth.none() });
    new TunnelWayIn(inside, 'Tunnel', { registry: registry2, host: 'registry.example.com', publicAccess: false });
    expect(Testing.synth(inside).filter((o) => o.metadata.name === 'tunnel')).toHaveLength(1);
  });

  test('two ways in with different hosts: a registry has one external URL', () => {
    const chart = Testing.chart();
    const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none() });
    new TunnelWayIn(chart, 'A', { registry, host: 'a.example.com', publicAccess: false });
    expect(() => new TunnelWayIn(chart, 'B', { registry, host: 'b.example.com', publicAccess: false }))
      .toThrow(/^test\/Registry: 'externalUrl' is already https:\/\/a.example.com; cannot also be https:\/\/b.example.com/);
  });

  test('a way in without its registry (from JavaScript) is refused, naming what to give', () => {
    expect(() => new RegistryIngress(Testing.chart(), 'In', { host: 'registry.example.com' } as any)).toThrow(/^test\/In: 'registry' is required/);
  });
});
