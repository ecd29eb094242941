import { ApiObject, Chart, Cron, Duration, JsonPatch, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  BlobDescriptorCache, DEFAULT_KUBECTL_IMAGE, DEFAULT_REDIS_IMAGE, GarbageCollection, GarbageCollectionProps, PullThroughCache,
  IRegistryPart, PodAntiAffinity, RedisBlobDescriptorCache, RegistryAuth, RegistryDeployment, RegistryDeploymentProps, RegistryVersion,
  S3Credentials, StorageBackend,
} from '../../src';
import { textOutsideSecrets } from '../e2e/harness/manifests';
import { validateChart } from '../util/validate-manifests';

type Obj = { [key: string]: any };

type After = (r: RegistryDeployment) => void;

function synth(registryProps: Partial<RegistryDeploymentProps> = {}, gcProps: Partial<GarbageCollectionProps> = {}, after?: After) {
  const chart = Testing.chart();
  const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), version: RegistryVersion.V3, ...registryProps });
  const gc = new GarbageCollection(chart, 'GC', { registry, ...gcProps });
  after?.(registry);
  const objects = validateChart(chart);
  const deployment = objects.find((o) => o.kind === 'Deployment')!;
  const cronJob = objects.find((o) => o.kind === 'CronJob')!;
  const pod: Obj = cronJob.spec.jobTemplate.spec.template.spec;
  const all: Obj[] = [...(pod.initContainers ?? []), ...pod.containers];
  const byName = (name: string) => all.find((c) => c.name === name)!;
  const registryContainer: Obj = deployment.spec.template.spec.containers[0];
  return { chart, registry, gc, objects, deployment, cronJob, pod, all, byName, registryContainer };
}

