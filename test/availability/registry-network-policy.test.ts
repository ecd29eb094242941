import { Chart, Testing } from 'cdk8s';
import { Obj, build, objectsOf } from './helpers';
import { ElbTlsService, Platform, RegistryAuth, RegistryIngress, RegistryNetworkPolicy, RegistryRoute } from '../../src';

describe('RegistryNetworkPolicy', () => {
  test('registry port from the given namespaces, pods, controller and CIDRs; metrics only from monitoring', () => {
    const { chart, registry } = build({ name: 'registry', metrics: true }, 'Registry', true);
    new RegistryNetworkPolicy(chart, 'NetworkPolicy', {
      registry,
      allowFromNamespaces: ['ci'],
      allowFromPods: { app: 'builder' },
      ingressControllerNamespace: 'ingress-nginx',
      allowFromCidrs: ['10.0.0.0/16'],
    });
    const policy = objectsOf(chart).objects.find((o) => o.kind === 'NetworkPolicy')!;
    expect(policy.metadata.name).toBe('registry');
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: registry.selectorLabels },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ci' } } },
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } },
            { podSelector: { matchLabels: { app: 'builder' } } },
            { ipBlock: { cidr: '10.0.0.0/16' } },
          ],
          ports: [{ protocol: 'TCP', port: 5000 }],
        },
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
          ports: [{ protocol: 'TCP', port: 5001 }],
        },
      ],
    });
  });

  test('refuses a policy that admits nobody, an empty pod selector, bad namespaces and CIDRs', () => {
    const { chart, registry } = build();
    const make = (props: Obj) => () => new RegistryNetworkPolicy(chart, `P${Math.random()}`, { registry, ...props });
    const empty = build();
    new RegistryNetworkPolicy(empty.chart, 'Policy', { registry: empty.registry });
    expect(() => Testing.synth(empty.chart)).toThrow(/test\/Policy: 'allowFromNamespaces' nor any other source is given, so nothing could reach the registry/);
    expect(make({ allowFromPods: {} })).toThrow(/'allowFromPods' is empty, which would admit every pod/);
    expect(make({ allowFromNamespaces: ['Bad NS'] })).toThrow(/'allowFromNamespaces' \("Bad NS"\) must be a DNS-1123 label/);
    expect(make({ allowFromCidrs: ['10.0.0.0'] })).toThrow(/'allowFromCidrs' \("10.0.0.0"\) is not a CIDR/);
    // the API server refuses these: a prefix longer than the address, an octet above 255, a bad IPv6 address
    for (const cidr of ['10.0.0.0/33', '10.0.0.256/8', '2001:db8:::1/64', 'fe80::/129', ':/0', 'fe80::1%eth0/64']) {
      expect(make({ allowFromCidrs: [cidr] })).toThrow(/'allowFromCidrs' .* is not a CIDR/);
    }
    expect(make({ allowFromCidrs: ['2001:db8::/32', '0.0.0.0/0'] })).not.toThrow();
    expect(make({ allowFromPods: { 'app kubernetes': 'x' } })).toThrow(/'allowFromPods' key "app kubernetes" is not a label key such as "app.kubernetes.io\/name"/);
    expect(make({ allowFromPods: { 'Example.com/app': 'x' } })).toThrow(/'allowFromPods' key "Example.com\/app" is not a label key/);
    expect(make({ allowFromPods: { app: '-builder' } })).toThrow(/'allowFromPods' value "-builder" of app is not a label value/);
    expect(make({ allowFromNamespaces: ['ci'], monitoringNamespace: 'monitoring' })).toThrow(/'monitoringNamespace' is given but the registry serves no metrics/);
  });
});

