import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { AwsLoadBalancerType, ElbTlsService, ElbTlsServiceProps, RegistryAuth, RegistryDeployment, RegistryTls } from '../../src';
import { validateChart } from '../util/validate-manifests';

const ACM = 'arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';
const IAM = 'arn:aws:iam::123456789012:server-certificate/registry';
const LB = 'service.beta.kubernetes.io/aws-load-balancer';

function synth(props: Partial<ElbTlsServiceProps> = {}, podTls = false) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'container-registry' });
  const registry = new RegistryDeployment(chart, 'Registry', {
    name: 'registry',
    auth: RegistryAuth.none({ allowPublicAccess: true }),
    tls: podTls ? RegistryTls.fromSecret(kplus.Secret.fromSecretName(chart, 'Tls', 'registry-tls')) : undefined,
  });
  const elb = new ElbTlsService(chart, 'Elb', { registry, certificateArn: ACM, hostname: 'registry.example.com', ...props });
  const objects = validateChart(chart);
  const lb = objects.find((o) => o.kind === 'Service' && o.spec.type === 'LoadBalancer')!;
  const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require('yaml').parse(configMap.data['config.yml']);
  const deployment = objects.find((o) => o.kind === 'Deployment')!;
  return { registry, elb, objects, lb, config, deployment };
}