describe('GarbageCollection', () => {
  test('a maintenance window: switch on, restart, wait, collect, switch off, restart; snapshot', () => {
    const { objects, cronJob, pod, all, byName, deployment, registryContainer, gc } = synth({ storageOptions: { deleteEnabled: true } });
    expect(objects).toMatchSnapshot();
    expect(cronJob.spec).toMatchObject({ schedule: '0 3 * * 0', concurrencyPolicy: 'Forbid', suspend: false });
    expect(pod.restartPolicy).toBe('Never');
    // THEN the steps run in this order, and the way back runs only after the collection succeeded
    expect(pod.initContainers.map((c: Obj) => c.name)).toEqual([
      'enter-read-only', 'restart-read-only', 'wait-read-only-ready', 'garbage-collect', 'leave-read-only', 'restart-writable',
    ]);
    expect(pod.containers.map((c: Obj) => c.name)).toEqual(['remove-switch']);
    const name = deployment.metadata.name;
    const switchName = `${name}-maintenance`;
    expect(gc.maintenanceSwitch).toBe(switchName);
    expect(byName('enter-read-only').command).toEqual(['kubectl', 'apply', '--server-side', '--field-manager=cdk8s-registry-garbage-collection', '--force-conflicts', '--filename=/etc/cdk8s-registry/maintenance/open.json']);
    expect(byName('leave-read-only').command).toEqual(['kubectl', 'apply', '--server-side', '--field-manager=cdk8s-registry-garbage-collection', '--force-conflicts', '--filename=/etc/cdk8s-registry/maintenance/close.json']);
    // AND the restarts delete registry pods only (the selector names the component) and wait until each is gone
    const selector = [...Object.entries<string>(deployment.spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`), 'app.kubernetes.io/component=registry'].join(',');
    for (const step of ['restart-read-only', 'restart-writable']) {
      expect(byName(step).command).toEqual(['kubectl', 'delete', 'pod', `--selector=${selector}`, '--wait=true', '--timeout=600s']);
    }
    expect(byName('wait-read-only-ready').command).toEqual(['kubectl', 'rollout', 'status', `deployment/${name}`, '--timeout=600s']);
    expect(byName('remove-switch').command).toEqual(['kubectl', 'delete', 'configmap', switchName, '--ignore-not-found=true', '--wait=false']);
    // AND no step patches, edits or replaces anything Git manages
    expect(all.flatMap((c) => c.command ?? []).join(' ')).not.toMatch(/\bpatch\b|\bedit\b|\breplace\b|\bscale\b|rollout restart/);
    for (const c of all.filter((x) => x.name !== 'garbage-collect')) {
      expect(c.image).toBe(DEFAULT_KUBECTL_IMAGE);
      expect(c.command[0]).toBe('kubectl'); // the official image has no shell
      expect(c.securityContext).toEqual(registryContainer.securityContext);
    }
    expect(DEFAULT_KUBECTL_IMAGE).toMatch(/^registry\.k8s\.io\/kubectl:v\d+\.\d+\.\d+$/);
  });

  test('the switch: the registry reads it through an optional reference; the job applies it from its own annotations, never synthesized', () => {
    const { objects, pod, byName, registryContainer, gc } = synth({ name: 'images' });
    // THEN the registry container takes the read-only map from the switch, and starts without it (optional)
    expect(registryContainer.env).toContainEqual({
      name: 'REGISTRY_STORAGE_MAINTENANCE_READONLY',
      valueFrom: { configMapKeyRef: { name: 'images-maintenance', key: 'readonly', optional: true } },
    });
    // AND the switch is not in the synthesized YAML (a GitOps controller neither applies nor prunes it)
    expect(objects.filter((o) => o.metadata.name === gc.maintenanceSwitch)).toEqual([]);
    // AND the job reads the manifests it applies from its own pod annotations through the downward API
    const volume = pod.volumes.find((v: Obj) => v.name === 'gc-maintenance-switch');
    expect(volume.downwardAPI.items).toEqual([
      { path: 'open.json', fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['cdk8s-registry/maintenance-switch-open']" } },
      { path: 'close.json', fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['cdk8s-registry/maintenance-switch-close']" } },
    ]);
    for (const step of ['enter-read-only', 'leave-read-only']) {
      expect(byName(step).volumeMounts).toContainEqual({ name: 'gc-maintenance-switch', mountPath: '/etc/cdk8s-registry/maintenance', readOnly: true });
    }
    const annotations = byName('enter-read-only') && objects.find((o) => o.kind === 'CronJob')!.spec.jobTemplate.spec.template.metadata.annotations;
    const open = JSON.parse(annotations['cdk8s-registry/maintenance-switch-open']);
    const close = JSON.parse(annotations['cdk8s-registry/maintenance-switch-close']);
    expect(open).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'images-maintenance' }, data: { readonly: '{"enabled":true}' } });
    // AND closing keeps the object (the mark of an unfinished window) without the key (new pods start writable)
    expect(close).toEqual({ ...open, data: {} });
    // AND it carries no app.kubernetes.io/instance (Argo CD label tracking would prune it), and says who manages it
    expect(open.metadata.labels).toEqual({
      'app.kubernetes.io/name': 'registry-garbage-collection',
      'app.kubernetes.io/component': 'garbage-collection',
      'app.kubernetes.io/part-of': 'images',
      'app.kubernetes.io/managed-by': 'cdk8s-registry-garbage-collection',
    });
    expect(open.metadata.annotations['cdk8s-registry/maintenance']).toMatch(/kubectl create job --from=cronjob\//);
  });

  test('the collector is the registry container: image, command, env, mounts, volumes, user; only the kubectl steps get an API token', () => {
    const { pod, byName, deployment, registryContainer } = synth({ storageOptions: { deleteEnabled: true } });
    const collector = byName('garbage-collect');
    expect(collector.image).toBe(registryContainer.image);
    expect(collector.command).toEqual(['registry']);
    expect(collector.args).toEqual(['garbage-collect', '/etc/distribution/config.yml']);
    expect(collector.volumeMounts).toEqual(registryContainer.volumeMounts);
    expect(collector.securityContext).toEqual(registryContainer.securityContext);
    // the registry's env but the switch: the collector deletes whatever the window's state
    expect(collector.env).toEqual(registryContainer.env.filter((e: Obj) => e.name !== 'REGISTRY_STORAGE_MAINTENANCE_READONLY'));
    expect(collector.env.length).toBe(registryContainer.env.length - 1);
    expect(pod.securityContext).toEqual(deployment.spec.template.spec.securityContext);
    for (const v of deployment.spec.template.spec.volumes) expect(pod.volumes).toContainEqual(v);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(collector.volumeMounts.map((m: Obj) => m.mountPath)).not.toContain('/var/run/secrets/kubernetes.io/serviceaccount');
    expect(byName('enter-read-only').volumeMounts).toContainEqual({ name: 'gc-kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true });
  });

  test('labels: the job pod is no registry pod (name registry-garbage-collection), and never matches the registry Service or Deployment selector', () => {
    for (const name of [undefined, 'images']) {
      const { objects, cronJob, deployment } = synth({ name });
      const instance = deployment.metadata.labels['app.kubernetes.io/instance'];
      const expected = {
        'app.kubernetes.io/name': 'registry-garbage-collection',
        'app.kubernetes.io/instance': instance,
        'app.kubernetes.io/component': 'garbage-collection',
        'app.kubernetes.io/part-of': instance,
        'app.kubernetes.io/managed-by': 'cdk8s-registry',
      };
      const labels = cronJob.spec.jobTemplate.spec.template.metadata.labels;
      expect(labels).toEqual(expected);
      for (const o of objects.filter((x) => ['CronJob', 'Role', 'ServiceAccount'].includes(x.kind) && x.metadata.labels?.['app.kubernetes.io/component'] !== 'registry')) {
        expect(o.metadata.labels).toEqual(expected);
      }
      const service = objects.find((o) => o.kind === 'Service')!;
      const matches = (sel: Obj) => Object.entries(sel).every(([k, v]) => labels[k] === v);
      expect(matches(service.spec.selector)).toBe(false);
      expect(matches(deployment.spec.selector.matchLabels)).toBe(false);
    }
  });

  test('RBAC: exactly what the kubectl steps send: the switch by name, the Deployment by name, pods; bound to the job account only', () => {
    const { objects, deployment, pod, gc } = synth();
    const role = objects.find((o) => o.kind === 'Role')!;
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], resourceNames: [gc.maintenanceSwitch], verbs: ['create', 'patch', 'delete'] },
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: [deployment.metadata.name], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list', 'get', 'watch', 'delete'] },
    ]);
    const binding = objects.find((o) => o.kind === 'RoleBinding')!;
    expect(binding.roleRef.name).toBe(role.metadata.name);
    expect(binding.subjects).toEqual([{ apiGroup: '', kind: 'ServiceAccount', name: pod.serviceAccountName }]);
    expect(pod.serviceAccountName).not.toBe(deployment.spec.template.spec.serviceAccountName);
  });

  test('a ReadWriteOnce claim: the job runs beside a registry pod, and registry pods prefer the node of a running job pod (static, no patch)', () => {
    const { pod, deployment, cronJob } = synth();
    expect(deployment.spec.strategy.type).toBe('Recreate');
    expect(pod.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([{
      labelSelector: { matchLabels: { ...deployment.spec.selector.matchLabels, 'app.kubernetes.io/component': 'registry' } },
      topologyKey: 'kubernetes.io/hostname',
    }]);
    const jobLabels = cronJob.spec.jobTemplate.spec.template.metadata.labels;
    expect(deployment.spec.template.spec.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution).toEqual([{
      weight: 100,
      podAffinityTerm: {
        labelSelector: { matchLabels: { 'app.kubernetes.io/name': jobLabels['app.kubernetes.io/name'], 'app.kubernetes.io/instance': jobLabels['app.kubernetes.io/instance'], 'app.kubernetes.io/component': 'garbage-collection' } },
        topologyKey: 'kubernetes.io/hostname',
      },
    }]);
    // object storage: any node can run the job, no affinity either way
    const s3 = synth({ storage: StorageBackend.s3({ bucket: 'images', region: 'us-east-1', credentials: S3Credentials.fromIamRole('arn:aws:iam::123456789012:role/registry') }) });
    expect(s3.pod.affinity).toBeUndefined();
    expect(s3.deployment.spec.template.spec.affinity).toBeUndefined();
  });

  test('the job pod inherits the registry pod\'s placement and priority (props), not its anti-affinity', () => {
    const { pod, deployment } = synth({
      storage: StorageBackend.s3({ bucket: 'images', region: 'us-east-1', credentials: S3Credentials.fromIamRole('arn:aws:iam::123456789012:role/registry') }),
      replicas: 2,
      httpSecret: { secret: kplus.Secret.fromSecretName(Testing.chart(), 'H', 'http'), key: 'secret' },
      placement: {
        priorityClassName: 'infra-critical',
        nodeSelector: { 'node-role.kubernetes.io/infra': '' },
        tolerations: [kplus.NodeTaintQuery.is('dedicated', 'infra', { effect: kplus.TaintEffect.NO_SCHEDULE })],
        nodeAffinity: [kplus.NodeLabelQuery.in('topology.kubernetes.io/zone', ['eu-1a', 'eu-1b'])],
        antiAffinity: PodAntiAffinity.REQUIRED,
      },
    });
    const registryPod = deployment.spec.template.spec;
    expect(pod.priorityClassName).toBe('infra-critical');
    expect(pod.nodeSelector).toEqual({ 'node-role.kubernetes.io/infra': '' });
    expect(pod.tolerations).toEqual(registryPod.tolerations);
    expect(pod.tolerations.length).toBe(1);
    expect(pod.affinity).toEqual({ nodeAffinity: registryPod.affinity.nodeAffinity });
    expect(registryPod.affinity.podAntiAffinity).toBeDefined();
    expect(pod.topologySpreadConstraints).toBeUndefined();
  });

  test('the job is built from the registry\'s model: what props, parts and cdk8s-plus calls set reaches it, JSON patches of the Deployment do not', () => {
    // GIVEN a registry with resources and a part's env (typed), a variable added through cdk8s-plus, and escape hatches
    // of its Deployment: a pull Secret (the imagePullSecret prop is the typed way), the container's pull policy and an extra variable
    const { pod, byName, deployment, registryContainer } = synth({
      resources: {
        cpu: { request: kplus.Cpu.millis(200), limit: kplus.Cpu.units(1) },
        memory: { request: Size.mebibytes(300), limit: Size.gibibytes(2) },
      },
    }, {}, (r) => {
      r.addPart({ bind: () => ({ name: 'proxy-env', env: { HTTPS_PROXY: kplus.EnvValue.fromValue('http://proxy.internal:3128') } }) });
      r.container.env.addVariable('GOMAXPROCS', kplus.EnvValue.fromValue('2'));
      kplus.Secret.fromSecretName(r, 'MirrorPull', 'mirror-pull');
      const api = ApiObject.of(r.deployment);
      api.addJsonPatch(JsonPatch.add('/spec/template/spec/imagePullSecrets', [{ name: 'mirror-pull' }]));
      api.addJsonPatch(JsonPatch.replace('/spec/template/spec/containers/0/imagePullPolicy', 'Always'));
      api.addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/env/-', { name: 'PATCHED', value: 'yes' }));
    });
    // THEN the registry runs with the patches
    expect(deployment.spec.template.spec.imagePullSecrets).toEqual([{ name: 'mirror-pull' }]);
    expect(registryContainer.imagePullPolicy).toBe('Always');
    expect(registryContainer.env).toContainEqual({ name: 'PATCHED', value: 'yes' });
    const collector = byName('garbage-collect');
    // AND the collector has what the props, the part and the cdk8s-plus call set
    expect(collector.resources).toEqual({ requests: { cpu: '200m', memory: '300Mi' }, limits: { cpu: '1', memory: '2048Mi' } });
    expect(collector.env).toContainEqual({ name: 'HTTPS_PROXY', value: 'http://proxy.internal:3128' });
    expect(collector.env).toContainEqual({ name: 'GOMAXPROCS', value: '2' });
    // AND none of the patches: a patch of the job's own CronJob is the escape hatch for the job
    expect(collector.env.map((e: Obj) => e.name)).not.toContain('PATCHED');
    expect(collector.imagePullPolicy).toBe('IfNotPresent');
    expect(pod.imagePullSecrets).toBeUndefined();
  });

  test('the imagePullSecret prop reaches the registry\'s pods and the job\'s (an image in a private mirror)', () => {
    const { pod, deployment } = synth({ imagePullSecret: kplus.Secret.fromSecretName(Testing.chart(), 'MirrorPull', 'mirror-pull') });
    expect(deployment.spec.template.spec.imagePullSecrets).toEqual([{ name: 'mirror-pull' }]);
    expect(pod.imagePullSecrets).toEqual([{ name: 'mirror-pull' }]);
  });

  test('one collection per registry, in the registry\'s namespace', () => {
    expect(() => new GarbageCollection(Testing.chart(), 'Loose', { registry: new Chart(Testing.app(), 'x') as any }))
      .toThrow(/^test\/Loose: 'registry' must be a RegistryDeployment: the job runs its pod's image, config, env and volumes/);
    const chart = Testing.chart();
    const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none() });
    new GarbageCollection(chart, 'GC', { registry });
    expect(() => new GarbageCollection(chart, 'Again', { registry }))
      .toThrow(/test\/Again: 'registry' \(test\/Registry\) is already collected by test\/GC: .*the first to finish would end the other's window.*Keep one GarbageCollection per registry/);
    const app = Testing.app();
    const here = new Chart(app, 'here', { namespace: 'registry' });
    const there = new Chart(app, 'there', { namespace: 'ops' });
    const other = new RegistryDeployment(here, 'Registry', { auth: RegistryAuth.none() });
    expect(() => new GarbageCollection(there, 'GC', { registry: other }))
      .toThrow(/there\/GC: 'registry' \(here\/Registry\) is in namespace registry, but this collection is in ops: its pod mounts the registry's claim.*Create the GarbageCollection in the registry's chart/);
  });

  test('names: from the registry\'s name (<name>-gc) or the collection\'s own, never from the construct path; too long is refused', () => {
    const named = synth({ name: 'images', storageOptions: { deleteEnabled: true } });
    const names = (objects: Obj[]) => objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'garbage-collection')
      .map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(names(named.objects)).toEqual(['CronJob/images-gc', 'Role/images-gc', 'RoleBinding/images-gc', 'ServiceAccount/images-gc']);
    const binding = named.objects.find((o) => o.kind === 'RoleBinding')!;
    expect(binding.roleRef).toMatchObject({ kind: 'Role', name: 'images-gc' });
    expect(binding.subjects).toEqual([expect.objectContaining({ kind: 'ServiceAccount', name: 'images-gc' })]);
    expect(named.pod.serviceAccountName).toBe('images-gc');
    const own = synth({ name: 'images', storageOptions: { deleteEnabled: true } }, { name: 'nightly-sweep' });
    expect(names(own.objects)).toEqual(['CronJob/nightly-sweep', 'Role/nightly-sweep', 'RoleBinding/nightly-sweep', 'ServiceAccount/nightly-sweep']);
    expect(() => synth({ name: 'images' }, { name: 'Nightly' })).toThrow(/test\/GC: 'name' .*DNS-1123 label/);
    expect(() => synth({ name: 'images' }, { name: 'x'.repeat(53) })).toThrow(/test\/GC: 'name' .* longer than the 52 characters of a CronJob name/);
    expect(() => synth({ name: 'r'.repeat(50) })).toThrow(/test\/GC: 'name' is needed: the registry's name "r{50}" makes "r{50}-gc", longer than the 52 characters/);
    // AND without any name, cdk8s generates them from the construct path, as before
    expect(names(synth().objects).every((n) => /-gc-/.test(n) || /gc/.test(n))).toBe(true);
  });

  test('env added to the registry after the job was declared reaches the job (derived at synth, not copied)', () => {
    const { byName } = synth({}, {}, (r) => r.addSecretEnv('REGISTRY_PROXY_PASSWORD', { secret: kplus.Secret.fromSecretName(r, 'P', 'proxy'), key: 'password' }));
    expect(byName('garbage-collect').env).toContainEqual({ name: 'REGISTRY_PROXY_PASSWORD', valueFrom: { secretKeyRef: { name: 'proxy', key: 'password' } } });
  });

  test('workload identity: the job account carries the registry account annotations (IRSA)', () => {
    const { objects, pod } = synth({ storage: StorageBackend.s3({ bucket: 'images', region: 'us-east-1', credentials: S3Credentials.fromIamRole('arn:aws:iam::123456789012:role/registry') }) });
    const account = objects.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === pod.serviceAccountName)!;
    expect(account.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/registry' });
  });

  test('a config with a credential rendered by an init container: the job renders it the same way first', () => {
    const { pod, byName, deployment, registryContainer } = synth({}, {}, (r) => r.addConfigSection('notifications', {
      endpoints: [{ name: 'scanner', url: 'https://scanner.example.com/events', headers: { Authorization: [r.secretValue(kplus.Secret.fromSecretName(r, 'T', 'scanner-token'), 'header')] } }],
    }));
    const registryInit = deployment.spec.template.spec.initContainers;
    expect(registryInit.length).toBeGreaterThan(0);
    expect(pod.initContainers.slice(0, registryInit.length)).toEqual(registryInit);
    expect(byName('garbage-collect').args).toEqual(['garbage-collect', registryContainer.args[1]]);
    expect(registryContainer.args[1]).not.toBe('/etc/distribution/config.yml');
  });

  test('S3 credentials reach the collector from the Secret only', () => {
    const chart = Testing.chart();
    const secret = kplus.Secret.fromSecretName(chart, 'S3', 's3-keys');
    const registry = new RegistryDeployment(chart, 'Registry', {
      auth: RegistryAuth.none(),
      storage: StorageBackend.s3({ bucket: 'images', region: 'us-east-1', credentials: S3Credentials.fromSecret(secret) }),
    });
    new GarbageCollection(chart, 'GC', { registry });
    const objects = validateChart(chart);
    const cronJob = objects.find((o) => o.kind === 'CronJob')!;
    const collector = cronJob.spec.jobTemplate.spec.template.spec.initContainers.find((c: Obj) => c.name === 'garbage-collect');
    expect(collector.env.find((e: Obj) => e.name === 'REGISTRY_STORAGE_S3_SECRETKEY').valueFrom.secretKeyRef.name).toBe('s3-keys');
    expect(textOutsideSecrets(objects)).not.toMatch(/secretKey: [^{]/);
  });

  test('dry run: no window, no RBAC, no switch, the registry keeps accepting pushes', () => {
    const { objects, pod, registryContainer, gc } = synth({}, { dryRun: true });
    expect(gc.maintenanceSwitch).toBeUndefined();
    expect(registryContainer.env.map((e: Obj) => e.name)).not.toContain('REGISTRY_STORAGE_MAINTENANCE_READONLY');
    expect(pod.volumes.map((v: Obj) => v.name)).not.toContain('gc-maintenance-switch');
    expect(pod.initContainers).toBeUndefined();
    expect(pod.containers.map((c: Obj) => c.name)).toEqual(['garbage-collect']);
    expect(pod.containers[0].args).toEqual(['garbage-collect', '/etc/distribution/config.yml', '--dry-run']);
    expect(objects.filter((o) => o.kind === 'Role' || o.kind === 'RoleBinding')).toEqual([]);
  });

  test('a registry that is read-only anyway needs no window', () => {
    const { pod } = synth({ storageOptions: { readOnly: true } });
    expect(pod.containers.map((c: Obj) => c.name)).toEqual(['garbage-collect']);
  });

  test('--delete-untagged on 3.x; refused on 2.8 (multi-arch children)', () => {
    expect(synth({}, { deleteUntagged: true }).byName('garbage-collect').args).toEqual(['garbage-collect', '/etc/distribution/config.yml', '--delete-untagged']);
    expect(() => synth({ version: RegistryVersion.V2_8 }, { deleteUntagged: true })).toThrow(/GC: 'deleteUntagged' cannot be used with registry 2\.8\.3: .*multi-arch.*Run registry 3\.x/);
  });

  test('schedule, time zone, suspend, timeout and kubectl image are props', () => {
    const { cronJob, byName } = synth({}, {
      schedule: Cron.daily(), timeZone: 'Europe/Berlin', suspend: true, rolloutTimeout: Duration.minutes(3), kubectlImage: 'mirror.example.com/kubectl:v1.31.0',
    });
    expect(cronJob.spec).toMatchObject({ schedule: '0 0 * * *', timeZone: 'Europe/Berlin', suspend: true });
    expect(byName('wait-read-only-ready').command.at(-1)).toBe('--timeout=180s');
    expect(byName('restart-read-only').command.at(-1)).toBe('--timeout=180s');
    expect(byName('leave-read-only').image).toBe('mirror.example.com/kubectl:v1.31.0');
    expect(() => synth({}, { kubectlImage: 'bitnami/kubectl' })).toThrow(/'kubectlImage' \("bitnami\/kubectl"\) must be an image pinned by tag or digest/);
    expect(() => synth({}, { rolloutTimeout: Duration.seconds(5) })).toThrow(/'rolloutTimeout' \(5 s\) must be a whole number of seconds of at least 30/);
  });

  test('a schedule or time zone the API server would refuse, or a schedule firing more than hourly, is refused at synth', () => {
    const storage = StorageBackend.persistentVolumeClaim();
    for (const ok of [Cron.daily(), Cron.hourly(), Cron.schedule({ minute: '30', hour: '1-5/2', day: '?', month: 'JAN,jul', weekDay: 'MON-FRI' }), new Cron({ minute: '0', hour: '3', weekDay: 'sun' })]) {
      expect(synth({ storage }, { schedule: ok }).cronJob.spec.schedule).toBe(ok.expressionString);
    }
    // Cron.schedule leaves the minute at '*': sixty runs between 03:00 and 03:59, each a read-only window
    expect(() => synth({ storage }, { schedule: Cron.schedule({ hour: '3' }) }))
      .toThrow(/GC: 'schedule' \("\* 3 \* \* \*"\) fires more than once an hour, and each run puts the registry in read-only mode: set the minute to one number/);
    expect(() => synth({ storage }, { schedule: Cron.schedule({ minute: '*/15' }), dryRun: true })).toThrow(/fires more than once an hour, and each run reads every manifest/);
    expect(() => synth({ storage }, { schedule: Cron.schedule({ minute: '99', hour: '3' }) })).toThrow(/'schedule' \("99 3 \* \* \*"\) has an invalid minute field "99": values are 0-59/);
    expect(() => synth({ storage }, { schedule: Cron.schedule({ minute: '0', weekDay: '7' }) })).toThrow(/invalid day of week field "7": values are 0-6 or SUN-SAT/);
    expect(() => synth({ storage }, { schedule: Cron.schedule({ minute: '0', hour: '5-1' }) })).toThrow(/invalid hour field "5-1": the range 5-1 runs backwards/);
    expect(() => synth({ storage }, { schedule: Cron.schedule({ minute: '0', hour: '*/0' }) })).toThrow(/invalid hour field "\*\/0": a step is/);
    expect(() => synth({ storage }, { schedule: Cron.schedule({ minute: '0', month: '?' }) })).toThrow(/invalid month field "\?"/);
    expect(() => synth({ storage }, { schedule: Cron.schedule({ minute: 'TZ=UTC 0' }) })).toThrow(/must not set a time zone: use the timeZone property/);
    expect(() => synth({ storage }, { timeZone: 'Europe/Berln' })).toThrow(/GC: 'timeZone' \("Europe\/Berln"\) is not a time zone the API server knows/);
    expect(() => synth({ storage }, { timeZone: 'europe/berlin' })).toThrow(/\(spelt "Europe\/Berlin"\)/);
    expect(() => synth({ storage }, { timeZone: 'Local' })).toThrow(/'timeZone' \("Local"\)/);
    expect(() => synth({ storage }, { timeZone: 1 as any })).toThrow(/GC: 'timeZone' \(1\) is not a time zone the API server knows/);
    expect(synth({ storage }, { timeZone: 'UTC' }).cronJob.spec.timeZone).toBe('UTC');
  });

  test('storage the job cannot reach, or a cache it cannot refresh, is refused at synth', () => {
    expect(() => synth({ storage: StorageBackend.emptyDir() })).toThrow(/emptyDir volume, which only the registry pod can see/);
    expect(() => synth({ storage: StorageBackend.inMemory() })).toThrow(/inmemory driver/);
    expect(() => synth({ storage: StorageBackend.persistentVolumeClaim({ accessMode: kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE_POD }) }))
      .toThrow(/ReadWriteOncePod claim/);
    expect(() => synth({ storageOptions: { blobDescriptorCache: BlobDescriptorCache.REDIS } }))
      .toThrow(/GC: 'registry' uses a redis blob descriptor cache that no RedisBlobDescriptorCache part configures.*registry\.addPart\(new RedisBlobDescriptorCache/);
  });

  test('a pull-through cache is refused: it expires content itself, and read-only mode does not stop its writes', () => {
    expect(() => synth({ storage: StorageBackend.persistentVolumeClaim() }, {}, (r) => r.addPart(new PullThroughCache({ remoteUrl: 'https://registry-1.docker.io' }))))
      .toThrow(/GC: 'registry' is a pull-through cache \(PullThroughCache\), which removes expired content itself \(proxy.ttl\).*Drop the GarbageCollection/);
  });
});

describe('GarbageCollection with a redis blob descriptor cache', () => {
  const storage = () => StorageBackend.persistentVolumeClaim();

  test('the cache keys are deleted after collection and before the window ends, with the part\'s address, db, user, password and TLS', () => {
    // GIVEN a 3.1 registry whose redis cache has a password, an ACL user and TLS with a client certificate
    let registryPod: Obj = {};
    const { pod, byName, registryContainer, deployment } = synth({ storage: storage(), storageOptions: { deleteEnabled: true } }, {}, (r) => {
      const secret = kplus.Secret.fromSecretName(r, 'RedisLogin', 'redis-login');
      r.addPart(new RedisBlobDescriptorCache({
        addresses: ['redis.cache.svc:6380'],
        db: 5,
        username: 'registry',
        password: { secret, key: 'password' },
        tls: { ca: { secret, key: 'ca.crt' }, clientCertificate: kplus.Secret.fromSecretName(r, 'RedisClient', 'redis-client') },
      }));
    });
    registryPod = deployment.spec.template.spec;
    // THEN the flush runs after garbage-collect and before leave-read-only
    expect(pod.initContainers.map((c: Obj) => c.name)).toEqual([
      'render-config', 'enter-read-only', 'restart-read-only', 'wait-read-only-ready', 'garbage-collect', 'flush-blob-descriptor-cache', 'leave-read-only', 'restart-writable',
    ]);
    expect(pod.containers.map((c: Obj) => c.name)).toEqual(['remove-switch']);
    const flush = byName('flush-blob-descriptor-cache');
    expect(flush.image).toBe(DEFAULT_REDIS_IMAGE);
    expect(DEFAULT_REDIS_IMAGE).toMatch(/^redis:\d+\.\d+\.\d+-alpine$/);
    expect(flush.command).toEqual(['redis-cli']);
    const args: string[] = flush.args;
    expect(args.slice(0, 9)).toEqual(['-e', '-h', 'redis.cache.svc', '-p', '6380', '-n', '5', '--user', 'registry']);
    expect(args.slice(9, 16)).toEqual([
      '--tls', '--cert', '/etc/registry/redis-tls/client/tls.crt', '--key', '/etc/registry/redis-tls/client/tls.key',
      '--cacert', '/etc/registry/redis-tls/ca/ca.crt',
    ]);
    // AND only the registry's key patterns go, never FLUSHDB or FLUSHALL
    expect(args.slice(16, 17)).toEqual(['EVAL']);
    expect(args.slice(18)).toEqual(['0', 'blobs::*', 'repository::*']);
    expect(args[17]).toMatch(/redis\.call\("SCAN", c, "MATCH", p/);
    expect(args.join(' ')).not.toMatch(/FLUSH/i);
    // AND the password comes from the part's Secret through REDISCLI_AUTH, never as an argument
    expect(flush.env).toEqual([{ name: 'REDISCLI_AUTH', valueFrom: { secretKeyRef: { name: 'redis-login', key: 'password' } } }]);
    expect(args).not.toContain('-a');
    // AND the TLS files are the registry pod's own volumes, mounted read-only at the same paths
    const registryMounts: Obj[] = registryContainer.volumeMounts;
    for (const mount of flush.volumeMounts) {
      expect(mount.readOnly).toBe(true);
      expect(registryMounts.find((m) => m.mountPath === mount.mountPath)?.name).toBe(mount.name);
      expect(pod.volumes.find((v: Obj) => v.name === mount.name)).toEqual(registryPod.volumes.find((v: Obj) => v.name === mount.name));
    }
    expect(flush.volumeMounts.map((m: Obj) => m.mountPath)).toEqual(['/etc/registry/redis-tls/client', '/etc/registry/redis-tls/ca']);
    expect(flush.securityContext).toEqual(registryContainer.securityContext);
  });

  test('no password, no TLS: plain redis-cli, no env; a registry read-only by config flushes as its last step; a dry run does not flush', () => {
    const part = () => new RedisBlobDescriptorCache({ addresses: ['[fd00::1]:6379'] });
    const { byName, pod } = synth({ storage: storage(), storageOptions: { readOnly: true } }, {}, (r) => r.addPart(part()));
    expect(pod.initContainers.map((c: Obj) => c.name)).toEqual(['garbage-collect']);
    expect(pod.containers.map((c: Obj) => c.name)).toEqual(['flush-blob-descriptor-cache']);
    const flush = byName('flush-blob-descriptor-cache');
    expect(flush.args.slice(0, 8)).toEqual(['-e', '-h', 'fd00::1', '-p', '6379', '-n', '0', 'EVAL']);
    expect(flush.env).toBeUndefined();
    expect(flush.volumeMounts).toBeUndefined();

    const dry = synth({ storage: storage() }, { dryRun: true }, (r) => r.addPart(part()));
    expect(dry.all.map((c: Obj) => c.name)).toEqual(['garbage-collect']);
  });

  test('2.8 flushes too; the image is a pinned prop; a redis cluster is refused', () => {
    const one = () => new RedisBlobDescriptorCache({ addresses: ['redis:6379'], db: 1 });
    const { byName } = synth({ version: RegistryVersion.V2_8, storage: storage() }, { redisImage: 'mirror.example.com/redis:7.4.2' }, (r) => r.addPart(one()));
    expect(byName('flush-blob-descriptor-cache').image).toBe('mirror.example.com/redis:7.4.2');
    expect(byName('flush-blob-descriptor-cache').args.slice(0, 7)).toEqual(['-e', '-h', 'redis', '-p', '6379', '-n', '1']);
    expect(() => synth({ storage: storage() }, { redisImage: 'redis' })).toThrow(/GC: 'redisImage' \("redis"\) must be an image pinned by tag or digest, such as "redis:/);
    expect(() => synth({ storage: storage() }, {}, (r) => r.addPart(new RedisBlobDescriptorCache({ addresses: ['a:6379', 'b:6379'] }))))
      .toThrow(/GC: 'registry' uses a redis blob descriptor cache at 2 addresses \(a cluster\): the job flushes the cache of a single redis only/);
  });

  test('any part can add steps after collection through the public seam (afterCollection), in part order, after the redis flush if added later', () => {
    // GIVEN a part that is not a redis cache but needs a step after collection (the seam the redis cache uses)
    const part: IRegistryPart = {
      bind: () => ({ name: 'search-index' }),
      afterCollection: (context) => ({
        containers: [{ name: 'reindex', image: 'example.com/reindex:1.0', securityContext: context.registryContainer.securityContext }],
        problems: [],
      }),
    };
    const { pod, byName, registryContainer } = synth({ storage: storage(), storageOptions: { deleteEnabled: true } }, {}, (r) => {
      r.addPart(new RedisBlobDescriptorCache({ addresses: ['redis:6379'] }));
      r.addPart(part);
    });
    // THEN its step runs after the flush, inside the window
    expect(pod.initContainers.map((c: Obj) => c.name).slice(-5, -2)).toEqual(['garbage-collect', 'flush-blob-descriptor-cache', 'reindex']);
    expect(byName('reindex').securityContext).toEqual(registryContainer.securityContext);
    // AND a part's problem fails the synth
    const broken: IRegistryPart = { bind: () => ({ name: 'broken' }), afterCollection: (c) => ({ containers: [], problems: [`${c.collection.node.path}: cannot`] }) };
    expect(() => synth({ storage: storage() }, {}, (r) => r.addPart(broken))).toThrow(/GC: cannot/);
  });
});
