import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  MirrorNodeAccess, MirrorUpstream, RegistryIngressTls, RegistryMetrics, RegistryMirrorSet, RegistryMirrorSetProps, RegistryVersion, S3Credentials,
  StorageBackend, AzureCredentials, SwiftCredentials,
} from '../../src';
import { validateChart } from '../util/validate-manifests';

type Obj = { [key: string]: any };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const YAML = require('yaml');

function build(props: Partial<RegistryMirrorSetProps> = {}, chart = new Chart(Testing.app(), 'mirrors', { namespace: 'registry-mirrors' })) {
  const set = new RegistryMirrorSet(chart, 'Mirrors', {
    upstreams: [MirrorUpstream.dockerHub(), MirrorUpstream.ghcr(), MirrorUpstream.quay(), MirrorUpstream.k8s()],
    ...props,
  });
  return { chart, set };
}

const configOf = (objects: Obj[], name: string) => YAML.parse(objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === `${name}-config`)!.data['config.yml']);

describe('RegistryMirrorSet', () => {
  test('four upstreams: a pull-through registry and a NodePort each, consecutive ports, node hosts with the upstream fallback; snapshot', () => {
    const { chart, set } = build({ version: RegistryVersion.V3_1, ttl: Duration.hours(72) });
    const objects = validateChart(chart);
    expect(objects).toMatchSnapshot();
    const names = ['mirrors-docker-io', 'mirrors-ghcr-io', 'mirrors-quay-io', 'mirrors-registry-k8s-io'];
    expect(objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name)).toEqual(names);
    expect(objects.filter((o) => o.kind === 'Service' && o.spec.type === 'NodePort').map((o) => [o.metadata.name, o.spec.ports[0].nodePort]))
      .toEqual(names.map((n, i) => [`${n}-node-port`, 30500 + i]));
    expect(names.map((n) => configOf(objects, n).proxy)).toEqual([
      { remoteurl: 'https://registry-1.docker.io', ttl: '72h' },
      { remoteurl: 'https://ghcr.io', ttl: '72h' },
      { remoteurl: 'https://quay.io', ttl: '72h' },
      { remoteurl: 'https://registry.k8s.io', ttl: '72h' },
    ]);
    // each mirror on its own claim (two proxies in one root would share scheduler-state.json)
    expect(objects.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => o.metadata.name)).toEqual(names.map((n) => `${n}-data`));
    expect(set.nodeRegistryHosts).toEqual([
      { imageHost: 'docker.io', endpoint: 'http://localhost:30500', upstreamUrl: 'https://registry-1.docker.io' },
      { imageHost: 'ghcr.io', endpoint: 'http://localhost:30501', upstreamUrl: 'https://ghcr.io' },
      { imageHost: 'quay.io', endpoint: 'http://localhost:30502', upstreamUrl: 'https://quay.io' },
      { imageHost: 'registry.k8s.io', endpoint: 'http://localhost:30503', upstreamUrl: 'https://registry.k8s.io' },
    ]);
    expect(objects.every((o) => o.metadata.namespace === 'registry-mirrors')).toBe(true);
    // the registries are there to add parts to
    expect(set.registryFor('quay.io').name).toBe('mirrors-quay-io');
    expect(() => set.registryFor('gcr.io')).toThrow(/'upstreams' has no mirror of "gcr.io": it mirrors docker.io, ghcr.io, quay.io, registry.k8s.io/);
  });

  test('parts can be added to the created registries', () => {
    const { chart, set } = build({ metrics: true });
    new RegistryMetrics(chart, 'Metrics', { registry: set.registryFor('docker.io') });
    const objects = validateChart(chart);
    expect(objects.some((o) => o.kind === 'Service' && o.metadata.name === 'mirrors-docker-io-metrics')).toBe(true);
  });

  test('credentials per upstream by Secret reference; behind a public NodePort they need allowPublicPullThrough', () => {
    const chart = new Chart(Testing.app(), 'mirrors', { namespace: 'registry-mirrors' });
    const hub = kplus.Secret.fromSecretName(chart, 'Hub', 'docker-hub-login');
    const login = { username: { secret: hub, key: 'username' }, password: { secret: hub, key: 'token' } };
    build({ upstreams: [MirrorUpstream.dockerHub(login), MirrorUpstream.k8s()] }, chart);
    expect(() => Testing.synth(chart)).toThrow(/Mirrors\/docker-io-node-port: 'registry' .* its proxy refuses every push, but through this public way in anyone who reaches it pulls through your upstream credentials \(docker-hub-login\)/);

    const ok = new Chart(Testing.app(), 'mirrors', { namespace: 'registry-mirrors' });
    const hub2 = kplus.Secret.fromSecretName(ok, 'Hub', 'docker-hub-login');
    build({ upstreams: [MirrorUpstream.dockerHub({ username: { secret: hub2, key: 'username' }, password: { secret: hub2, key: 'token' }, allowPublicPullThrough: true })] }, ok);
    const objects = validateChart(ok);
    expect(configOf(objects, 'mirrors-docker-io').proxy.username).toMatch(/^__registry_secret_\d+__$/);
    // or: NodePorts on a private node network
    const closed = new Chart(Testing.app(), 'mirrors', { namespace: 'registry-mirrors' });
    const hub3 = kplus.Secret.fromSecretName(closed, 'Hub', 'docker-hub-login');
    build({
      upstreams: [MirrorUpstream.dockerHub({ username: { secret: hub3, key: 'username' }, password: { secret: hub3, key: 'token' } })],
      nodeAccess: MirrorNodeAccess.nodePorts({ firstPort: 31000, publicAccess: false, address: '10.0.0.1' }),
    }, closed);
    expect(() => validateChart(closed)).not.toThrow();
  });

  test('object storage shared by prefix: each mirror under <rootDirectory>/<slug>', () => {
    const chart = new Chart(Testing.app(), 'mirrors', { namespace: 'registry-mirrors' });
    const keys = S3Credentials.fromSecret(kplus.Secret.fromSecretName(chart, 'Keys', 's3-keys'));
    build({ storage: StorageBackend.s3({ bucket: 'mirrors', region: 'eu-west-1', rootDirectory: '/cache/', credentials: keys }) }, chart);
    const objects = validateChart(chart);
    expect(['docker-io', 'ghcr-io', 'quay-io', 'registry-k8s-io'].map((s) => configOf(objects, `mirrors-${s}`).storage.s3.rootdirectory))
      .toEqual(['/cache/docker-io', '/cache/ghcr-io', '/cache/quay-io', '/cache/registry-k8s-io']);
    // Azure (3.x), GCS, MinIO, Swift (2.8): the same, with each driver's key
    const azure = new Chart(Testing.app(), 'a', { namespace: 'm' });
    build({
      version: RegistryVersion.V3_1,
      storage: StorageBackend.azure({ container: 'mirrors', accountName: 'acct', credentials: AzureCredentials.fromSecret(kplus.Secret.fromSecretName(azure, 'K', 'az')) } as any),
      upstreams: [MirrorUpstream.quay()],
    }, azure);
    expect(configOf(validateChart(azure), 'mirrors-quay-io').storage.azure.rootdirectory).toBe('/quay-io');
    const swift = new Chart(Testing.app(), 's', { namespace: 'm' });
    build({
      storage: StorageBackend.swift({
        authUrl: 'https://identity.example.com/v3', domain: 'Default', tenant: 'registry', container: 'c', prefix: 'registry', credentials: SwiftCredentials.fromSecret(kplus.Secret.fromSecretName(swift, 'K', 'sw')),
      } as any),
      upstreams: [MirrorUpstream.quay()],
    }, swift);
    expect(configOf(validateChart(swift), 'mirrors-quay-io').storage.swift.prefix).toBe('registry/quay-io');
  });

  test('refused: an existing claim, a claim name, empty list, duplicates, URL mismatches, a port range past 32767', () => {
    expect(() => build({ storage: StorageBackend.existingClaim('registry-data') }))
      .toThrow(/^mirrors\/Mirrors: 'storage' \(StorageBackend.existingClaim\("registry-data"\)\) cannot be shared by several registries/);
    expect(() => build({ storage: StorageBackend.persistentVolumeClaim({ claimName: 'cache' }) }))
      .toThrow(/'storage.claimName' \("cache"\) would name the claim of every registry sharing this storage/);
    expect(() => build({ upstreams: [] })).toThrow(/^mirrors\/Mirrors: 'upstreams' is empty: give the upstreams to mirror/);
    expect(() => build({ upstreams: [MirrorUpstream.quay(), MirrorUpstream.of({ imageHost: 'quay.io', remoteUrl: 'https://quay.io' })] }))
      .toThrow(/'upstreams\[1\]' mirrors quay.io, as upstreams\[0\] does/);
    expect(() => build({ upstreams: [MirrorUpstream.of({ imageHost: 'docker.io', remoteUrl: 'https://mirror.gcr.io' })] }))
      .toThrow(/'upstreams\[0\].remoteUrl' \("https:\/\/mirror.gcr.io"\) is not the API of docker.io, which is https:\/\/registry-1.docker.io/);
    expect(() => build({ upstreams: [MirrorUpstream.of({ imageHost: 'registry.example.com', remoteUrl: 'https://other.example.com' })] }))
      .toThrow(/'upstreams\[0\].remoteUrl' \("https:\/\/other.example.com"\) is on host other.example.com, but imageHost is registry.example.com/);
    expect(() => build({ upstreams: [MirrorUpstream.of({ imageHost: 'https://registry.example.com', remoteUrl: 'https://registry.example.com' })] }))
      .toThrow(/'upstreams\[0\].imageHost' \("https:\/\/registry.example.com"\) must be a registry host/);
    expect(() => build({ nodeAccess: MirrorNodeAccess.nodePorts({ firstPort: 32765 }) }))
      .toThrow(/'nodeAccess.firstPort' \(32765\) leaves no room for 4 upstreams: the last would get 32768.*at most 32764/);
    expect(() => build({ nodeAccess: MirrorNodeAccess.nodePorts({ firstPort: 32764 }) })).not.toThrow();
  });

  test('pullFrom: a preset pulls through another mirror of its upstream; the nodes still fall back to the upstream', () => {
    const { chart, set } = build({ upstreams: [MirrorUpstream.dockerHub({ pullFrom: 'https://mirror.gcr.io' })] });
    const config = Testing.synth(chart).find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'mirrors-docker-io-config')!;
    expect(Object.values<string>(config.data)[0]).toContain('remoteurl: https://mirror.gcr.io\n');
    expect(set.nodeRegistryHosts[0]).toMatchObject({ imageHost: 'docker.io', upstreamUrl: 'https://registry-1.docker.io' });
    expect(() => build({ upstreams: [MirrorUpstream.quay({ pullFrom: 'mirror.example.com' })] })).toThrow(/'upstreams\[0\]\.pullFrom'/);
  });

  test('an upstream of its own, on a port', () => {
    const { chart, set } = build({ upstreams: [MirrorUpstream.of({ imageHost: 'registry.example.com:5000', remoteUrl: 'https://registry.example.com:5000' })], name: 'cache' });
    const objects = validateChart(chart);
    expect(objects.find((o) => o.kind === 'Deployment')!.metadata.name).toBe('cache-registry-example-com-5000');
    expect(set.nodeRegistryHosts).toEqual([{ imageHost: 'registry.example.com:5000', endpoint: 'http://localhost:30500', upstreamUrl: 'https://registry.example.com:5000' }]);
  });

  test('through an Ingress per mirror (https, a certificate the nodes trust) or a load balancer', () => {
    const { chart, set } = build({
      nodeAccess: MirrorNodeAccess.ingress({ hostSuffix: 'mirrors.example.com', tls: RegistryIngressTls.certManagerClusterIssuer('letsencrypt'), ingressClassName: 'nginx' }),
      upstreams: [MirrorUpstream.dockerHub(), MirrorUpstream.ghcr()],
    });
    const objects = validateChart(chart);
    expect(objects.filter((o) => o.kind === 'Ingress').map((o) => [o.metadata.name, o.spec.rules[0].host]))
      .toEqual([['mirrors-docker-io', 'docker-io.mirrors.example.com'], ['mirrors-ghcr-io', 'ghcr-io.mirrors.example.com']]);
    expect(set.nodeRegistryHosts[0]).toEqual({ imageHost: 'docker.io', endpoint: 'https://docker-io.mirrors.example.com', upstreamUrl: 'https://registry-1.docker.io' });
    const lb = build({
      nodeAccess: MirrorNodeAccess.loadBalancer({ hostSuffix: 'mirrors.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012', internal: true }),
      upstreams: [MirrorUpstream.k8s()],
    });
    expect(validateChart(lb.chart).find((o) => o.spec?.type === 'LoadBalancer')!.metadata.name).toBe('mirrors-registry-k8s-io-lb');
    expect(lb.set.nodeRegistryHosts[0].endpoint).toBe('https://registry-k8s-io.mirrors.example.com');
  });
});

test('renames move nothing: other chart and construct ids give the same objects, byte for byte', () => {
  const synthIn = (chartId: string, setId: string) => {
    const chart = new Chart(Testing.app(), chartId, { namespace: 'registry-mirrors' });
    new RegistryMirrorSet(chart, setId, { upstreams: [MirrorUpstream.dockerHub(), MirrorUpstream.k8s()] });
    return validateChart(chart).map((o) => YAML.stringify(o)).sort();
  };
  const before = synthIn('mirrors', 'Mirrors');
  const after = synthIn('zq-nodes', 'ZqCaches');
  expect(after).toEqual(before);
  expect(after.join('\n').toLowerCase()).not.toContain('zq');
});
