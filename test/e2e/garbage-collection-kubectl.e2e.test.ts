/**
 * The garbage-collection job's kubectl steps run for real: the `kubectl` on this machine (v1.32; the job's image is
 * v1.33.5) executes each rendered step's command, in the job's order, against a loopback stand-in for the few API
 * calls it makes (harness/kube-api-stand-in.ts). Each step's volumes are mounted at their paths in a private mount
 * namespace (the switch manifests from the job pod's annotations, as the downward API writes them; the kubectl home
 * as an emptyDir). One substitution: the projected service-account token and CA (in-cluster config) are replaced by
 * a kubeconfig naming the stand-in and the namespace (KUBECONFIG). What it shows: the commands parse and succeed,
 * the switch is created, emptied and deleted, only the registry's pods are deleted (not the job's own, not another
 * app's), a second run after a dead one succeeds (idempotent), and every request kubectl sends is allowed by the
 * job's Role, which grants nothing the steps do not use.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { ApiRequest, cleanupAll, KubeApiStandIn, requireEnvironment, roleAllows, tempDir } from './harness';
import { GarbageCollection, RegistryAuth, RegistryDeployment } from '../../src';
import { validateChart } from '../util/validate-manifests';

type Obj = { [key: string]: any };

beforeAll(() => requireEnvironment(['kubectl']));
afterAll(() => cleanupAll());

/** Runs one kubectl step of the job's pod as its container would run, against the stand-in. */
async function runStep(podTemplate: Obj, container: Obj, standIn: KubeApiStandIn): Promise<{ code: number | null; output: string }> {
  const dir = tempDir('kubectl-step');
  const binds: [string, string, boolean][] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = podTemplate.spec.volumes.find((v: Obj) => v.name === mount.name);
    const source = path.join(dir, mount.name);
    fs.mkdirSync(source, { recursive: true });
    if (volume.downwardAPI) {
      for (const item of volume.downwardAPI.items) {
        const annotation = /^metadata\.annotations\['(.+)'\]$/.exec(item.fieldRef.fieldPath)![1];
        fs.writeFileSync(path.join(source, item.path), podTemplate.metadata.annotations[annotation]);
      }
    } else if (volume.projected && mount.mountPath === '/var/run/secrets/kubernetes.io/serviceaccount') {
      continue; // the substitution: KUBECONFIG instead of the in-cluster token and CA
    } else if (!volume.emptyDir) {
      throw new Error(`step ${container.name} mounts volume ${mount.name} of a kind this test does not prepare`);
    }
    binds.push([source, mount.mountPath, mount.readOnly === true]);
  }
  const kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(kubeconfig, standIn.kubeconfig());
  const script = [
    ...binds.map(([from, to, ro]) => `mkdir -p '${to}' && mount --bind '${from}' '${to}'${ro ? ` && mount -o remount,bind,ro '${to}'` : ''}`),
    'exec "$@"',
  ].join(' && ');
  const env: { [name: string]: string } = { PATH: process.env.PATH ?? '/usr/bin:/bin', KUBECONFIG: kubeconfig };
  for (const e of container.env ?? []) env[e.name] = e.value;
  const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', ...container.command], { env });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  return { code, output };
}

test('the job\'s kubectl steps run for real against a stand-in API: the switch on and off, only registry pods restarted, every request allowed by the Role', async () => {
  // GIVEN a registry on a claim and its collection
  const chart = Testing.chart();
  const registry = new RegistryDeployment(chart, 'Registry', { name: 'images', auth: RegistryAuth.none(), storageOptions: { deleteEnabled: true } });
  const gc = new GarbageCollection(chart, 'GC', { registry });
  const objects = validateChart(chart);
  const deployment = objects.find((o) => o.kind === 'Deployment')!;
  const cronJob = objects.find((o) => o.kind === 'CronJob')!;
  const role = objects.find((o) => o.kind === 'Role')!;
  const podTemplate = cronJob.spec.jobTemplate.spec.template;
  const steps: Obj[] = [...podTemplate.spec.initContainers, ...podTemplate.spec.containers];

  // AND a namespace holding its Deployment (rolled out), a registry pod, the job's own pod and another app's pod
  const standIn = await KubeApiStandIn.start('registry');
  standIn.put({
    ...deployment,
    metadata: { ...deployment.metadata, generation: 1 },
    status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 },
  });
  let generation = 0;
  const registryPod = () => {
    generation += 1;
    standIn.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `images-${generation}`, labels: deployment.spec.template.metadata.labels } });
  };
  registryPod();
  standIn.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'gc-job-pod', labels: podTemplate.metadata.labels } });
  standIn.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'other-app', labels: { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/component': 'registry' } } });
  const podNames = () => [...standIn.objects.keys()].filter((k) => k.startsWith('pods/')).map((k) => k.substring(5)).sort();
  const switchKey = `configmaps/${gc.maintenanceSwitch}`;

  // WHEN each kubectl step runs in the job's order, twice (the second run finds what a dead first run left)
  for (const run of [1, 2]) {
    for (const step of steps.filter((c) => c.command?.[0] === 'kubectl')) {
      const before = podNames();
      const result = await runStep(podTemplate, step, standIn);
      // THEN each step succeeds
      if (result.code !== 0) throw new Error(`run ${run}, step ${step.name} exited ${result.code}:\n${result.output}`);
      switch (step.name) {
        case 'enter-read-only':
          expect(standIn.objects.get(switchKey)?.data).toEqual({ readonly: '{"enabled":true}' });
          expect(standIn.objects.get(switchKey)?.metadata.labels['app.kubernetes.io/instance']).toBeUndefined();
          break;
        case 'restart-read-only':
        case 'restart-writable':
          // only the registry's pod went; the ReplicaSet (not here) would replace it
          expect(podNames()).toEqual(before.filter((n) => !n.startsWith('images-')));
          expect(podNames()).toEqual(['gc-job-pod', 'other-app']);
          registryPod();
          break;
        case 'leave-read-only':
          expect(standIn.objects.get(switchKey)?.data).toEqual({});
          break;
        case 'remove-switch':
          expect(standIn.objects.has(switchKey)).toBe(false);
          break;
        default:
          break;
      }
    }
    if (run === 1) {
      // a first run that died after opening the window left the switch in place
      standIn.put({ ...JSON.parse(podTemplate.metadata.annotations['cdk8s-registry/maintenance-switch-open']) });
    }
  }
  expect(standIn.objects.has(switchKey)).toBe(false);

  // AND every resource request kubectl sent is allowed by the job's Role, as RBAC decides
  const resourceRequests = standIn.requests.filter((r) => r.verb !== undefined);
  const denied = resourceRequests.filter((r) => !roleAllows(role.rules, r));
  expect(denied.map((r) => `${r.verb} ${r.resource}/${r.name ?? ''}`)).toEqual([]);
  // AND the Role grants nothing the steps did not use
  const used = (r: Obj, verb: string) => resourceRequests.some((q: ApiRequest) => q.verb === verb
    && r.resources.includes(q.resource) && r.apiGroups.includes(q.apiGroup) && (!r.resourceNames || r.resourceNames.includes(q.name)));
  const unused = role.rules.flatMap((r: Obj) => r.verbs.filter((verb: string) => !used(r, verb)).map((verb: string) => `${verb} ${r.resources.join(',')}`));
  expect(unused).toEqual([]);
}, 300000);
