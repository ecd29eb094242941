import { ApiObject, App, Chart, Duration, JsonPatch, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  ElbTlsService, Platform, PodAntiAffinity, RegistryAuth, RegistryAutoscaler, RegistryDeployment, RegistryDeploymentProps, RegistryDisruptionBudget,
  RegistryIngress, RegistryNetworkPolicy, RegistryRoute,
  RegistryVersion, StorageBackend, S3Credentials,
} from '../../src';
import { validateChart } from '../util/validate-manifests';

type Obj = { [key: string]: any };

function shared(chart: Chart): Partial<RegistryDeploymentProps> {
  const secret = kplus.Secret.fromSecretName(chart, 'S3', 's3-keys');
  return {
    replicas: 3,
    storage: StorageBackend.s3({ bucket: 'images', region: 'eu-west-1', credentials: S3Credentials.fromSecret(secret) }),
    httpSecret: { secret: kplus.Secret.fromSecretName(chart, 'HttpSecret', 'registry-http'), key: 'secret' },
  };
}

function build(props: Partial<RegistryDeploymentProps> = {}, id = 'Registry', sharedStorage = false) {
  const chart = Testing.chart();
  const registry = new RegistryDeployment(chart, id, { auth: RegistryAuth.none(), ...(sharedStorage ? shared(chart) : {}), ...props });
  return { chart, registry };
}

function objectsOf(chart: Chart) {
  const objects = validateChart(chart);
  const deployment = objects.find((o) => o.kind === 'Deployment')!;
  const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require('yaml').parse(configMap.data[Object.keys(configMap.data)[0]]);
  return { objects, deployment, config, pod: deployment.spec.template.spec as Obj, container: deployment.spec.template.spec.containers[0] as Obj };
}

describe('graceful shutdown', () => {
  test('defaults: draintimeout 60s, preStop sleep 10, grace = pause + drain + 5', () => {
    const { chart } = build();
    const { config, pod, container } = objectsOf(chart);
    expect(config.http.draintimeout).toBe('60s');
    expect(container.lifecycle).toEqual({ preStop: { exec: { command: ['sleep', '10'] } } });
    expect(pod.terminationGracePeriodSeconds).toBe(75);
  });

  test('the grace period follows drainTimeout and preStopPause', () => {
    const { chart } = build({ drainTimeout: Duration.minutes(5), preStopPause: Duration.seconds(25) });
    const { config, pod, container } = objectsOf(chart);
    expect(config.http.draintimeout).toBe('300s');
    expect(container.lifecycle.preStop.exec.command).toEqual(['sleep', '25']);
    expect(pod.terminationGracePeriodSeconds).toBe(330);
  });

  test('preStopPause 0 renders no hook (images without sleep)', () => {
    const { chart } = build({ preStopPause: Duration.seconds(0) });
    const { pod, container } = objectsOf(chart);
    expect(container.lifecycle).toBeUndefined();
    expect(pod.terminationGracePeriodSeconds).toBe(65);
  });

  test('bad durations are refused with the property named', () => {
    expect(() => build({ drainTimeout: Duration.millis(1500) })).toThrow(/Registry: 'drainTimeout' \(1500 ms\) must be a whole number of seconds/);
    expect(() => build({ drainTimeout: Duration.seconds(0) })).toThrow(/'drainTimeout' \(0\) must be a whole number from 1 to 3600/);
    expect(() => build({ preStopPause: Duration.hours(1) })).toThrow(/'preStopPause' \(3600\) must be a whole number from 0 to 600/);
  });
});

