import { App, Testing, Yaml } from 'cdk8s';
import { S3ElbRegistryChart } from '../../examples/s3-elb-registry';
import { validateChart } from '../util/validate-manifests';

type Obj = { [key: string]: any };

describe('examples/s3-elb-registry.ts (seed 001)', () => {
  const chart = new S3ElbRegistryChart(Testing.app(), 's3-elb-registry');
  const objects = validateChart(chart);
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const deployment = byKind('Deployment')[0];
  const container: Obj = deployment.spec.template.spec.containers[0];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require('yaml').parse(byKind('ConfigMap')[0].data['config.yml']);

  test('Namespace first, everything in it; snapshot', () => {
    expect(objects[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'container-registry' } });
    expect(objects.slice(1).every((o) => o.metadata.namespace === 'container-registry')).toBe(true);
    expect(objects).toMatchSnapshot();
  });

  test('S3 storage with keys from the s3-credentials Secret, never literal', () => {
    expect(config.storage.s3).toMatchObject({ bucket: 'myregistry', region: 'us-east-1' });
    const env = new Map<string, Obj>(container.env.map((e: Obj) => [e.name, e]));
    expect(env.get('REGISTRY_STORAGE_S3_ACCESSKEY')!.valueFrom.secretKeyRef.name).toBe('s3-credentials');
    expect(env.get('REGISTRY_STORAGE_S3_SECRETKEY')!.valueFrom.secretKeyRef.name).toBe('s3-credentials');
    expect(byKind('Secret')).toHaveLength(0);
  });

  test('htpasswd from the registry-htpasswd Secret', () => {
    expect(config.auth.htpasswd).toEqual({ realm: 'Registry Realm', path: '/etc/registry/auth/htpasswd' });
    const volume = deployment.spec.template.spec.volumes.find((v: Obj) => v.secret?.secretName === 'registry-htpasswd');
    expect(volume.secret.items).toEqual([{ key: 'htpasswd', path: 'htpasswd' }]);
  });

  test('TLS terminated at a Classic ELB on 443, HTTP to the pod, and the external URL set', () => {
    const lb = byKind('Service').find((s) => s.spec.type === 'LoadBalancer')!;
    expect(lb.metadata.name).toBe('registry-public');
    expect(lb.metadata.annotations['service.beta.kubernetes.io/aws-load-balancer-ssl-cert'])
      .toBe('arn:aws:iam::123456789012:server-certificate/registry');
    expect(lb.metadata.annotations['service.beta.kubernetes.io/aws-load-balancer-backend-protocol']).toBe('http');
    expect(lb.spec.ports).toEqual([{ name: 'https', port: 443, targetPort: 5000, protocol: 'TCP' }]);
    expect(config.http.host).toBe('https://registry.myapp.com');
    expect(config.http.tls).toBeUndefined();
  });

  test('deterministic', () => {
    const render = () => Yaml.stringify(...new S3ElbRegistryChart(new App({ outdir: '/dev/null' }), 's3-elb-registry').toJson());
    expect(render()).toBe(render());
  });
});
