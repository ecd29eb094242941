import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  ElbTlsService, HtpasswdAuth, RegistryAuth, RegistryDeployment, RegistryDeploymentProps, RegistryDisruptionBudget, RegistryIngress,
  S3Credentials, StorageBackend, WayInKind,
} from '../src';
import { validateChart } from './util/validate-manifests';

const ARN = 'arn:aws:iam::123456789012:server-certificate/registry';
const htpasswd = () => HtpasswdAuth.fromEntries({ entries: [`admin:$2y$05$${'a'.repeat(53)}`] });

function build(props: Partial<RegistryDeploymentProps> = {}, sharedStorage = false) {
  const chart = Testing.chart();
  const storage = sharedStorage ? {
    replicas: 3,
    storage: StorageBackend.s3({ bucket: 'images', region: 'eu-west-1', credentials: S3Credentials.fromSecret(kplus.Secret.fromSecretName(chart, 'S3', 's3-keys')) }),
    httpSecret: { secret: kplus.Secret.fromSecretName(chart, 'HttpSecret', 'registry-http'), key: 'secret' },
  } : {};
  const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), ...storage, ...props });
  return { chart, registry };
}

const budgets = (chart: Chart) => validateChart(chart).filter((o) => o.kind === 'PodDisruptionBudget');

describe('the disruption budget: one per registry', () => {
  test('the budget the registry adds by itself gives way to one made for it, unless it was asked for', () => {
    const { chart, registry } = build({}, true);
    const own = registry.disruptionBudget!;
    expect(own.node.path).toBe('test/Registry/DisruptionBudget');
    const mine = new RegistryDisruptionBudget(chart, 'Budget', { registry });
    expect(registry.disruptionBudget).toBe(mine);
    expect(registry.node.tryFindChild('DisruptionBudget')).toBeUndefined();
    // registering the same budget again changes nothing
    registry.useDisruptionBudget(mine);
    expect(budgets(chart).map((b) => b.metadata.labels['app.kubernetes.io/component'])).toEqual(['disruption-budget']);
  });

  test('a second budget is refused, naming both and the fix', () => {
    const asked = build({ disruptionBudget: true }, true);
    expect(() => new RegistryDisruptionBudget(asked.chart, 'Budget', { registry: asked.registry }))
      .toThrow(/test\/Budget: 'registry' \(test\/Registry\) already has a PodDisruptionBudget \(test\/Registry\/DisruptionBudget\): Kubernetes refuses every eviction of a pod that two budgets select.*set 'disruptionBudget: false' on the registry/);
    const off = build({ disruptionBudget: false }, true);
    new RegistryDisruptionBudget(off.chart, 'Budget', { registry: off.registry });
    expect(() => new RegistryDisruptionBudget(off.chart, 'Another', { registry: off.registry }))
      .toThrow(/test\/Another: 'registry' \(test\/Registry\) already has a PodDisruptionBudget \(test\/Budget\).*drop test\/Another, or test\/Budget/);
    expect(budgets(off.chart)).toHaveLength(1);
  });
});

describe('the autoscaler: one per registry', () => {
  test('the first is kept with its floor; a second is refused, naming both', () => {
    const { registry } = build({}, true);
    expect(registry.autoscaler).toBeUndefined();
    const first = new Construct(registry.node.scope!, 'A');
    registry.useAutoscaler(first, 2);
    expect(registry.autoscaler).toEqual({ construct: first, minReplicas: 2 });
    expect(() => registry.useAutoscaler(new Construct(registry.node.scope!, 'B'), 3))
      .toThrow(/^test\/B: 'registry' \(test\/Registry\) is already scaled by test\/A: two HorizontalPodAutoscalers of one Deployment fight over its replica count/);
  });
});

describe('the ways in: admitted by the registry, recorded in order', () => {
  test('each way in is recorded with its kind, for a network policy', () => {
    const chart = Testing.chart();
    const registry = new RegistryDeployment(chart, 'Registry', { auth: htpasswd() });
    const ingress = new RegistryIngress(chart, 'In', { registry, host: 'registry.example.com' });
    const lb = new ElbTlsService(chart, 'Lb', { registry, certificateArn: ARN, hostname: 'registry.example.com' });
    expect(registry.waysIn).toEqual([{ construct: ingress, kind: WayInKind.INGRESS }, { construct: lb, kind: WayInKind.LOAD_BALANCER }]);
    // a copy: the registry's record cannot be changed from outside
    registry.waysIn.pop();
    expect(registry.waysIn).toHaveLength(2);
  });

  test('a way in in another namespace than its registry', () => {
    const app = Testing.app();
    const r = new RegistryDeployment(new Chart(app, 'reg', { namespace: 'registry' }), 'Registry', { auth: htpasswd() });
    expect(() => new RegistryIngress(new Chart(app, 'ways', { namespace: 'ingress' }), 'In', { registry: r, host: 'registry.example.com' }))
      .toThrow(/^ways\/In: 'registry' \(reg\/Registry\) is in namespace registry, but this way in is in ingress/);
  });

  test('an open registry behind a public way in needs a named acknowledgement (decided at synth, once every part is known)', () => {
    const chart = Testing.chart();
    const open = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), storageOptions: { deleteEnabled: true } });
    new ElbTlsService(chart, 'Lb', { registry: open, certificateArn: ARN, hostname: 'registry.example.com' });
    expect(() => Testing.synth(chart))
      .toThrow(/test\/Lb: 'registry' \(test\/Registry\) has no authentication \(RegistryAuth.none\(\)\): through this public way in anyone could push, overwrite and delete images.*RegistryAuth.none\(\{ allowPublicAccess: true \}\)/);
    // an internal load balancer is no public way in
    const internal = Testing.chart();
    const open2 = new RegistryDeployment(internal, 'Registry', { auth: RegistryAuth.none(), storageOptions: { deleteEnabled: true } });
    new ElbTlsService(internal, 'Internal', { registry: open2, certificateArn: ARN, hostname: 'registry.example.com', internal: true });
    expect(() => Testing.synth(internal)).not.toThrow();
    const acknowledged = Testing.chart();
    const ok = new RegistryDeployment(acknowledged, 'Registry', { auth: RegistryAuth.none({ allowPublicAccess: true }) });
    new RegistryIngress(acknowledged, 'In', { registry: ok, host: 'registry.example.com' });
    expect(() => Testing.synth(acknowledged)).not.toThrow();
  });

  test('an open registry that cannot delete is said to be overwritable, not deletable', () => {
    const chart = Testing.chart();
    const open = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none() });
    open.exposeThrough(new Construct(chart, 'Way'), { kind: WayInKind.INGRESS, publicAccess: true });
    expect(() => Testing.synth(chart))
      .toThrow(/test\/Way: 'registry' \(test\/Registry\) has no authentication \(RegistryAuth.none\(\)\): through this public way in anyone could push and overwrite images/);
    const internal = Testing.chart();
    const open2 = new RegistryDeployment(internal, 'Registry', { auth: RegistryAuth.none() });
    open2.exposeThrough(new Construct(internal, 'Internal'), { kind: WayInKind.LOAD_BALANCER, publicAccess: false });
    expect(open2.waysIn.map((w) => w.construct.node.id)).toEqual(['Internal']);
    expect(() => Testing.synth(internal)).not.toThrow();
  });
});
