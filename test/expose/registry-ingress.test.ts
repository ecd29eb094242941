import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { RegistryAuth, RegistryDeployment, RegistryIngress, RegistryIngressProps, RegistryIngressTls, RegistryTls } from '../../src';
import { validateChart } from '../util/validate-manifests';

const NGINX = 'nginx.ingress.kubernetes.io';

function synth(props: (chart: Chart) => Partial<RegistryIngressProps> = () => ({}), podTls = false) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'container-registry' });
  const registry = new RegistryDeployment(chart, 'Registry', {
    name: 'registry',
    auth: RegistryAuth.none({ allowPublicAccess: true }),
    tls: podTls ? RegistryTls.fromSecret(kplus.Secret.fromSecretName(chart, 'Tls', 'registry-tls')) : undefined,
  });
  new RegistryIngress(chart, 'Ingress', { registry, host: 'registry.example.com', ...props(chart) });
  const objects = validateChart(chart);
  const ingress = objects.find((o) => o.kind === 'Ingress')!;
  const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require('yaml').parse(configMap.data['config.yml']);
  return { objects, ingress, config };
}

describe('RegistryIngress', () => {
  test('TLS from a Secret, class, ingress-nginx settings for large layers, external URL; snapshot', () => {
    const { ingress, config } = synth((chart) => ({
      tls: RegistryIngressTls.fromSecret(kplus.Secret.fromSecretName(chart, 'Cert', 'registry-cert')),
      ingressClassName: 'nginx',
    }));
    expect(ingress).toMatchSnapshot();
    expect(ingress.apiVersion).toBe('networking.k8s.io/v1');
    // named from the registry's name, labelled with its instance and its own component
    expect(ingress.metadata.name).toBe('registry');
    expect(ingress.metadata.labels).toMatchObject({ 'app.kubernetes.io/instance': 'registry', 'app.kubernetes.io/component': 'ingress' });
    expect(synth(() => ({ name: 'registry-public' })).ingress.metadata.name).toBe('registry-public');
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.tls).toEqual([{ hosts: ['registry.example.com'], secretName: 'registry-cert' }]);
    expect(ingress.spec.rules).toEqual([{
      host: 'registry.example.com',
      http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'registry', port: { number: 5000 } } } }] },
    }]);
    expect(ingress.metadata.annotations).toEqual({
      [`${NGINX}/proxy-body-size`]: '0',
      [`${NGINX}/proxy-read-timeout`]: '900',
      [`${NGINX}/proxy-request-buffering`]: 'off',
      [`${NGINX}/proxy-send-timeout`]: '900',
    });
    expect(config.http.host).toBe('https://registry.example.com');
  });

  test('cert-manager ClusterIssuer and Issuer annotations with the Secret they write', () => {
    const cluster = synth(() => ({ tls: RegistryIngressTls.certManagerClusterIssuer('letsencrypt-prod') })).ingress;
    expect(cluster.metadata.annotations['cert-manager.io/cluster-issuer']).toBe('letsencrypt-prod');
    expect(cluster.spec.tls).toEqual([{ hosts: ['registry.example.com'], secretName: 'registry-example-com-tls' }]);
    const ns = synth(() => ({ tls: RegistryIngressTls.certManagerIssuer('internal-ca', { secretName: 'my-cert' }) })).ingress;
    expect(ns.metadata.annotations['cert-manager.io/issuer']).toBe('internal-ca');
    expect(ns.metadata.annotations['cert-manager.io/cluster-issuer']).toBeUndefined();
    expect(ns.spec.tls[0].secretName).toBe('my-cert');
  });

  test('a pod serving TLS gets an HTTPS backend; timeout configurable; annotations can be left out', () => {
    const tls = synth(() => ({ proxyTimeout: Duration.minutes(30) }), true).ingress;
    expect(tls.metadata.annotations[`${NGINX}/backend-protocol`]).toBe('HTTPS');
    expect(tls.metadata.annotations[`${NGINX}/proxy-read-timeout`]).toBe('1800');
    const plain = synth(() => ({ nginxAnnotations: false })).ingress;
    expect(plain.metadata.annotations ?? {}).toEqual({});
    expect(plain.spec.tls).toBeUndefined();
  });

  test('bad input', () => {
    expect(() => synth(() => ({ host: 'Registry.Example.com' }))).toThrow(/^test\/Ingress: 'host'.*lower-case DNS name/);
    expect(() => synth(() => ({ host: '*.example.com' }))).toThrow(/'host'/);
    expect(() => synth(() => ({ ingressClassName: 'Nginx' }))).toThrow(/'ingressClassName'/);
    expect(() => synth(() => ({ nginxAnnotations: false, proxyTimeout: Duration.minutes(1) }))).toThrow(/'proxyTimeout'.*nginxAnnotations: true/);
    expect(() => synth(() => ({ tls: RegistryIngressTls.certManagerClusterIssuer('Bad Issuer') }))).toThrow(/'tls.issuerName' \("Bad Issuer"\) must be a DNS-1123 subdomain/);
    expect(() => synth(() => ({ tls: RegistryIngressTls.certManagerIssuer('ca', { secretName: 'Bad' }) }))).toThrow(/'tls\.secretName'/);
  });
});
