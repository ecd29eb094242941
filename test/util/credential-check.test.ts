import { envCredentials, findCredentialLiterals, isCredentialKey, urlCredentials } from '../../src/util/credential-check';

describe('the one credential rule', () => {
  const none = () => false;

  test('names that name a credential: config keys, header names, query parameters', () => {
    for (const name of ['password', 'X-Auth-Key', 'X-Api-Key', 'licensekey', 'Authorization', 'clientsecret', 'access_token', 'Private-Token', 'accountkey']) {
      expect([name, isCredentialKey(name)]).toEqual([name, true]);
    }
    for (const name of ['remoteurl', 'realm', 'keypairid', 'baseurl', 'X-Source', 'ttl', 'rootcertbundle']) {
      expect([name, isCredentialKey(name)]).toEqual([name, false]);
    }
  });

  test('config fragments: under a credential key, or shaped like one anywhere; file paths and placeholders pass', () => {
    expect(findCredentialLiterals({ reporting: { newrelic: { licensekey: 'abc', name: 'reg' } } }, none)).toEqual(['reporting.newrelic.licensekey']);
    expect(findCredentialLiterals({ h: { 'X-Auth-Key': ['v'] } }, none)).toEqual(['h.X-Auth-Key[0]']);
    expect(findCredentialLiterals({ note: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig' }, none)).toEqual(['note']);
    expect(findCredentialLiterals({ url: 'https://u:p@h.example.com/' }, none)).toEqual(['url (user and password)']);
    expect(findCredentialLiterals({ url: 'https://h.example.com/e?sig=abc&team=a' }, none)).toEqual(["url (query parameter 'sig')"]);
    expect(findCredentialLiterals({ privatekey: '/etc/cloudfront/pk.pem' }, none)).toEqual([]);
    expect(findCredentialLiterals({ password: '__placeholder__' }, (v) => v === '__placeholder__')).toEqual([]);
    expect(findCredentialLiterals({ password: '' }, none)).toEqual([]);
    expect(findCredentialLiterals({ url: 'https://h.example.com/e?team=a&token=' }, none)).toEqual([]);
  });

  test('env literals: the name\'s last words, OTLP headers, values shaped like a credential; references pass', () => {
    expect(envCredentials('REGISTRY_PROXY_PASSWORD', 'x')).toEqual(['REGISTRY_PROXY_PASSWORD']);
    expect(envCredentials('NEW_RELIC_LICENSE_KEY', 'x')).toEqual(['NEW_RELIC_LICENSE_KEY']);
    expect(envCredentials('REGISTRY_AUTH_TOKEN_REALM', 'https://auth.example.com/token')).toEqual([]);
    expect(envCredentials('REGISTRY_HTTP_TLS_KEY', '/etc/tls/tls.key')).toEqual([]);
    expect(envCredentials('REGISTRY_PROXY_PASSWORD', '$(FROM_SECRET)')).toEqual([]);
    expect(envCredentials('OTEL_EXPORTER_OTLP_HEADERS', 'Authorization=$(TRACING_HEADER_0),x-team=a')).toEqual([]);
    expect(envCredentials('OTEL_EXPORTER_OTLP_TRACES_HEADERS', 'x-team=a,api-key=k')).toEqual(["OTEL_EXPORTER_OTLP_TRACES_HEADERS header 'api-key'"]);
    expect(envCredentials('OTEL_EXPORTER_OTLP_ENDPOINT', 'https://u:p@c:4318')).toEqual(['OTEL_EXPORTER_OTLP_ENDPOINT (user and password)']);
    expect(envCredentials('SOME_NOTE', 'Bearer abcdefgh12345')).toEqual(['SOME_NOTE']);
    expect(envCredentials('REGISTRY_PROXY_PASSWORD', undefined)).toEqual([]);
  });

  test('URLs', () => {
    expect(urlCredentials('https://hook@x.example.com/')).toEqual(['user info']);
    expect(urlCredentials('https://x.example.com/?access_token=a&code=b')).toEqual(["query parameter 'access_token'", "query parameter 'code'"]);
    expect(urlCredentials('not a url')).toEqual([]);
  });
});

describe('the rule meets the built-ins (storage, auth and TLS contribute config like parts)', () => {
  const none = () => false;
  test('an auth method named like a credential (htpasswd, token) and the kind of a credential (type) are not credentials', () => {
    expect(findCredentialLiterals({ auth: { htpasswd: { realm: 'Registry Realm', path: '/etc/registry/auth/htpasswd' } } }, none)).toEqual([]);
    expect(findCredentialLiterals({ auth: { token: { realm: 'https://auth.example.com/token', service: 'registry', issuer: 'auth' } } }, none)).toEqual([]);
    expect(findCredentialLiterals({ storage: { azure: { credentials: { type: 'shared_key' } } } }, none)).toEqual([]);
  });
  test('what they hold is still checked by its own key, and the same words elsewhere still count', () => {
    expect(findCredentialLiterals({ auth: { htpasswd: { password: 'hunter2' } } }, none)).toEqual(['auth.htpasswd.password']);
    expect(findCredentialLiterals({ storage: { azure: { credentials: { clientsecret: 'abc' } } } }, none)).toEqual(['storage.azure.credentials.clientsecret']);
    expect(findCredentialLiterals({ proxy: { token: 'abc' } }, none)).toEqual(['proxy.token']);
    expect(findCredentialLiterals({ middleware: { htpasswd: { realm: 'x' } } }, none)).toEqual(['middleware.htpasswd.realm']);
  });
});
