import { manifestErrors } from './validate-manifests';

const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'registry', namespace: 'ns' },
  spec: {
    selector: { matchLabels: { app: 'registry' } },
    template: {
      metadata: { labels: { app: 'registry' } },
      spec: { containers: [{ name: 'registry', image: 'registry:3.0.0', ports: [{ containerPort: 5000 }] }] },
    },
  },
});
const service = () => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'registry', namespace: 'ns' },
  spec: { selector: { app: 'registry' }, ports: [{ port: 5000, targetPort: 5000 }] },
});

describe('manifestErrors: the checks the schemas miss', () => {
  test('a valid pair passes', () => {
    expect(manifestErrors([deployment(), service()])).toEqual([]);
  });
  test('schema errors', () => {
    const d: any = deployment();
    delete d.spec.selector;
    expect(manifestErrors([d]).join('\n')).toMatch(/selector/);
  });
  test('unknown fields', () => {
    const d: any = deployment();
    d.spec.template.spec.containers[0].imagePullPolicyy = 'Always';
    d.spec.replica = 2;
    const errors = manifestErrors([d]).join('\n');
    expect(errors).toMatch(/containers\/0\/imagePullPolicyy is not a field of Container/);
    expect(errors).toMatch(/spec\/replica is not a field of DeploymentSpec/);
  });
  test('invalid names', () => {
    const s: any = service();
    s.metadata.name = 'Registry.Svc';
    expect(manifestErrors([deployment(), s]).join('\n')).toMatch(/not a DNS-1123 label/);
  });
  test('selectors that do not match', () => {
    const d: any = deployment();
    d.spec.template.metadata.labels.app = 'other';
    const errors = manifestErrors([d, service()]).join('\n');
    expect(errors).toMatch(/spec.selector does not match/);
    expect(errors).toMatch(/selector matches no pod template/);
  });
  test('port ranges', () => {
    const d: any = deployment();
    d.spec.template.spec.containers[0].ports[0].containerPort = 70000;
    expect(manifestErrors([d]).join('\n')).toMatch(/70000.*not a port/);
  });
  test('missing image', () => {
    const d: any = deployment();
    d.spec.template.spec.containers[0].image = '';
    expect(manifestErrors([d]).join('\n')).toMatch(/image is not set/);
  });
});
