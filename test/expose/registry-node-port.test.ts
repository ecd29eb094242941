import { App, Chart, Testing } from 'cdk8s';
import {
  ElbTlsService, HtpasswdAuth, Platform, RegistryAuth, RegistryDeployment, RegistryIngress, RegistryNetworkPolicy, RegistryNodePort,
  RegistryNodePortProps, RegistryRoute,
} from '../../src';
import { validateChart } from '../util/validate-manifests';

const ACM = 'arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';

function build(props: Partial<RegistryNodePortProps> = {}, auth = RegistryAuth.none({ allowPublicAccess: true })) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'container-registry' });
  const registry = new RegistryDeployment(chart, 'Registry', { name: 'registry', auth });
  const nodePort = new RegistryNodePort(chart, 'NodePort', { registry, nodePort: 30500, ...props });
  return { chart, registry, nodePort };
}

describe('RegistryNodePort', () => {
  test('a NodePort Service on the registry\'s pods, named from the registry, with one node host at localhost; snapshot', () => {
    const { chart, nodePort, registry } = build();
    const objects = validateChart(chart);
    const service = objects.find((o) => o.kind === 'Service' && o.spec.type === 'NodePort')!;
    expect(service).toMatchSnapshot();
    expect(service.metadata.name).toBe('registry-node-port');
    expect(service.metadata.labels['app.kubernetes.io/component']).toBe('node-port');
    expect(service.spec.ports).toEqual([{ name: 'http', port: 5000, targetPort: 5000, nodePort: 30500, protocol: 'TCP' }]);
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    expect(service.spec.selector).toEqual({ ...deployment.spec.selector.matchLabels, 'app.kubernetes.io/component': 'registry' });
    expect(nodePort.nodeRegistryHosts).toEqual([{ imageHost: 'localhost:30500', endpoint: 'http://localhost:30500' }]);
    // no external URL: the registry answers with the host each request names
    expect(registry.externalUrl).toBeUndefined();
    expect(registry.waysIn.map((w) => w.kind)).toEqual(['node-port']);
  });

  test('address, imageHost and name as given; a registry with auth needs a pull Secret', () => {
    const { nodePort } = build({ address: '10.0.0.12', imageHost: 'registry.internal:30500', name: 'images' },
      HtpasswdAuth.fromUsers({ users: [{ username: 'ci', password: 'a long random password' }] }));
    expect(nodePort.nodeRegistryHosts).toEqual([{ imageHost: 'registry.internal:30500', endpoint: 'http://10.0.0.12:30500', requiresPullSecret: true }]);
    expect(nodePort.service.name).toBe('images');
    expect(build({ address: 'fd00::12' }).nodePort.endpoint).toBe('http://[fd00::12]:30500');
  });

  test('refuses a port outside the NodePort range, a missing port, bad addresses and image hosts', () => {
    expect(() => build({ nodePort: 5000 })).toThrow(/^test\/NodePort: 'nodePort' \(5000\) must be a whole number from 30000 to 32767/);
    expect(() => build({ nodePort: undefined as any })).toThrow(/'nodePort' is required: give a port from 30000 to 32767/);
    expect(() => build({ address: 'http://localhost' })).toThrow(/'address' \("http:\/\/localhost"\) must be a host name or IP address/);
    expect(() => build({ imageHost: 'Docker.io/library' })).toThrow(/'imageHost' \("Docker.io\/library"\) must be a registry host/);
  });

  test('two ways in with one node port in an app are refused, across charts', () => {
    const app = Testing.app();
    const a = new Chart(app, 'a', { namespace: 'one' });
    const b = new Chart(app, 'b', { namespace: 'two' });
    const ra = new RegistryDeployment(a, 'Registry', { name: 'a', auth: RegistryAuth.none({ allowPublicAccess: true }) });
    const rb = new RegistryDeployment(b, 'Registry', { name: 'b', auth: RegistryAuth.none({ allowPublicAccess: true }) });
    new RegistryNodePort(a, 'NodePort', { registry: ra, nodePort: 30500 });
    expect(() => new RegistryNodePort(b, 'NodePort', { registry: rb, nodePort: 30500 }))
      .toThrow(/^b\/NodePort: 'nodePort' \(30500\) is already the node port of a\/NodePort: a port opens once on every node/);
    expect(() => new RegistryNodePort(b, 'Other', { registry: rb, nodePort: 30501 })).not.toThrow();
  });

  test('an open registry behind a public NodePort is refused at synth; publicAccess: false is not', () => {
    const { chart } = build({}, RegistryAuth.none());
    expect(() => Testing.synth(chart)).toThrow(/test\/NodePort: 'registry' \(test\/Registry\) has no authentication \(RegistryAuth.none\(\)\): through this public way in anyone could push/);
    const closed = build({ publicAccess: false }, RegistryAuth.none());
    expect(() => validateChart(closed.chart)).not.toThrow();
  });

  test('a name made from a long registry name that no Service can have is refused', () => {
    const chart = Testing.chart();
    const registry = new RegistryDeployment(chart, 'Registry', { name: 'r'.repeat(54), auth: RegistryAuth.none({ allowPublicAccess: true }) });
    expect(() => new RegistryNodePort(chart, 'NodePort', { registry, nodePort: 30500 })).toThrow(/'name' is not given, and the name made from the registry's .* longer than the 63 characters/);
  });

  test('a network policy admits a NodePort way in through allowFromCidrs, or fails saying what to add', () => {
    const { chart, registry } = build();
    new RegistryNetworkPolicy(chart, 'Policy', { registry, allowFromNamespaces: ['ci'] });
    expect(() => Testing.synth(chart)).toThrow(/test\/Policy: 'allowFromCidrs' is not given, but the registry is exposed through the NodePort test\/NodePort.*give allowFromCidrs with the nodes' range/s);
    const fixed = build();
    new RegistryNetworkPolicy(fixed.chart, 'Policy', { registry: fixed.registry, allowFromCidrs: ['10.0.0.0/16'] });
    const policy = validateChart(fixed.chart).find((o) => o.kind === 'NetworkPolicy')!;
    expect(policy.spec.ingress[0].from).toEqual([{ ipBlock: { cidr: '10.0.0.0/16' } }]);
  });
});

describe('node hosts of the https ways in (private registries)', () => {
  test('Ingress, load balancer and Route give https://HOST, with a pull Secret when the registry has auth', () => {
    const chart = new Chart(new App(), 'test', { namespace: 'ns' });
    const auth = HtpasswdAuth.fromUsers({ users: [{ username: 'ci', password: 'a long random password' }] });
    const registry = new RegistryDeployment(chart, 'Registry', { name: 'registry', auth });
    const ingress = new RegistryIngress(chart, 'Ingress', { registry, host: 'registry.example.com' });
    const lb = new ElbTlsService(chart, 'Lb', { registry, hostname: 'registry.example.com', certificateArn: ACM });
    expect(ingress.nodeRegistryHosts).toEqual([{ imageHost: 'registry.example.com', endpoint: 'https://registry.example.com', requiresPullSecret: true }]);
    expect(lb.nodeRegistryHosts).toEqual(ingress.nodeRegistryHosts);
    const os = new Chart(new App(), 'os', { namespace: 'ns' });
    const open = new RegistryDeployment(os, 'Registry', { platform: Platform.OPENSHIFT, auth: RegistryAuth.none({ allowPublicAccess: true }) });
    const route = new RegistryRoute(os, 'Route', { registry: open, host: 'registry.apps.example.com' });
    expect(route.nodeRegistryHosts).toEqual([{ imageHost: 'registry.apps.example.com', endpoint: 'https://registry.apps.example.com' }]);
  });
});
