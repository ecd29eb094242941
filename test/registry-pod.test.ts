import { ApiObject, Duration, JsonPatch, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  AzureCredentials, RegistryAuth, RegistryDeployment, RegistryDeploymentProps, RegistryVersion, StorageBackend,
} from '../src';
import { RegistryPod } from '../src/registry-pod';

type Obj = { [key: string]: any };

function registry(props: Partial<RegistryDeploymentProps> = {}) {
  const chart = Testing.chart();
  const r = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), version: RegistryVersion.V3, ...props });
  return { chart, r, pod: RegistryPod.of(r)! };
}

const command = { name: 'gc', command: 'garbage-collect', flags: ['--dry-run'], withoutEnv: ['REGISTRY_LOG_LEVEL'] };
const deploymentOf = (chart: any): Obj => Testing.synth(chart).find((o) => o.kind === 'Deployment')!;

describe('RegistryPod', () => {
  test('is the facet of its registry, and of nothing else', () => {
    const { r, pod } = registry();
    expect(pod.deployment).toBe(r.deployment);
    expect(pod.container).toBe(r.container);
    expect(RegistryPod.of(Testing.chart())).toBeUndefined();
  });

  test('a job\'s registry command: the registry container\'s image, config file, env but the excluded, mounts, user and resources', () => {
    // GIVEN a registry whose config holds a credential (rendered by an init container) and an env variable to leave out
    const { chart, r, pod } = registry({ logLevel: undefined });
    r.addSecretEnv('REGISTRY_HTTP_SECRET', { secret: kplus.Secret.fromSecretName(r, 'H', 'http'), key: 'secret' });
    r.addPart({ bind: () => ({ name: 'log', env: { REGISTRY_LOG_LEVEL: kplus.EnvValue.fromValue('debug') } }) });
    r.addConfigSection('notifications', {
      endpoints: [{ name: 'x', url: 'https://x.example.com/events', headers: { Authorization: [r.secretValue(kplus.Secret.fromSecretName(r, 'T', 't'), 'header')] } }],
    });
    const job = pod.jobPod(command);
    // THEN it is what the Deployment renders, resolved at synth like it
    const registryPod = deploymentOf(chart).spec.template.spec;
    const container: Obj = registryPod.containers[0];
    expect(job.command.name).toBe('gc');
    expect(job.command.image).toBe(container.image);
    expect(job.command.command).toEqual(['registry']);
    expect(job.command.args[0]).toBe('garbage-collect');
    expect(job.command.args[2]).toBe('--dry-run');
    expect(job.command.volumeMounts.map((m: Obj) => m.mountPath)).toEqual(container.volumeMounts.map((m: Obj) => m.mountPath));
    expect(job.command.env.map((e: Obj) => e.name)).toEqual(container.env.map((e: Obj) => e.name).filter((n: string) => n !== 'REGISTRY_LOG_LEVEL'));
    expect(job.command.securityContext).toEqual(container.securityContext);
    expect(job.command.resources).toEqual(container.resources);
    // AND the pod's init container (the credential renderer), volumes and security context, seccomp included
    expect(job.initContainers.map((c) => c.name)).toEqual(['render-config']);
    expect(job.volumes.map((v) => v.name)).toEqual(registryPod.volumes.map((v: Obj) => v.name));
    expect(job.securityContext).toEqual(registryPod.securityContext);
    expect(job.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    // AND the config file is the rendered copy the registry serves (a token resolved at synth)
    const holder = new ApiObject(chart, 'Holder', { apiVersion: 'v1', kind: 'ConfigMap', data: { args: job.command.args } });
    expect(holder.toJson().data.args).toEqual(['garbage-collect', container.args[1], '--dry-run']);
    expect(container.args[1]).toBe('/run/registry-config/config.yml');
  });

  test('a JSON patch of the Deployment reaches the registry, not a job: the job is rendered from the model', () => {
    const { chart, r, pod } = registry();
    r.container.env.addVariable('GOMAXPROCS', kplus.EnvValue.fromValue('2'));
    ApiObject.of(r.deployment).addJsonPatch(
      JsonPatch.add('/spec/template/spec/containers/0/env', [{ name: 'PATCHED', value: 'yes' }]),
      JsonPatch.add('/spec/template/spec/imagePullSecrets', [{ name: 'mirror' }]),
    );
    const job = pod.jobPod({ ...command, withoutEnv: [] });
    expect(deploymentOf(chart).spec.template.spec.imagePullSecrets).toEqual([{ name: 'mirror' }]);
    expect(job.command.env).toContainEqual({ name: 'GOMAXPROCS', value: '2' });
    expect(job.command.env.map((e: Obj) => e.name)).not.toContain('PATCHED');
    expect(job.imagePullSecrets).toBeUndefined();
    // AND an env list left empty is no env at all
    const all = job.command.env.map((e: Obj) => e.name);
    expect(pod.jobPod({ ...command, withoutEnv: all }).command.env).toBeUndefined();
  });

  test('a job\'s placement: the placement prop\'s node pool and priority, not anti-affinity or spread', () => {
    const { chart, pod } = registry({
      storage: StorageBackend.inMemory(),
      placement: {
        priorityClassName: 'infra',
        nodeSelector: { 'node-role.kubernetes.io/infra': '', 'a.example.com/pool': 'x' },
        tolerations: [kplus.NodeTaintQuery.is('dedicated', 'infra')],
        nodeAffinity: [kplus.NodeLabelQuery.in('topology.kubernetes.io/zone', ['eu-1a'])],
        spreadAcrossNodes: true,
      },
    });
    const job = pod.jobPod(command);
    const registryPod = deploymentOf(chart).spec.template.spec;
    expect(job.priorityClassName).toBe(registryPod.priorityClassName);
    expect(job.nodeSelector).toEqual(registryPod.nodeSelector);
    expect(Object.keys(job.nodeSelector!)).toEqual(['a.example.com/pool', 'node-role.kubernetes.io/infra']);
    expect(job.tolerations).toEqual(registryPod.tolerations);
    expect(job.nodeAffinity).toEqual(registryPod.affinity.nodeAffinity);
    expect(registryPod.topologySpreadConstraints).toBeDefined();
    expect(Object.keys(job)).not.toContain('topologySpreadConstraints');
  });

  test('a job\'s labels: what the storage needs on every pod that reaches it, never the registry\'s own', () => {
    const azure = registry({
      storage: StorageBackend.azure({ accountName: 'store', container: 'images', credentials: AzureCredentials.defaultCredentials() }),
    });
    expect(azure.pod.jobPod(command).labels).toEqual({ 'azure.workload.identity/use': 'true' });
    expect(registry().pod.jobPod(command).labels).toEqual({});
  });

  test('mounts: absolute paths, each path once, read-only unless asked', () => {
    const { r, pod } = registry();
    const volume = kplus.Volume.fromEmptyDir(r, 'Cache', 'cache');
    expect(() => pod.addMount({ volume, path: 'cache' })).toThrow(/^test\/Registry: 'mount' path 'cache' must be absolute/);
    pod.addMount({ volume, path: '/cache' });
    expect(() => pod.addMount({ volume, path: '/tmp' })).toThrow(/'mount' path '\/tmp' is mounted twice: two parts of the registry/);
    expect(r.container.mounts.find((m) => m.path === '/cache')!.readOnly).toBe(true);
  });

  test('pod annotations: in name order, each from one source, no credential as a literal', () => {
    const { chart, pod } = registry();
    pod.addAnnotations({ 'b.example.com/x': '1', 'a.example.com/y': '2' }, 'mine');
    expect(() => pod.addAnnotations({ 'a.example.com/y': '3' }, 'other')).toThrow(/'other' sets pod annotation 'a.example.com\/y', which 'mine' already sets/);
    expect(() => pod.addAnnotations({ 'example.com/password': 'hunter2hunter2' }, 'leaky')).toThrow(/'leaky' puts what looks like a credential/);
    const annotations = deploymentOf(chart).spec.template.metadata.annotations;
    expect(annotations).toMatchObject({ 'a.example.com/y': '2', 'b.example.com/x': '1' });
    expect(annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
  });

  test('a named registry: its pods are selected by name and instance, and carry no construct-path label', () => {
    const { chart, pod } = registry({ name: 'images' });
    expect(pod.selectorLabels).toEqual({
      'app.kubernetes.io/name': 'registry', 'app.kubernetes.io/instance': 'images', 'app.kubernetes.io/component': 'registry',
    });
    const deployment = deploymentOf(chart);
    expect(deployment.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'registry', 'app.kubernetes.io/instance': 'images' });
    expect(Object.keys(deployment.spec.template.metadata.labels)).not.toContain('cdk8s.io/metadata.addr');
  });

  test('the lifecycle check of a patched pod spec is redone only when the patches change (cdk8s validates once per chart)', () => {
    // (what it refuses: test/availability/lifecycle.test.ts)
    const { r, pod } = registry({ drainTimeout: Duration.seconds(60) });
    const unpatched = pod.validateLifecycle();
    expect(unpatched).toEqual([]);
    expect(pod.validateLifecycle()).toBe(unpatched);
    ApiObject.of(r.deployment).addJsonPatch(JsonPatch.replace('/spec/template/spec/terminationGracePeriodSeconds', 30));
    const patched = pod.validateLifecycle();
    expect(patched).toEqual([expect.stringMatching(/^test\/Registry: the pod's terminationGracePeriodSeconds \(30\)/)]);
    expect(pod.validateLifecycle()).toBe(patched);
  });
});