describe('readiness gate on storage health', () => {
  test('defaults: check every 5s, 2 failures; probe waits a verdict + an interval; minReadySeconds another verdict', () => {
    const { chart } = build({}, 'Registry', true);
    const { config, deployment, container } = objectsOf(chart);
    expect(config.health.storagedriver).toEqual({ enabled: true, interval: '5s', threshold: 2 });
    expect(container.readinessProbe).toMatchObject({ httpGet: { path: '/', port: 5000 }, initialDelaySeconds: 15, periodSeconds: 5, failureThreshold: 2 });
    expect(deployment.spec.minReadySeconds).toBe(20);
    expect(deployment.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
  });

  test('interval and threshold drive the probe and minReadySeconds', () => {
    const { chart } = build({ storageHealthCheckInterval: Duration.seconds(2), storageHealthCheckThreshold: 3 });
    const { config, deployment, container } = objectsOf(chart);
    expect(config.health.storagedriver).toEqual({ enabled: true, interval: '2s', threshold: 3 });
    expect(container.readinessProbe.initialDelaySeconds).toBe(8);
    expect(deployment.spec.minReadySeconds).toBe(16);
  });

  test('without the check there is no gate, and tuning it is refused', () => {
    const { chart } = build({ storageHealthCheck: false });
    const { config, deployment, container } = objectsOf(chart);
    expect(config.health).toBeUndefined();
    expect(container.readinessProbe.initialDelaySeconds ?? 0).toBe(0);
    expect(deployment.spec.minReadySeconds).toBe(0);
    expect(() => build({ storageHealthCheck: false, storageHealthCheckThreshold: 2 })).toThrow(/'storageHealthCheck' is false, so storageHealthCheckInterval and storageHealthCheckThreshold have no effect/);
    expect(() => build({ storageHealthCheckThreshold: 0 })).toThrow(/'storageHealthCheckThreshold' \(0\) must be a whole number from 1 to 10/);
  });
});

describe('stable identities', () => {
  function named(chartId: string, constructId: string) {
    const app = Testing.app();
    const chart = new Chart(app, chartId);
    new RegistryDeployment(chart, constructId, { auth: RegistryAuth.none(), name: 'registry', version: RegistryVersion.V2_8 });
    return validateChart(chart);
  }

  test('with a name, renaming the chart or construct id changes no object, selector or label', () => {
    const a = named('old-chart', 'Registry');
    const b = named('new-chart', 'Renamed Registry/With Slash');
    expect(JSON.stringify(b)).toEqual(JSON.stringify(a));
    const deployment = a.find((o) => o.kind === 'Deployment')!;
    expect(deployment.spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/instance': 'registry', 'app.kubernetes.io/name': 'registry' } });
    expect(deployment.spec.template.metadata.labels['cdk8s.io/metadata.addr']).toBeUndefined();
    // every selector but the Deployment's own (immutable) names the component
    expect(a.find((o) => o.kind === 'Service')!.spec.selector).toEqual({
      'app.kubernetes.io/instance': 'registry', 'app.kubernetes.io/name': 'registry', 'app.kubernetes.io/component': 'registry',
    });
    expect(a.find((o) => o.kind === 'PersistentVolumeClaim')!.metadata).toMatchObject({
      name: 'registry-data', labels: { 'app.kubernetes.io/instance': 'registry', 'app.kubernetes.io/component': 'storage' },
    });
  });

  test('a claim name the user sets is kept', () => {
    const { chart } = build({ name: 'registry', storage: StorageBackend.persistentVolumeClaim({ claimName: 'registry-images' }) });
    expect(objectsOf(chart).objects.find((o) => o.kind === 'PersistentVolumeClaim')!.metadata.name).toBe('registry-images');
    expect(() => build({ storage: StorageBackend.persistentVolumeClaim({ claimName: 'Bad_Name' }) })).toThrow(/'storage.claimName' \("Bad_Name"\) must be a DNS-1123 subdomain/);
  });

  test.each([
    ['My Registry', 'my-registry'],
    ['--Weird ID--', 'weird-id'],
    ['x'.repeat(200), undefined],
    ['!!!', 'registry'],
  ])('construct id %j gives a valid instance label', (id, expected) => {
    const { chart } = build({}, id);
    const labels = objectsOf(chart).deployment.metadata.labels;
    const instance: string = labels['app.kubernetes.io/instance'];
    expect(instance.length).toBeLessThanOrEqual(63);
    expect(instance).toMatch(/^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/);
    if (expected) expect(instance).toBe(expected);
  });

  test('two long ids with the same start get different labels', () => {
    const app = new App();
    const chart = new Chart(app, 'c');
    const a = new RegistryDeployment(chart, `${'a'.repeat(70)}1`, { auth: RegistryAuth.none() });
    const b = new RegistryDeployment(chart, `${'a'.repeat(70)}2`, { auth: RegistryAuth.none() });
    expect(a.labels['app.kubernetes.io/instance']).not.toEqual(b.labels['app.kubernetes.io/instance']);
  });
});

describe('placement', () => {
  test('several replicas: PDB, spread across nodes and zones by default', () => {
    const { chart, registry } = build({ name: 'registry' }, 'Registry', true);
    const { objects, pod } = objectsOf(chart);
    expect(pod.topologySpreadConstraints).toEqual([
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: registry.selectorLabels } },
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: registry.selectorLabels } },
    ]);
    const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget')!;
    expect(pdb.apiVersion).toBe('policy/v1');
    expect(pdb.metadata.name).toBe('registry');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: registry.selectorLabels }, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    expect(objects).toMatchSnapshot();
  });

  test('one replica: no PDB and no spread unless asked', () => {
    const { chart } = build();
    const { objects, pod } = objectsOf(chart);
    expect(objects.find((o) => o.kind === 'PodDisruptionBudget')).toBeUndefined();
    expect(pod.topologySpreadConstraints).toBeUndefined();
    const asked = build({ disruptionBudget: false }, 'Registry', true);
    expect(objectsOf(asked.chart).objects.find((o) => o.kind === 'PodDisruptionBudget')).toBeUndefined();
  });

  test('anti-affinity, priority class, node selector, tolerations, node affinity', () => {
    const { chart, registry } = build({
      placement: {
        antiAffinity: PodAntiAffinity.REQUIRED,
        spreadAcrossZones: false,
        priorityClassName: 'system-cluster-critical',
        nodeSelector: { 'node-role.kubernetes.io/infra': '' },
        tolerations: [kplus.NodeTaintQuery.is('node-role.kubernetes.io/infra', '', { effect: kplus.TaintEffect.NO_SCHEDULE })],
        nodeAffinity: [kplus.NodeLabelQuery.in('kubernetes.io/arch', ['amd64', 'arm64'])],
      },
    }, 'Registry', true);
    const { pod } = objectsOf(chart);
    expect(pod.topologySpreadConstraints.map((c: Obj) => c.topologyKey)).toEqual(['kubernetes.io/hostname']);
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      { labelSelector: { matchLabels: registry.selectorLabels }, topologyKey: 'kubernetes.io/hostname' },
    ]);
    expect(pod.priorityClassName).toBe('system-cluster-critical');
    expect(pod.nodeSelector).toEqual({ 'node-role.kubernetes.io/infra': '' });
    expect(pod.tolerations).toEqual([{ key: 'node-role.kubernetes.io/infra', operator: 'Equal', value: '', effect: 'NoSchedule' }]);
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }] },
    ]);
  });

  test('preferred anti-affinity is weighted', () => {
    const { chart } = build({ placement: { antiAffinity: PodAntiAffinity.PREFERRED } }, 'Registry', true);
    expect(objectsOf(chart).pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight).toBe(100);
  });

  test('bad placement values are refused', () => {
    expect(() => build({ placement: { priorityClassName: 'High_Priority' } })).toThrow(/'placement.priorityClassName' \("High_Priority"\) must be a DNS-1123 subdomain/);
    expect(() => build({ placement: { nodeSelector: {} } })).toThrow(/'placement.nodeSelector' is empty/);
    expect(() => build({ placement: { nodeSelector: { 'bad key!': 'x' } } })).toThrow(/'placement.nodeSelector' key "bad key!" is not a label key/);
    expect(() => build({ placement: { nodeSelector: { zone: 'a b' } } })).toThrow(/'placement.nodeSelector' value "a b" of zone is not a label value/);
    expect(() => build({ placement: { nodeAffinity: [] } })).toThrow(/'placement.nodeAffinity' is empty/);
  });
});

