import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { RegistryAuth, RegistryDeployment, RegistryTls, RegistryTlsFromSecretOptions, RegistryVersion, TlsVersion } from '../../src';
import { validateChart } from '../util/validate-manifests';

type Obj = { [key: string]: any };

function synth(options: (chart: Chart) => RegistryTlsFromSecretOptions = () => ({}), version?: RegistryVersion) {
  const chart = new Chart(Testing.app(), 'test');
  const registry = new RegistryDeployment(chart, 'Registry', {
    auth: RegistryAuth.none(),
    version,
    tls: RegistryTls.fromSecret(kplus.Secret.fromSecretName(chart, 'Tls', 'registry-tls'), options(chart)),
  });
  const objects = validateChart(chart);
  const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require('yaml').parse(configMap.data[Object.keys(configMap.data)[0]]);
  const deployment = objects.find((o) => o.kind === 'Deployment')!;
  const service = objects.find((o) => o.kind === 'Service')!;
  const pod = deployment.spec.template.spec;
  return { registry, objects, config, pod, service, container: pod.containers[0] as Obj };
}

describe('RegistryTls.fromSecret', () => {
  test('defaults: tls.crt/tls.key of a kubernetes.io/tls Secret, HTTPS probe and port names, snapshot', () => {
    const { registry, objects, config, pod, container, service } = synth();
    expect(objects).toMatchSnapshot();
    expect(registry.servesTls).toBe(true);
    expect(config.http.tls).toEqual({ certificate: '/etc/registry/tls/tls.crt', key: '/etc/registry/tls/tls.key' });
    const mount = container.volumeMounts.find((m: Obj) => m.mountPath === '/etc/registry/tls');
    expect(mount.readOnly).toBe(true);
    const volume = pod.volumes.find((v: Obj) => v.name === mount.name);
    expect(volume.secret).toMatchObject({
      secretName: 'registry-tls',
      items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }],
    });
    expect(container.readinessProbe.httpGet).toMatchObject({ scheme: 'HTTPS', port: 5000 });
    expect(container.ports[0].name).toBe('https');
    expect(service.spec.ports[0].name).toBe('https');
  });

  test('custom keys, client CA (mutual TLS) and minimum TLS version', () => {
    const { config, pod, container } = synth((chart) => ({
      certificateKey: 'cert.pem',
      privateKeyKey: 'key.pem',
      clientCa: { secret: kplus.Secret.fromSecretName(chart, 'Ca', 'client-ca'), key: 'ca.crt' },
      minimumVersion: TlsVersion.TLS1_3,
    }));
    expect(config.http.tls).toEqual({
      certificate: '/etc/registry/tls/tls.crt',
      key: '/etc/registry/tls/tls.key',
      clientcas: ['/etc/registry/tls-client-ca/ca.crt'],
      minimumtls: 'tls1.3',
    });
    const tlsVolume = pod.volumes.find((v: Obj) => v.secret?.secretName === 'registry-tls');
    expect(tlsVolume.secret.items).toEqual([{ key: 'cert.pem', path: 'tls.crt' }, { key: 'key.pem', path: 'tls.key' }]);
    const caVolume = pod.volumes.find((v: Obj) => v.secret?.secretName === 'client-ca');
    expect(caVolume.secret.items).toEqual([{ key: 'ca.crt', path: 'ca.crt' }]);
    const caMount = container.volumeMounts.find((m: Obj) => m.name === caVolume.name);
    expect(caMount).toMatchObject({ mountPath: '/etc/registry/tls-client-ca', readOnly: true });
    // The kubelet cannot present a client certificate: readiness is a TCP check.
    expect(container.readinessProbe.httpGet).toBeUndefined();
    expect(container.readinessProbe.tcpSocket).toEqual({ port: 5000 });
  });

  test('2.8 renders the same keys (clientcas and minimumtls exist in 2.8.3)', () => {
    const { config } = synth(() => ({ minimumVersion: TlsVersion.TLS1_2 }), RegistryVersion.V2_8);
    expect(config.http.tls.minimumtls).toBe('tls1.2');
  });

  test('bad keys', () => {
    expect(() => synth(() => ({ certificateKey: 'a/b' }))).toThrow(/'tls\.certificateKey'/);
    expect(() => synth(() => ({ certificateKey: 'same', privateKeyKey: 'same' }))).toThrow(/'tls\.privateKeyKey' \("same"\) is already used for tls.crt/);
  });
});