describe('ElbTlsService', () => {
  test('classic ELB as seed 001: ssl-cert, HTTP to the pod, TLS on 443, long idle timeout, external URL; snapshot', () => {
    const { lb, config, deployment, elb } = synth();
    expect(lb).toMatchSnapshot();
    expect(lb.metadata.annotations).toEqual({
      [`${LB}-backend-protocol`]: 'http',
      [`${LB}-connection-idle-timeout`]: '900',
      [`${LB}-ssl-cert`]: ACM,
      [`${LB}-ssl-ports`]: '443',
    });
    expect(lb.spec.ports).toEqual([{ name: 'https', port: 443, targetPort: 5000, protocol: 'TCP' }]);
    // the registry's pods only: the Deployment's selector plus the component
    expect(lb.spec.selector).toEqual({ ...deployment.spec.selector.matchLabels, 'app.kubernetes.io/component': 'registry' });
    // named from the registry's name: a rename of construct ids or charts makes no new load balancer
    expect(lb.metadata.name).toBe('registry-lb');
    expect(lb.metadata.labels).toMatchObject({ 'app.kubernetes.io/instance': 'registry', 'app.kubernetes.io/component': 'load-balancer' });
    expect(lb.metadata.namespace).toBe('container-registry');
    expect(config.http.host).toBe('https://registry.example.com');
    expect(elb.url).toBe('https://registry.example.com');
  });

  test('IAM server certificate, internal, source ranges, idle timeout, TLS policy', () => {
    const { lb } = synth({
      certificateArn: IAM,
      internal: true,
      sourceRanges: ['10.0.0.0/8', '2001:db8::/32'],
      idleTimeout: Duration.hours(1),
      sslPolicy: 'ELBSecurityPolicy-TLS-1-2-2017-01',
    });
    expect(lb.metadata.annotations[`${LB}-ssl-cert`]).toBe(IAM);
    expect(lb.metadata.annotations[`${LB}-internal`]).toBe('true');
    expect(lb.metadata.annotations[`${LB}-connection-idle-timeout`]).toBe('3600');
    expect(lb.metadata.annotations[`${LB}-ssl-negotiation-policy`]).toBe('ELBSecurityPolicy-TLS-1-2-2017-01');
    expect(lb.spec.loadBalancerSourceRanges).toEqual(['10.0.0.0/8', '2001:db8::/32']);
  });

  test('NLB through the AWS Load Balancer Controller', () => {
    const { lb } = synth({ loadBalancerType: AwsLoadBalancerType.NLB });
    expect(lb.metadata.annotations).toEqual({
      [`${LB}-backend-protocol`]: 'tcp',
      [`${LB}-nlb-target-type`]: 'ip',
      [`${LB}-scheme`]: 'internet-facing',
      [`${LB}-ssl-cert`]: ACM,
      [`${LB}-ssl-ports`]: '443',
      [`${LB}-type`]: 'external',
    });
    const internal = synth({ loadBalancerType: AwsLoadBalancerType.NLB, internal: true }).lb;
    expect(internal.metadata.annotations[`${LB}-scheme`]).toBe('internal');
  });

  test('a pod serving TLS gets an HTTPS/TLS backend', () => {
    expect(synth({}, true).lb.metadata.annotations[`${LB}-backend-protocol`]).toBe('https');
    expect(synth({ loadBalancerType: AwsLoadBalancerType.NLB }, true).lb.metadata.annotations[`${LB}-backend-protocol`]).toBe('ssl');
  });

  test.each([
    ['arn:aws:s3:::my-bucket'],
    ['arn:aws:acm:us-east-1:123456789012:certificate/not-a-uuid'],
    ['arn:aws:iam::123456789012:role/registry'],
    ['arn:aws:acm:us-east-1:1234:certificate/12345678-1234-1234-1234-123456789012'],
    [''],
  ])('rejects the certificate ARN %j', (arn) => {
    expect(() => synth({ certificateArn: arn })).toThrow(/^test\/Elb: 'certificateArn' .* is not an ACM certificate ARN .*or an IAM server certificate ARN/);
  });

  test('accepts ARNs of other partitions', () => {
    const cn = 'arn:aws-cn:acm:cn-north-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';
    expect(synth({ certificateArn: cn }).lb.metadata.annotations[`${LB}-ssl-cert`]).toBe(cn);
    const gov = 'arn:aws-us-gov:iam::123456789012:server-certificate/path/registry';
    expect(synth({ certificateArn: gov }).lb.metadata.annotations[`${LB}-ssl-cert`]).toBe(gov);
  });

  test('bad input', () => {
    expect(() => synth({ hostname: 'https://registry.example.com' })).toThrow(/'hostname'.*DNS name/);
    expect(() => synth({ idleTimeout: Duration.hours(2) })).toThrow(/'idleTimeout' \(7200 s\) must be .* from 1 to 4000/);
    expect(() => synth({ loadBalancerType: AwsLoadBalancerType.NLB, idleTimeout: Duration.minutes(5) })).toThrow(/'idleTimeout' applies to AwsLoadBalancerType\.CLASSIC only/);
    expect(() => synth({ sourceRanges: ['10.0.0.0'] })).toThrow(/'sourceRanges' \("10\.0\.0\.0"\) is not a CIDR such as "203.0.113.0\/24"/);
    expect(() => synth({ sourceRanges: ['300.0.0.0/8'] })).toThrow(/'sourceRanges'/);
    expect(() => synth({ sslPolicy: 'bad policy' })).toThrow(/'sslPolicy'/);
  });

  test('its own name wins; a name made from a long registry name is refused', () => {
    expect(synth({ name: 'registry-public' }).lb.metadata.name).toBe('registry-public');
    const chart = Testing.chart();
    const registry = new RegistryDeployment(chart, 'Registry', { name: 'r'.repeat(62), auth: RegistryAuth.none({ allowPublicAccess: true }) });
    expect(() => new ElbTlsService(chart, 'Elb', { registry, certificateArn: ACM, hostname: 'registry.example.com' }))
      .toThrow(/test\/Elb: 'name' is not given, and the name made from the registry's \("r{62}-lb"\) is longer than the 63 characters of a Service name: give 'name'/);
  });

  test('a second way in with another URL is an error', () => {
    const chart = new Chart(Testing.app(), 'test');
    const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none({ allowPublicAccess: true }), externalUrl: 'https://other.example.com' });
    expect(() => new ElbTlsService(chart, 'Elb', { registry, certificateArn: ACM, hostname: 'registry.example.com' }))
      .toThrow(/'externalUrl' is already https:\/\/other\.example\.com/);
  });
});
