import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Testing } from 'cdk8s';
import {
  INodeRegistrySource, MirrorSourcePolicy, NODE_FILES_HASH_ANNOTATION, NodeConfigInstaller, NodeRegistryConfig, NodeRegistryConfigProps,
  NodeRegistryHost, nodeFileKey, RegistryAuth, RegistryDeployment, RegistryNodePort,
} from '../../src';
import { manifestErrors, validateChart } from '../util/validate-manifests';

const CA = fs.readFileSync(path.join(__dirname, 'fixtures', 'ca.pem'), 'utf-8');

const mirrors: INodeRegistrySource = {
  nodeRegistryHosts: [
    { imageHost: 'docker.io', endpoint: 'http://localhost:30500', upstreamUrl: 'https://registry-1.docker.io' },
    { imageHost: 'ghcr.io', endpoint: 'https://mirror.example.com:8443', upstreamUrl: 'https://ghcr.io', caCertificate: CA },
  ],
};
const privateRegistry: INodeRegistrySource = {
  nodeRegistryHosts: [{ imageHost: 'registry.example.com', endpoint: 'https://registry.example.com', caCertificate: CA, requiresPullSecret: true }],
};
const source = (...hosts: NodeRegistryHost[]): INodeRegistrySource => ({ nodeRegistryHosts: hosts });

function chart(namespace: string | undefined = 'node-config'): Chart {
  return new Chart(Testing.app(), 'nodes', { namespace });
}

