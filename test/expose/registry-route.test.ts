import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Platform, RegistryAuth, RegistryDeployment, RegistryRoute, RegistryRouteProps, RegistryTls, RouteTermination } from '../../src';
import { validateChart } from '../util/validate-manifests';

const CA = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';

function synth(props: Partial<RegistryRouteProps> = {}, podTls = false) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'registry' });
  const registry = new RegistryDeployment(chart, 'Registry', {
    name: 'registry',
    platform: Platform.OPENSHIFT,
    auth: RegistryAuth.none({ allowPublicAccess: true }),
    tls: podTls ? RegistryTls.fromSecret(kplus.Secret.fromSecretName(chart, 'Tls', 'registry-tls')) : undefined,
  });
  new RegistryRoute(chart, 'Route', { registry, host: 'registry.apps.example.com', ...props });
  const objects = validateChart(chart);
  const route = objects.find((o) => o.kind === 'Route')!;
  const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require('yaml').parse(configMap.data['config.yml']);
  return { route, config };
}

describe('RegistryRoute', () => {
  test('default edge termination redirects HTTP, long router timeout, external URL; snapshot', () => {
    const { route, config } = synth();
    expect(route).toMatchSnapshot();
    expect(route.apiVersion).toBe('route.openshift.io/v1');
    // named from the registry's name, labelled with its instance and its own component
    expect(route.metadata.name).toBe('registry');
    expect(route.metadata.labels).toMatchObject({ 'app.kubernetes.io/instance': 'registry', 'app.kubernetes.io/component': 'route' });
    expect(synth({ name: 'registry-public' }).route.metadata.name).toBe('registry-public');
    expect(route.metadata.namespace).toBe('registry');
    expect(route.metadata.annotations['haproxy.router.openshift.io/timeout']).toBe('900s');
    expect(route.spec).toEqual({
      host: 'registry.apps.example.com',
      to: { kind: 'Service', name: 'registry', weight: 100 },
      port: { targetPort: 'http' },
      tls: { termination: 'edge', insecureEdgeTerminationPolicy: 'Redirect' },
      wildcardPolicy: 'None',
    });
    expect(config.http.host).toBe('https://registry.apps.example.com');
  });

  test('edge without redirect refuses plain HTTP', () => {
    const { route } = synth({ termination: RouteTermination.edge({ redirectInsecure: false }), timeout: Duration.hours(1) });
    expect(route.spec.tls.insecureEdgeTerminationPolicy).toBe('None');
    expect(route.metadata.annotations['haproxy.router.openshift.io/timeout']).toBe('3600s');
  });

  test('reencrypt and passthrough with in-pod TLS', () => {
    const re = synth({ termination: RouteTermination.reencrypt({ destinationCaCertificate: CA }) }, true).route;
    expect(re.spec.tls).toEqual({ termination: 'reencrypt', insecureEdgeTerminationPolicy: 'Redirect', destinationCACertificate: CA });
    expect(re.spec.port).toEqual({ targetPort: 'https' });
    const pass = synth({ termination: RouteTermination.passthrough() }, true).route;
    expect(pass.spec.tls).toEqual({ termination: 'passthrough', insecureEdgeTerminationPolicy: 'Redirect' });
  });

  test('terminations that do not fit the registry TLS setting are errors', () => {
    expect(() => synth({ termination: RouteTermination.passthrough() })).toThrow(/^test\/Route: 'termination' is passthrough, which needs the registry to serve TLS/);
    expect(() => synth({ termination: RouteTermination.reencrypt() })).toThrow(/'termination' is reencrypt, which needs the registry to serve TLS/);
    expect(() => synth({}, true)).toThrow(/'termination' is edge, but the registry serves TLS itself/);
  });

  test('bad input', () => {
    expect(() => synth({ host: 'registry.apps.example.com:443' })).toThrow(/'host'/);
    expect(() => synth({ termination: RouteTermination.reencrypt({ destinationCaCertificate: 'nope' }) }, true)).toThrow(/'termination\.destinationCaCertificate' must be a PEM/);
    expect(() => synth({ termination: RouteTermination.reencrypt({ destinationCaCertificate: CA + '-----BEGIN PRIVATE KEY-----' }) }, true))
      .toThrow(/contains a private key/);
    expect(() => synth({ timeout: Duration.millis(500) })).toThrow(/'timeout'/);
  });
});