describe('RegistryAutoscaler', () => {
  test('scales a registry on shared storage on CPU; the Deployment leaves replicas to it', () => {
    const { chart, registry } = build({ name: 'registry', replicas: undefined }, 'Registry', true);
    new RegistryAutoscaler(chart, 'Autoscaler', { registry, maxReplicas: 6 });
    const { objects, deployment } = objectsOf(chart);
    const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler')!;
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.metadata.name).toBe('registry');
    expect(hpa.spec).toMatchObject({
      minReplicas: 2,
      maxReplicas: 6,
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'registry' },
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    });
    expect(deployment.spec.replicas).toBeUndefined();
    expect(hpa.metadata.labels['app.kubernetes.io/component']).toBe('autoscaler');
  });

  test('the registry\'s explicit replicas is the autoscaler\'s minReplicas; both, differing, is an error', () => {
    // GIVEN replicas: 3 on the registry (shared() sets it) and no minReplicas
    const { chart, registry } = build({ name: 'registry' }, 'Registry', true);
    new RegistryAutoscaler(chart, 'Autoscaler', { registry, maxReplicas: 6 });
    const { objects, deployment } = objectsOf(chart);
    // THEN the floor is 3, not the default 2, and the Deployment leaves the count to the autoscaler
    expect(objects.find((o) => o.kind === 'HorizontalPodAutoscaler')!.spec.minReplicas).toBe(3);
    expect(deployment.spec.replicas).toBeUndefined();
    const same = build({}, 'Registry', true);
    expect(() => new RegistryAutoscaler(same.chart, 'Autoscaler', { registry: same.registry, minReplicas: 3, maxReplicas: 6 })).not.toThrow();
    const differ = build({}, 'Registry', true);
    expect(() => new RegistryAutoscaler(differ.chart, 'Autoscaler', { registry: differ.registry, minReplicas: 2, maxReplicas: 6 }))
      .toThrow(/test\/Autoscaler: 'minReplicas' \(2\) differs from the registry's replicas \(3\): .*Give one of them, or the same number/);
    const above = build({}, 'Registry', true);
    expect(() => new RegistryAutoscaler(above.chart, 'Autoscaler', { registry: above.registry, maxReplicas: 2 }))
      .toThrow(/'maxReplicas' \(2\) must be at least the registry's replicas \(3\), its minReplicas/);
    const twice = build({ replicas: undefined }, 'Registry', true);
    new RegistryAutoscaler(twice.chart, 'A', { registry: twice.registry, maxReplicas: 6 });
    expect(() => new RegistryAutoscaler(twice.chart, 'B', { registry: twice.registry, maxReplicas: 6 })).toThrow(/test\/B: 'registry' \(test\/Registry\) is already scaled by test\/A/);
  });

  test('refused on ReadWriteOnce storage, without httpSecret, and with min > max', () => {
    const rwo = build();
    expect(() => new RegistryAutoscaler(rwo.chart, 'Autoscaler', { registry: rwo.registry, maxReplicas: 3 }))
      .toThrow(/Autoscaler: 'registry' cannot be autoscaled to 3 replicas: the data volume is ReadWriteOnce/);
    const rwx = build({ storage: StorageBackend.persistentVolumeClaim({ accessMode: kplus.PersistentVolumeAccessMode.READ_WRITE_MANY }) });
    expect(() => new RegistryAutoscaler(rwx.chart, 'Autoscaler', { registry: rwx.registry, maxReplicas: 3 })).toThrow(/without 'httpSecret'/);
    const ok = build({ replicas: undefined }, 'Registry', true);
    expect(() => new RegistryAutoscaler(ok.chart, 'Autoscaler', { registry: ok.registry, minReplicas: 4, maxReplicas: 3 })).toThrow(/'maxReplicas' \(3\) must be at least minReplicas \(4\)/);
  });
});

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

