import { Testing, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { registryOf, synthConfig, V2_8, V3_0, V3_1 } from './operations/helpers';
import { Notifications, PullThroughCache, RedisBlobDescriptorCache, RegistryTracing, OtlpProtocol, StorageBackend, BlobDescriptorCache, GarbageCollection } from '../src';

function tryIt(name: string, f: () => void) {
  try { f(); console.log(`${name}: NO ERROR`); } catch (e) { console.log(`${name}: ${(e as Error).message}`); }
}
test('probe', () => {
  tryIt('X-Auth-Key', () => { const { chart, registry } = registryOf(V3_1); registry.addPart(new Notifications({ endpoints: [{ name: 'a', url: 'http://x/', headers: { 'X-Auth-Key': 'abcdefabcdef1234' } }] })); synthConfig(chart); });
  tryIt('JWT header', () => { const { chart, registry } = registryOf(V3_1); registry.addPart(new Notifications({ endpoints: [{ name: 'a', url: 'http://x/', headers: { 'X-Foo': 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.abcdefghijk' } }] })); synthConfig(chart); });
  tryIt('token in query', () => { const { chart, registry } = registryOf(V3_1); registry.addPart(new Notifications({ endpoints: [{ name: 'a', url: 'http://x/e?token=abc123def456' }] })); synthConfig(chart); });
  tryIt('proxy userinfo addConfigSection', () => { const { chart, registry } = registryOf(V3_1); registry.addConfigSection('proxy', { remoteurl: 'https://u:p@registry-1.docker.io' }); synthConfig(chart); });
  tryIt('notif userinfo addConfigSection', () => { const { chart, registry } = registryOf(V3_1); registry.addConfigSection('notifications', { endpoints: [{ name: 'a', url: 'https://u:p@x/' }] }); synthConfig(chart); });
  tryIt('custom part env', () => { const { chart, registry } = registryOf(V3_1); registry.addPart({ bind: () => ({ name: 'mine', env: { REGISTRY_PROXY_PASSWORD: kplus.EnvValue.fromValue('hunter22') } }) }); synthConfig(chart); });
  tryIt('custom part env OTEL', () => { const { chart, registry } = registryOf(V3_1); registry.addPart({ bind: () => ({ name: 'mine', env: { OTEL_EXPORTER_OTLP_HEADERS: kplus.EnvValue.fromValue('api-key=abcdef123456') } }) }); synthConfig(chart); });
  tryIt('newrelic', () => { const { chart, registry } = registryOf(V2_8); registry.addConfigSection('reporting', { newrelic: { licensekey: 'abc123', name: 'x' } }); synthConfig(chart); });
  tryIt('cloudfront privatekey path', () => { const { chart, registry } = registryOf(V2_8); registry.addConfigSection('middleware', { storage: [{ name: 'cloudfront', options: { baseurl: 'https://x.cloudfront.net/', privatekey: '/etc/cf/pk.pem', keypairid: 'APKA' } }] }); synthConfig(chart); });
  tryIt('newline header', () => { const { chart, registry } = registryOf(V3_1); registry.addPart(new Notifications({ endpoints: [{ name: 'a', url: 'http://x/', headers: { 'X-Foo': 'a\nb' } }] })); synthConfig(chart); });
  tryIt('upper action', () => { const { chart, registry } = registryOf(V3_1); registry.addPart(new Notifications({ endpoints: [{ name: 'a', url: 'http://x/', ignoredActions: ['PULL' as any] }] })); synthConfig(chart); });
  tryIt('debug addr part', () => { const { chart, registry } = registryOf(V3_1); registry.addPart({ bind: () => ({ name: 'mine', env: { REGISTRY_HTTP_DEBUG_ADDR: kplus.EnvValue.fromValue(':5000') } }) }); synthConfig(chart); });
  tryIt('grpc 4318', () => { const { chart } = registryOf(V3_1, { tracing: RegistryTracing.otlp({ endpoint: 'http://c:4318', protocol: OtlpProtocol.GRPC }) }); synthConfig(chart); });
  tryIt('two ptc', () => { const { chart, registry } = registryOf(V3_1); registry.addPart(new PullThroughCache({ remoteUrl: 'https://a.io' })); registry.addPart(new PullThroughCache({ remoteUrl: 'https://b.io' })); synthConfig(chart); });
  tryIt('two notif', () => { const { chart, registry } = registryOf(V3_1); registry.addPart(new Notifications({ endpoints: [{ name: 'a', url: 'http://x/' }] })); registry.addPart(new Notifications({ endpoints: [{ name: 'b', url: 'http://y/' }] })); synthConfig(chart); });
  tryIt('redis + inmemory', () => { const { chart, registry } = registryOf(V3_1, { storageOptions: { blobDescriptorCache: BlobDescriptorCache.INMEMORY } }); registry.addPart(new RedisBlobDescriptorCache({ addresses: ['r:6379'] })); synthConfig(chart); });
  tryIt('redis pw env 3.0', () => { const { chart, registry } = registryOf(V3_0); registry.addPart(new RedisBlobDescriptorCache({ addresses: ['r:6379'] })); registry.addSecretEnv('REGISTRY_REDIS_PASSWORD', { secret: kplus.Secret.fromSecretName(chart, 'S', 's'), key: 'k' }); synthConfig(chart); });
  tryIt('redis sentinel', () => { const { chart, registry } = registryOf(V3_1); registry.addPart(new RedisBlobDescriptorCache({ addresses: ['r:26379'] })); synthConfig(chart); });
  tryIt('proxy no delete', () => { const { chart, registry } = registryOf(V3_1); registry.addConfigSection('proxy', { remoteurl: 'https://registry-1.docker.io' }); synthConfig(chart); });
  tryIt('cron 31 2', () => { const { chart, registry } = registryOf(V3_1, { storageOptions: { deleteEnabled: true } }); new GarbageCollection(chart, 'GC', { registry, schedule: require('cdk8s-plus-27').Cron.schedule({ minute: '0', hour: '3', day: '31', month: '2' }) } as any); synthConfig(chart); });
});
