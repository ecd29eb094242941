import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { registryOf, synthConfig, V2_8, V3_0, V3_1 } from './helpers';
import { NotificationAction, Notifications } from '../../src';
import { INERT_MEDIA_TYPE } from '../../src/operations/notifications';

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
    expect(() => add([{ name: 'a', url: 'https://u:p@x' }])).toThrow(/'notifications.endpoints\[0\].url' puts what looks like a credential in config.yml \(the ConfigMap\) as plain text \(the URL's user and password\).*Store it in a Secret and send it as a header with secretHeaders/);
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
    expect(() => add({ headers: { 'X-Team': 'a' }, secretHeaders: { 'x-team': { secret, key: 't' } } }))
      .toThrow(/'notifications.endpoints\[0\].secretHeaders' header 'x-team' is also given as 'X-Team' \(header names ignore case\): give it once/);
    expect(() => add({ headers: { 'X-Source': 'a', 'x-source': 'b' } })).toThrow(/'notifications.endpoints\[0\].headers' header 'x-source' is also given as 'X-Source'/);
    expect(() => add({ secretHeaders: { Authorization: { secret, key: 't' }, AUTHORIZATION: { secret, key: 'u' } } })).toThrow(/'notifications.endpoints\[0\].secretHeaders' header 'Authorization' is also given as 'AUTHORIZATION'/);
  });

  test('credentials in plain headers or the URL are refused by the one credential rule, with the same message', () => {
    const add = (e: any) => registryOf(V3_1).registry.addPart(new Notifications({ endpoints: [{ name: 'a', url: 'http://hook.ns.svc/', ...e }] }));
    const message = (found: string) => new RegExp(`test/Registry: 'notifications.endpoints\\[0\\].headers' puts what looks like a credential in config.yml \\(the ConfigMap\\) as plain text \\(${found}\\): `
      + 'anyone who can read the namespace can read it there. Store it in a Secret and send it with secretHeaders');
    // a header the library does not know as secret, by its name
    expect(() => add({ headers: { 'X-Auth-Key': '0123456789abcdef' } })).toThrow(message('X-Auth-Key'));
    expect(() => add({ headers: { 'X-Api-Key': 'k' } })).toThrow(message('X-Api-Key'));
    // a JSON web token in any header
    expect(() => add({ headers: { 'X-Forwarded-Identity': 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzY2FubmVyIn0.c2lnbmF0dXJl' } })).toThrow(message('X-Forwarded-Identity'));
    // a token in the URL's query string
    expect(() => add({ url: 'https://hook.example.com/events?team=a&access_token=abc123' }))
      .toThrow(/'notifications.endpoints\[0\].url' puts what looks like a credential in config.yml \(the ConfigMap\) as plain text \(the URL's query parameter 'access_token'\).*secretHeaders/);
    expect(() => add({ url: 'https://hook.example.com/events?key=abc123' })).toThrow(/query parameter 'key'/);
    // plain values pass
    expect(() => add({ headers: { 'X-Source': 'registry', 'X-Team': 'platform' } })).not.toThrow();
  });

  test('a header value with a line break is refused: the registry\'s HTTP client would refuse every delivery', () => {
    const add = (value: any) => registryOf(V3_1).registry.addPart(new Notifications({ endpoints: [{ name: 'a', url: 'http://x/', headers: { 'X-Source': value } }] }));
    expect(() => add('registry\nX-Other: 1')).toThrow(/'notifications.endpoints\[0\].headers' value of 'X-Source' \("registry\\nX-Other: 1"\) contains a line break or control character: .*no event would be delivered. Give the value on one line/);
    expect(() => add('a\rb')).toThrow(/line break/);
    expect(() => add(42)).toThrow(/value of 'X-Source' must be a string, not 42/);
    expect(() => add('tab\tis fine')).not.toThrow();
  });

  test('ignored actions must be the registry\'s own words: it compares exactly', () => {
    const add = (actions: any[]) => registryOf(V3_1).registry.addPart(new Notifications({ endpoints: [{ name: 'a', url: 'http://x/', ignoredActions: actions }] }));
    expect(() => add(['PULL'])).toThrow(/'notifications.endpoints\[0\].ignoredActions\[0\]' \("PULL"\) must be one of "push", "pull", "mount", "delete"/);
    expect(() => add([NotificationAction.PUSH, 'fetch'])).toThrow(/'notifications.endpoints\[0\].ignoredActions\[1\]' \("fetch"\) must be one of/);
  });

  test('ignored media types that no event carries are refused, saying what events carry', () => {
    const add = (mediaTypes: any[]) => registryOf(V3_1).registry.addPart(new Notifications({ endpoints: [{ name: 'a', url: 'http://x/', ignoredMediaTypes: mediaTypes }] }));
    expect(() => add(['application/vnd.oci.image.layer.v1.tar+gzip']))
      .toThrow(/'notifications.endpoints\[0\].ignoredMediaTypes\[0\]' \("application\/vnd.oci.image.layer.v1.tar\+gzip"\) never matches: it is a blob's media type, and blob events \(layers and image configs\) carry application\/octet-stream.*give application\/octet-stream/);
    expect(() => add(['application/vnd.docker.image.rootfs.diff.tar.gzip'])).toThrow(/blob's media type/);
    expect(() => add(['application/vnd.oci.image.config.v1+json'])).toThrow(/blob's media type/);
    expect(() => add(['Application/Octet-Stream'])).toThrow(/never matches: no event carries it, and the registry compares media types exactly \(lower case type\/subtype, no parameters or wildcards\)/);
    expect(() => add(['application/*'])).toThrow(/never matches/);
    expect(() => add(['application/json; charset=utf-8'])).toThrow(/never matches/);
    expect(() => add(['application/octet-stream', 'application/vnd.oci.image.manifest.v1+json'])).not.toThrow();
  });

  test('ignoredActions alone work on every version: before 3.1 an inert ignored media type makes the registry apply them', () => {
    for (const [version, inert] of [[V2_8, true], [V3_0, true], [V3_1, false]] as const) {
      const { chart, registry } = registryOf(version);
      registry.addPart(new Notifications({ endpoints: [{ name: 'a', url: 'http://x/', ignoredActions: [NotificationAction.PULL] }] }));
      expect(synthConfig(chart).config.notifications.endpoints[0].ignore)
        .toEqual(inert ? { mediatypes: [INERT_MEDIA_TYPE], actions: ['pull'] } : { actions: ['pull'] });
    }
    // with a media type of the user's, nothing is added
    const { chart, registry } = registryOf(V2_8);
    registry.addPart(new Notifications({ endpoints: [{ name: 'a', url: 'http://x/', ignoredActions: [NotificationAction.PULL], ignoredMediaTypes: ['application/octet-stream'] }] }));
    expect(synthConfig(chart).config.notifications.endpoints[0].ignore).toEqual({ mediatypes: ['application/octet-stream'], actions: ['pull'] });
  });

  test('a second Notifications part is refused: put both endpoints in one', () => {
    const { registry } = registryOf(V3_1);
    registry.addPart(new Notifications({ endpoints: [{ name: 'a', url: 'http://x/' }] }));
    expect(() => registry.addPart(new Notifications({ endpoints: [{ name: 'b', url: 'http://y/' }] })))
      .toThrow(/test\/Registry: 'notifications' is already given by another Notifications part: a registry has one notifications section. Put every webhook in the endpoints of one Notifications part/);
  });
});