describe('RegistryNetworkPolicy and the ways in', () => {
  const certificateArn = 'arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';
  const policyOf = (chart: Chart) => objectsOf(chart).objects.find((o) => o.kind === 'NetworkPolicy')!;

  test('an Ingress: allowFromNamespaces alone shuts out the controller, and synthesis says what to add', () => {
    const { chart, registry } = build({ name: 'registry', auth: RegistryAuth.none({ allowPublicAccess: true }) });
    new RegistryNetworkPolicy(chart, 'NetworkPolicy', { registry, allowFromNamespaces: ['ci'] });
    new RegistryIngress(chart, 'Ingress', { registry, host: 'registry.example.com' });
    expect(() => Testing.synth(chart)).toThrow(/test\/NetworkPolicy: 'ingressControllerNamespace' is not given, but the registry is exposed through the Ingress test\/Ingress, whose controller's pods connect to the registry: this policy would shut them out \(it admits namespace ci only\)\. Give ingressControllerNamespace/);
    const fixed = build({ name: 'registry', auth: RegistryAuth.none({ allowPublicAccess: true }) });
    new RegistryNetworkPolicy(fixed.chart, 'NetworkPolicy', { registry: fixed.registry, allowFromNamespaces: ['ci'], ingressControllerNamespace: 'ingress-nginx' });
    new RegistryIngress(fixed.chart, 'Ingress', { registry: fixed.registry, host: 'registry.example.com' });
    expect(policyOf(fixed.chart).spec.ingress[0].from).toContainEqual({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } });
  });

  test('an ELB: its connections come from nodes or the load balancer, so allowFromCidrs is required', () => {
    const { chart, registry } = build({ name: 'registry', auth: RegistryAuth.none({ allowPublicAccess: true }) });
    new ElbTlsService(chart, 'LoadBalancer', { registry, hostname: 'registry.example.com', certificateArn, sourceRanges: ['203.0.113.0/24'] });
    new RegistryNetworkPolicy(chart, 'NetworkPolicy', { registry, allowFromNamespaces: ['ci'] });
    expect(() => Testing.synth(chart)).toThrow(/test\/NetworkPolicy: 'allowFromCidrs' is not given, but the registry is exposed through the load balancer test\/LoadBalancer.*a Classic ELB is a proxy, and kube-proxy rewrites the source to a node address under externalTrafficPolicy: Cluster.*never from the clients: give allowFromCidrs with the VPC's range/);
    const fixed = build({ name: 'registry', auth: RegistryAuth.none({ allowPublicAccess: true }) });
    new ElbTlsService(fixed.chart, 'LoadBalancer', { registry: fixed.registry, hostname: 'registry.example.com', certificateArn });
    new RegistryNetworkPolicy(fixed.chart, 'NetworkPolicy', { registry: fixed.registry, allowFromCidrs: ['10.0.0.0/16'] });
    expect(policyOf(fixed.chart).spec.ingress[0].from).toEqual([{ ipBlock: { cidr: '10.0.0.0/16' } }]);
  });

  test('a Route: the OpenShift router is admitted by its namespace label, declared before or after the policy', () => {
    for (const routeFirst of [true, false]) {
      const { chart, registry } = build({ name: 'registry', platform: Platform.OPENSHIFT, auth: RegistryAuth.none({ allowPublicAccess: true }) });
      if (routeFirst) new RegistryRoute(chart, 'Route', { registry, host: 'registry.apps.example.com' });
      new RegistryNetworkPolicy(chart, 'NetworkPolicy', { registry, allowFromNamespaces: ['ci'] });
      if (!routeFirst) new RegistryRoute(chart, 'Route', { registry, host: 'registry.apps.example.com' });
      expect(policyOf(chart).spec.ingress[0].from).toEqual([
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ci' } } },
        { namespaceSelector: { matchLabels: { 'policy-group.network.openshift.io/ingress': '' } }, podSelector: {} },
      ]);
    }
    // a Route alone is a source: a policy without other peers is fine
    const alone = build({ name: 'registry', platform: Platform.OPENSHIFT, auth: RegistryAuth.none({ allowPublicAccess: true }) });
    new RegistryNetworkPolicy(alone.chart, 'NetworkPolicy', { registry: alone.registry });
    new RegistryRoute(alone.chart, 'Route', { registry: alone.registry, host: 'registry.apps.example.com' });
    expect(policyOf(alone.chart).spec.ingress[0].from).toHaveLength(1);
    expect(policyOf(alone.chart).metadata.labels['app.kubernetes.io/component']).toBe('network-policy');
  });
});