describe('disruption budgets: one per pod, and one that protects something', () => {
  const budgets = (chart: Chart) => objectsOf(chart).objects.filter((o) => o.kind === 'PodDisruptionBudget');

  test('a RegistryDisruptionBudget replaces the one the registry adds by itself with several replicas', () => {
    // GIVEN replicas: 3, which adds a budget, and an explicit budget allowing 2
    const { chart, registry } = build({ name: 'registry' }, 'Registry', true);
    new RegistryDisruptionBudget(chart, 'Budget', { registry, maxUnavailable: 2 });
    // THEN one budget selects the pods: the explicit one
    const pdbs = budgets(chart);
    expect(pdbs).toHaveLength(1);
    expect(pdbs[0].spec).toEqual({
      maxUnavailable: 2,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'registry', 'app.kubernetes.io/instance': 'registry', 'app.kubernetes.io/component': 'registry' } },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    });
    expect(pdbs[0].metadata.labels['app.kubernetes.io/component']).toBe('disruption-budget');
  });

  test('a budget that lets every replica go, or guards a single replica, is refused at synth', () => {
    const all = build({}, 'Registry', true); // 3 replicas
    new RegistryDisruptionBudget(all.chart, 'Budget', { registry: all.registry, maxUnavailable: 3 });
    expect(() => Testing.synth(all.chart)).toThrow(/test\/Budget: 'maxUnavailable' \(3\) lets a drain evict all of the registry's pods at once \(its replicas \(3\)\), so the budget protects nothing: give maxUnavailable at most 2/);
    const single = build({ disruptionBudget: true });
    expect(() => Testing.synth(single.chart)).toThrow(/test\/Registry: 'disruptionBudget' cannot protect a registry that runs a single replica \(its replicas \(1\)\).*disruptionBudget: false/);
    // with an autoscaler, its floor counts (checked at synth: the autoscaler may come after the budget)
    const scaled = build({ replicas: undefined, disruptionBudget: false }, 'Registry', true);
    new RegistryDisruptionBudget(scaled.chart, 'Budget', { registry: scaled.registry, maxUnavailable: 2 });
    new RegistryAutoscaler(scaled.chart, 'Autoscaler', { registry: scaled.registry, maxReplicas: 6 });
    expect(() => Testing.synth(scaled.chart)).toThrow(/'maxUnavailable' \(2\) lets a drain evict all of the registry's pods at once \(its autoscaler's minReplicas \(2\)\)/);
    const fine = build({ replicas: undefined, disruptionBudget: false }, 'Registry', true);
    new RegistryDisruptionBudget(fine.chart, 'Budget', { registry: fine.registry, maxUnavailable: 2 });
    new RegistryAutoscaler(fine.chart, 'Autoscaler', { registry: fine.registry, minReplicas: 3, maxReplicas: 6 });
    expect(() => validateChart(fine.chart)).not.toThrow();
  });

  test('a pod spec patched so the grace period ends before the drain is refused', () => {
    // GIVEN an escape-hatch patch of the grace period below preStop (10 s) + drainTimeout (60 s)
    const { chart, registry } = build({}, 'Registry', true);
    ApiObject.of(registry.deployment).addJsonPatch(JsonPatch.replace('/spec/template/spec/terminationGracePeriodSeconds', 30));
    expect(() => Testing.synth(chart)).toThrow(/test\/Registry: the pod's terminationGracePeriodSeconds \(30\) ends before the registry has drained: the preStop pause \(10 s\) and drainTimeout \(60 s\) need 70 s.*the library sets 75/);
    // a longer preStop pause patched in counts too
    const longer = build({}, 'Registry', true);
    ApiObject.of(longer.registry.deployment).addJsonPatch(JsonPatch.replace('/spec/template/spec/containers/0/lifecycle/preStop/exec/command', ['sleep', '30']));
    expect(() => Testing.synth(longer.chart)).toThrow(/preStop pause \(30\ s\) and drainTimeout \(60 s\) need 90 s/);
    // a grace period raised by a patch is fine
    const raised = build({}, 'Registry', true);
    ApiObject.of(raised.registry.deployment).addJsonPatch(JsonPatch.replace('/spec/template/spec/terminationGracePeriodSeconds', 600));
    expect(() => validateChart(raised.chart)).not.toThrow();
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
