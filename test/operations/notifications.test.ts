import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { registryOf, synthConfig, V2_8, V3_1 } from './helpers';
import { NotificationAction, Notifications } from '../../src';

describe('Notifications', () => {
  test('endpoints with every option; the Authorization header is a placeholder from a Secret, on 2.8 too', () => {
    const { chart, registry } = registryOf(V2_8);
    const secret = kplus.Secret.fromSecretName(chart, 'Hook', 'scanner-token');
    registry.addPart(new Notifications({
      includeReferences: true,
      endpoints: [{
        name: 'scanner',
        url: 'https://scanner.example.com/events',
        headers: { 'X-Source': 'registry' },
        secretHeaders: { Authorization: { secret, key: 'token' } },
        timeout: Duration.seconds(2),
        threshold: 5,
        backoff: Duration.seconds(30),
        ignoredMediaTypes: ['application/octet-stream'],
        ignoredActions: [NotificationAction.PULL, NotificationAction.PULL],
      }],
    }));
    const { config, objects, spec } = synthConfig(chart);
    expect(config.notifications).toEqual({
      events: { includereferences: true },
      endpoints: [{
        name: 'scanner',
        url: 'https://scanner.example.com/events',
        headers: { 'X-Source': ['registry'], 'Authorization': ['__registry_secret_0__'] },
        timeout: '2s',
        threshold: 5,
        backoff: '30s',
        ignore: { mediatypes: ['application/octet-stream'], actions: ['pull'] },
      }],
    });
    expect(spec.volumes).toContainEqual({ name: 'config-secret-0', secret: { secretName: 'scanner-token', defaultMode: 0o440, items: [{ key: 'token', path: 'value' }] } });
    expect(objects).toMatchSnapshot();
  });

  test('minimal endpoint: only name and url', () => {
    const { chart, registry } = registryOf(V3_1);
    registry.addPart(new Notifications({ endpoints: [{ name: 'a', url: 'http://hook.ns.svc:8080/' }] }));
    const { config, spec } = synthConfig(chart);
    expect(config.notifications).toEqual({ endpoints: [{ name: 'a', url: 'http://hook.ns.svc:8080/' }] });
    expect(spec.initContainers).toBeUndefined();
  });

  test('bad endpoints are refused with the property named', () => {
    const add = (e: any) => registryOf(V3_1).registry.addPart(new Notifications({ endpoints: e }));
    expect(() => add([])).toThrow(/'notifications.endpoints' must list at least one endpoint/);
    expect(() => add([{ name: 'a', url: 'ftp://x' }])).toThrow(/'notifications.endpoints\[0\].url' \("ftp:\/\/x"\) must be an http:\/\/ or https:\/\/ URL with a host, optional port and path/);
    expect(() => add([{ name: 'a', url: 'https://u:p@x' }])).toThrow(/must not contain a user or password/);
    // a webhook's path and query are its own; a fragment is not sent
    expect(() => add([{ name: 'a', url: 'https://hook.example.com/events?team=a' }])).not.toThrow();
    expect(() => add([{ name: 'a', url: 'https://hook.example.com/events#x' }])).toThrow(/'notifications.endpoints\[0\].url' .* must not have a fragment/);
    expect(() => add([{ name: 'a', url: 'http://x' }, { name: 'a', url: 'http://y' }])).toThrow(/'notifications.endpoints\[1\].name' \('a'\) is used by another endpoint/);
    expect(() => add([{ name: 'a', url: 'http://x', threshold: 0 }])).toThrow(/threshold/);
    expect(() => add([{ name: 'a', url: 'http://x', timeout: Duration.millis(10) }])).toThrow(/'notifications.endpoints\[0\].timeout' \(0.01 s\) must be a whole number of seconds of at least 1/);
    expect(() => add([{ name: 'a', url: 'http://x', backoff: Duration.millis(1500) }])).toThrow(/'notifications.endpoints\[0\].backoff' \(1.5 s\) must be a whole number of seconds/);
    expect(() => add([{ name: 'a', url: 'http://x', headers: { 'Bad Header': 'v' } }])).toThrow(/is not an HTTP header name/);
    // A literal credential in plain headers is refused by the core's credential check.
    expect(() => add([{ name: 'a', url: 'http://x', headers: { Authorization: 'Bearer 0123456789abcdef' } }])).toThrow(/looks like a credential.*Authorization/);
  });

  test('a header given twice, in any case, is refused: names ignore case, and the registry would send both', () => {
    const { chart, registry } = registryOf(V3_1);
    const secret = kplus.Secret.fromSecretName(chart, 'Hook', 'scanner-token');
    const add = (e: any) => registry.addPart(new Notifications({ endpoints: [{ name: 'a', url: 'http://x', ...e }] }));
    expect(() => add({ headers: { 'X-Token': 'a' }, secretHeaders: { 'x-token': { secret, key: 't' } } }))
      .toThrow(/'notifications.endpoints\[0\].secretHeaders' header 'x-token' is also given as 'X-Token' \(header names ignore case\): give it once/);
    expect(() => add({ headers: { 'X-Source': 'a', 'x-source': 'b' } })).toThrow(/'notifications.endpoints\[0\].headers' header 'x-source' is also given as 'X-Source'/);
    expect(() => add({ secretHeaders: { Authorization: { secret, key: 't' }, AUTHORIZATION: { secret, key: 'u' } } })).toThrow(/'notifications.endpoints\[0\].secretHeaders' header 'Authorization' is also given as 'AUTHORIZATION'/);
  });
});