describe('NodeRegistryConfig', () => {
  test('every output: files, ConfigMap, OpenShift mirror sets and the installer, valid and byte-stable', () => {
    const c = chart();
    const config = new NodeRegistryConfig(c, 'Cluster-Mirrors', {
      sources: [mirrors, privateRegistry],
      openShift: true,
      installer: NodeConfigInstaller.daemonSet(),
    });
    expect(config.name).toBe('cluster-mirrors');
    expect(config.files.map((f) => f.path)).toEqual([
      'etc/containerd/certs.d/docker.io/hosts.toml',
      'etc/containerd/certs.d/ghcr.io/ca.crt',
      'etc/containerd/certs.d/ghcr.io/hosts.toml',
      'etc/containerd/certs.d/registry.example.com/ca.crt',
      'etc/containerd/certs.d/registry.example.com/hosts.toml',
      'etc/containers/certs.d/mirror.example.com:8443/ca.crt',
      'etc/containers/certs.d/registry.example.com/ca.crt',
      'etc/containers/registries.conf.d/50-cluster-mirrors.conf',
    ]);
    const objects = validateChart(c);
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace ?? '-'}/${o.metadata.name}`)).toEqual([
      'ImageDigestMirrorSet/-/cluster-mirrors', 'ImageTagMirrorSet/-/cluster-mirrors', 'ConfigMap/node-config/cluster-mirrors',
      'ServiceAccount/node-config/cluster-mirrors', 'DaemonSet/node-config/cluster-mirrors',
    ]);
    expect(objects).toMatchSnapshot();
    expect(Testing.synth(c)).toEqual(objects);

    // The ConfigMap holds every file under its documented key.
    const configMap = objects.find((o) => o.kind === 'ConfigMap');
    expect(Object.keys(configMap.data)).toEqual(config.files.map((f) => nodeFileKey(f.path)));
    expect(Object.keys(configMap.data)).toContain('etc_containers_certs.d_mirror.example.com_8443_ca.crt');
    for (const file of config.files) expect(configMap.data[nodeFileKey(file.path)]).toBe(file.content);

    // OpenShift: one entry per host reached elsewhere than at its own name; mirrors without scheme.
    const idms = objects.find((o) => o.kind === 'ImageDigestMirrorSet');
    expect(idms.spec.imageDigestMirrors).toEqual([
      { source: 'docker.io', mirrors: ['localhost:30500'], mirrorSourcePolicy: 'AllowContactingSource' },
      { source: 'ghcr.io', mirrors: ['mirror.example.com:8443'], mirrorSourcePolicy: 'AllowContactingSource' },
    ]);
    expect(objects.find((o) => o.kind === 'ImageTagMirrorSet').spec.imageTagMirrors).toEqual(idms.spec.imageDigestMirrors);
  });

  test('the installer: privileged, hostPath of the files\' directories only, a hash that follows the files', () => {
    const render = (hosts: NodeRegistryHost[], crio = true) => {
      const c = chart();
      new NodeRegistryConfig(c, 'nodes', { sources: [source(...hosts)], crio, installer: NodeConfigInstaller.daemonSet({ tolerateAllTaints: false }) });
      return validateChart(c).find((o) => o.kind === 'DaemonSet');
    };
    const ds = render(mirrors.nodeRegistryHosts);
    const pod = ds.spec.template.spec;
    expect(pod.volumes.filter((v: any) => v.hostPath).map((v: any) => v.hostPath.path)).toEqual([
      '/etc/containerd/certs.d', '/etc/containers/registries.conf.d', '/etc/containers/certs.d',
    ]);
    expect(pod.initContainers[0].securityContext.privileged).toBe(true);
    expect(pod.initContainers[0].command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(pod.tolerations).toBeUndefined();
    expect(pod.containers.map((c: any) => c.name)).toEqual(['pause']);
    expect(pod.automountServiceAccountToken).toBe(false);
    // containerd only: no /etc/containers mount at all
    const containerdOnly = render(mirrors.nodeRegistryHosts.slice(0, 1), false).spec.template.spec;
    expect(containerdOnly.volumes.filter((v: any) => v.hostPath).map((v: any) => v.hostPath.path)).toEqual(['/etc/containerd/certs.d']);
    // a change of a file changes the annotation; the same files give the same one
    const hash = (hosts: NodeRegistryHost[]) => render(hosts).spec.template.metadata.annotations[NODE_FILES_HASH_ANNOTATION];
    expect(hash(mirrors.nodeRegistryHosts)).toBe(ds.spec.template.metadata.annotations[NODE_FILES_HASH_ANNOTATION]);
    expect(hash(mirrors.nodeRegistryHosts)).toMatch(/^[0-9a-f]{64}$/);
    expect(hash([{ ...mirrors.nodeRegistryHosts[0], endpoint: 'http://localhost:30501' }, mirrors.nodeRegistryHosts[1]])).not.toBe(hash(mirrors.nodeRegistryHosts));
  });

  test('the installer in its own namespace takes the ConfigMap along; default tolerations tolerate every taint', () => {
    const c = chart();
    new NodeRegistryConfig(c, 'nodes', { sources: [mirrors], installer: NodeConfigInstaller.daemonSet({ namespace: 'node-installer' }) });
    const objects = validateChart(c);
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace}`)).toEqual(['ConfigMap/node-installer', 'ServiceAccount/node-installer', 'DaemonSet/node-installer']);
    expect(objects[2].spec.template.spec.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(objects[2].spec.template.spec.serviceAccountName).toBe('nodes');
    expect(objects[1].automountServiceAccountToken).toBe(false);
  });

  test('NeverContactSource on the mirror sets; no mirror sets when every host is reached at its own name', () => {
    const c = chart(undefined);
    const config = new NodeRegistryConfig(c, 'nodes', { sources: [mirrors], openShift: true, mirrorSourcePolicy: MirrorSourcePolicy.NEVER_CONTACT_SOURCE, configMap: false });
    const objects = validateChart(c);
    expect(objects.map((o) => o.kind)).toEqual(['ImageDigestMirrorSet', 'ImageTagMirrorSet']);
    expect(objects.every((o) => o.metadata.namespace === undefined)).toBe(true);
    expect(objects[0].spec.imageDigestMirrors.map((m: any) => m.mirrorSourcePolicy)).toEqual(['NeverContactSource', 'NeverContactSource']);
    expect(config.configMap).toBeUndefined();
    const own = chart();
    const privateOnly = new NodeRegistryConfig(own, 'nodes', { sources: [privateRegistry], openShift: true });
    expect(privateOnly.imageDigestMirrorSet).toBeUndefined();
  });

  test('writeFiles writes each file at its node path under nodes/<name>/, byte-identical, and drops files of an earlier run', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-files-'));
    try {
      const build = (sources: INodeRegistrySource[]) => {
        const app = new App({ outdir });
        new NodeRegistryConfig(new Chart(app, 'nodes', { namespace: 'node-config' }), 'Nodes', { sources });
        app.synth();
        return { app, written: NodeRegistryConfig.writeFiles(app) };
      };
      const { app, written } = build([mirrors, privateRegistry]);
      const config = app.node.findAll().find((x) => x instanceof NodeRegistryConfig) as NodeRegistryConfig;
      expect(written).toEqual(config.files.map((f) => `nodes/nodes/${f.path}`).sort());
      for (const file of config.files) expect(fs.readFileSync(path.join(outdir, 'nodes', 'nodes', file.path), 'utf-8')).toBe(file.content);
      const first = written.map((w) => fs.readFileSync(path.join(outdir, w)));
      expect(build([mirrors, privateRegistry]).written).toEqual(written);
      expect(written.map((w) => fs.readFileSync(path.join(outdir, w)))).toEqual(first);
      // a host removed: its files are gone
      build([mirrors]);
      expect(fs.existsSync(path.join(outdir, 'nodes', 'nodes', 'etc', 'containerd', 'certs.d', 'registry.example.com'))).toBe(false);
      expect(fs.existsSync(path.join(outdir, 'nodes.k8s.yaml'))).toBe(true);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  describe('bad input is refused, naming the construct path and the property', () => {
    const make = (props: any, id = 'Nodes') => () => new NodeRegistryConfig(chart(), id, props);
    test('two sources naming one image host', () => {
      expect(make({ sources: [mirrors, source({ imageHost: 'docker.io', endpoint: 'http://localhost:30600', upstreamUrl: 'https://registry-1.docker.io' })] }))
        .toThrow(/^nodes\/Nodes: 'sources\[1\]\.nodeRegistryHosts\[0\]\.imageHost' \("docker.io"\) is also given by sources\[0\]\.nodeRegistryHosts\[0\]/);
    });
    test('an endpoint that is not scheme://host[:port]', () => {
      expect(make({ sources: [source({ imageHost: 'docker.io', endpoint: 'localhost:30500', upstreamUrl: 'https://registry-1.docker.io' })] }))
        .toThrow(/nodes\/Nodes: 'sources\[0\]\.nodeRegistryHosts\[0\]\.endpoint' \("localhost:30500"\) must be scheme:\/\/host\[:port\]/);
      expect(make({ sources: [source({ imageHost: 'docker.io', endpoint: 'https://user:pw@mirror.example.com' })] })).toThrow(/endpoint/);
    });
    test('a malformed PEM', () => {
      expect(make({ sources: [source({ imageHost: 'r.example.com', endpoint: 'https://r.example.com', caCertificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' })] }))
        .toThrow(/'sources\[0\]\.nodeRegistryHosts\[0\]\.caCertificate' must be one or more PEM certificates.*does not parse/);
    });
    test('no sources, a bad name, nothing to render, a policy without OpenShift, an installer without the ConfigMap', () => {
      expect(make({ sources: [] })).toThrow(/'sources' must list at least one source/);
      expect(make({ sources: [{}] })).toThrow(/'sources\[0\]' has no nodeRegistryHosts/);
      expect(make({ sources: [mirrors], name: 'Bad_Name' })).toThrow(/'name' \("Bad_Name"\) must be a DNS-1123 label/);
      expect(make({ sources: [mirrors], containerd: false, crio: false })).toThrow(/'containerd' is false, and so are crio and openShift/);
      expect(make({ sources: [mirrors], mirrorSourcePolicy: MirrorSourcePolicy.NEVER_CONTACT_SOURCE })).toThrow(/'mirrorSourcePolicy' applies to the OpenShift mirror sets only/);
      expect(make({ sources: [mirrors], openShift: true, mirrorSourcePolicy: 'Never' })).toThrow(/'mirrorSourcePolicy' \("Never"\) must be one of/);
      expect(make({ sources: [mirrors], configMap: false, installer: NodeConfigInstaller.daemonSet() })).toThrow(/'configMap' is false, but the installer reads/);
      expect(make({ sources: [mirrors], installer: NodeConfigInstaller.daemonSet({ namespace: 'Bad' }) })).toThrow(/'installer.namespace'/);
      expect(make({ sources: [mirrors], installer: NodeConfigInstaller.daemonSet({ image: 'busybox:' }) })).toThrow(/'installer.image'/);
    });
    test('hosts written out: the same files as a source giving them; one image host across sources and hosts', () => {
      const files = (props: Partial<NodeRegistryConfigProps>) => new NodeRegistryConfig(chart(), 'Nodes', props).files;
      const host = { imageHost: 'docker.io', endpoint: 'http://localhost:30500', upstreamUrl: 'https://registry-1.docker.io' };
      expect(files({ hosts: [host] })).toEqual(files({ sources: [source(host)] }));
      expect(make({ sources: [source(host)], hosts: [{ ...host, endpoint: 'http://localhost:30600' }] }))
        .toThrow(/nodes\/Nodes: 'hosts\[0\]\.imageHost' \("docker.io"\) is also given by sources\[0\]\.nodeRegistryHosts\[0\]/);
      expect(make({ hosts: [{ ...host, endpoint: 'localhost:30500' }] })).toThrow(/'hosts\[0\]\.endpoint'/);
      expect(make({ hosts: [] })).toThrow(/'sources' must list at least one source/);
    });

    test('a NodePort on an IPv6 node address: the way in and the node files follow one image-host rule', () => {
      const c = chart();
      const registry = new RegistryDeployment(c, 'Registry', { name: 'private', auth: RegistryAuth.none() });
      const wayIn = new RegistryNodePort(c, 'NodePort', { registry, nodePort: 30600, address: 'fd00::5', publicAccess: false });
      expect(wayIn.nodeRegistryHosts).toEqual([{ imageHost: '[fd00::5]:30600', endpoint: 'http://[fd00::5]:30600' }]);
      const config = new NodeRegistryConfig(c, 'Nodes', { sources: [wayIn] });
      expect(config.files.find((f) => f.path.endsWith('.conf'))!.content).toContain('location = "[fd00::5]:30600"');
      expect(make({ hosts: [{ imageHost: 'Registry.Example.com', endpoint: 'https://registry.example.com' }] })).toThrow(/'hosts\[0\]\.imageHost'/);
    });

    test('two configs of one name in one namespace', () => {
      const c = chart();
      new NodeRegistryConfig(c, 'a', { sources: [mirrors], name: 'nodes' });
      expect(() => new NodeRegistryConfig(c, 'b', { sources: [privateRegistry], name: 'nodes' })).toThrow(/nodes\/b: 'name' \("nodes"\) is also the name of nodes\/a/);
    });
  });
});

describe('the OpenShift schema check (test/util/validate-manifests.ts) catches what the API server refuses', () => {
  const idms = (entry: any, extra: any = {}) => ({
    apiVersion: 'config.openshift.io/v1', kind: 'ImageDigestMirrorSet', metadata: { name: 'm', ...extra }, spec: { imageDigestMirrors: [entry] },
  });
  test('a valid object passes', () => {
    expect(manifestErrors([idms({ source: 'docker.io', mirrors: ['localhost:30500'], mirrorSourcePolicy: 'NeverContactSource' })])).toEqual([]);
  });
  test('a mirror with a scheme, an unknown policy, a missing source, an unknown field, duplicate mirrors, a namespace', () => {
    const errors = [
      ...manifestErrors([idms({ source: 'docker.io', mirrors: ['http://localhost:30500'] })]),
      ...manifestErrors([idms({ source: 'docker.io', mirrors: ['m.example.com'], mirrorSourcePolicy: 'Never' })]),
      ...manifestErrors([idms({ mirrors: ['m.example.com'] })]),
      ...manifestErrors([idms({ source: 'docker.io', mirror: ['m.example.com'] })]),
      ...manifestErrors([idms({ source: 'docker.io', mirrors: ['m.example.com', 'm.example.com'] })]),
      ...manifestErrors([idms({ source: 'docker.io' }, { namespace: 'ns' })]),
    ].join('\n');
    expect(errors).toMatch(/mirrors\/0 \("http:\/\/localhost:30500"\) does not match/);
    expect(errors).toMatch(/mirrorSourcePolicy \("Never"\) must be one of NeverContactSource, AllowContactingSource/);
    expect(errors).toMatch(/imageDigestMirrors\/0\/source is required/);
    expect(errors).toMatch(/imageDigestMirrors\/0\/mirror is not a field of the schema/);
    expect(errors).toMatch(/mirrors is a set/);
    expect(errors).toMatch(/metadata.namespace must not be set on a cluster-scoped ImageDigestMirrorSet/);
  });
});
