/**
 * Token authentication against the real registry on 2.8, 3.0 and 3.1, with a loopback token server
 * (harness `TokenServer`) speaking the Docker token protocol to the registry and skopeo: the README's example,
 * who may push and pull, forged tokens refused, the key header kinds each version accepts, 3.x `jwks` and
 * `signingAlgorithms`, the `autoRedirect` challenge, and a pull-through cache logging in to a token-auth upstream
 * (which registry 2.8 does only for token-auth upstreams).
 */
import { App, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  buildImage, cleanupAll, describeVersions, e2eVersions, expectSameContent, httpRequest, listTags, pull, push, RegistryPod,
  requireEnvironment, textOutsideSecrets, TokenKeyHeader, TokenServer, TokenSigner,
} from './harness';
import {
  PullThroughCache, RegistryAuth, RegistryDeployment, RegistryFeature, RegistryVersion, StorageBackend, TokenAuth, TokenAuthFile, TokenAuthProps,
  TokenSigningAlgorithm,
} from '../../src';
import { validateChart } from '../util/validate-manifests';

const WRITER = 'writer-pw-4e7a1c';
const READER = 'reader pw: with spaces';
const MIRROR = 'mi:rror "pw" & more';
const WRITER_CREDS = `writer:${WRITER}`;
const READER_CREDS = `reader:${READER}`;

let tokens: TokenServer;
beforeAll(async () => {
  requireEnvironment(['openssl']);
  // The README example's service and issuer; only the realm is the loopback server's.
  tokens = await TokenServer.start({
    issuer: 'Acme auth server',
    service: 'registry.example.com',
    users: {
      writer: { password: WRITER, actions: ['pull', 'push'] },
      reader: { password: READER, actions: ['pull'] },
      mirror: { password: MIRROR, actions: ['pull'] },
    },
  });
});
afterAll(() => cleanupAll());

/** A chart with one TokenAuth registry pointed at the loopback token server. */
function tokenChart(version: RegistryVersion, auth: (chart: Chart) => Partial<TokenAuthProps>) {
  const chart = new Chart(Testing.app(), 'registry', { namespace: 'container-registry' });
  const registry = new RegistryDeployment(chart, 'Registry', {
    name: 'registry',
    version,
    auth: new TokenAuth({ realm: tokens.realm, allowInsecureRealm: true, service: tokens.service, issuer: tokens.issuer, ...auth(chart) }),
  });
  return { chart, registry };
}

/** `GET /v2/NAME/tags/list` with a raw bearer token: the registry's own verdict on a token. */
async function tagsWith(pod: RegistryPod, repository: string, token: string) {
  return httpRequest(`${pod.url}/v2/${repository}/tags/list`, { headers: { Authorization: `Bearer ${token}` } });
}

const pullTeamApp = [{ type: 'repository', name: 'team/app', actions: ['pull'] }];

describeVersions(e2eVersions(), ({ version, runs }) => {
  // The token keys 2.8 lacks (signingAlgorithms, autoRedirectPath) follow the library's table; the kid kind and the
  // realm's scheme behind a proxy are behaviours of the 3.x token code, not config features.
  const jwks = version.supports(RegistryFeature.TOKEN_JWKS);
  const v3 = version.major >= 3;

  test('the README example: rootCertBundle from a ConfigMap, x5c tokens; writer pushes, reader only pulls, forged tokens refused', async () => {
    // GIVEN the README's token example (signingAlgorithms on 3.x only), the realm being the loopback token server
    tokens.keyHeader = TokenKeyHeader.X5C;
    const chart = new Chart(new App(), 'registry', { namespace: 'container-registry' });
    new RegistryDeployment(chart, 'Registry', {
      name: 'registry',
      version,
      auth: new TokenAuth({
        realm: tokens.realm,
        allowInsecureRealm: true,
        service: 'registry.example.com',
        issuer: 'Acme auth server',
        rootCertBundle: TokenAuthFile.fromConfigMap(kplus.ConfigMap.fromConfigMapName(chart, 'Signer', 'token-signer'), 'ca.pem'),
        signingAlgorithms: jwks ? [TokenSigningAlgorithm.RS256] : undefined,
      }),
    });
    const objects = validateChart(chart);
    // the bundle holds only the CA: x5c tokens carry the signing certificate, verified up to it
    const pod = new RegistryPod(objects, { externalConfigMaps: { 'token-signer': { 'ca.pem': tokens.signer.caCertificate } } });
    await pod.start();

    // THEN an anonymous request gets the Bearer challenge naming the realm and the service
    const anonymous = await httpRequest(`${pod.url}/v2/`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe(`Bearer realm="${tokens.realm}",service="registry.example.com"`);

    // WHEN writer pushes; THEN writer and reader pull it intact
    const image = buildImage({ sizeBytes: 512 * 1024, seed: `token-${version}` });
    await pod.withLogs(() => push(image, `${pod.address}/team/app:v1`, { creds: WRITER_CREDS }));
    expectSameContent(image, await pod.withLogs(() => pull(`${pod.address}/team/app:v1`, { creds: WRITER_CREDS })));
    expectSameContent(image, await pod.withLogs(() => pull(`${pod.address}/team/app:v1`, { creds: READER_CREDS })));

    // AND reader's push is refused: its token grants pull only
    const before = tokens.requests.length;
    await expect(push(buildImage({ sizeBytes: 1024 }), `${pod.address}/team/app:evil`, { creds: READER_CREDS }))
      .rejects.toThrow(/denied|unauthorized|authentication required|insufficient/i);
    const asked = tokens.requests.slice(before).filter((r) => r.user === 'reader' && r.scopes.some((s) => s.includes('push')));
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((r) => r.status === 200 && r.granted!.every((g) => !g.actions.includes('push')))).toBe(true);
    // anonymous and a wrong password cannot pull
    await expect(pull(`${pod.address}/team/app:v1`)).rejects.toThrow(/denied|unauthorized|authentication required/i);
    await expect(pull(`${pod.address}/team/app:v1`, { creds: 'reader:wrong' })).rejects.toThrow(/unauthorized|invalid username|401/i);
    expect(await listTags(`${pod.address}/team/app`, { creds: READER_CREDS })).toEqual(['v1']);

    // AND the registry itself judges raw tokens: the server's own is accepted, forged ones are refused
    expect((await tagsWith(pod, 'team/app', tokens.token('reader', pullTeamApp))).status).toBe(200);
    const forged = [
      tokens.token('reader', pullTeamApp, {}, TokenSigner.create('other')), // another key, with a CA of its own
      tokens.token('reader', pullTeamApp, { iss: 'Someone else' }),
      tokens.token('reader', pullTeamApp, { aud: 'other.example.com' }),
      tokens.token('reader', pullTeamApp, { exp: Math.floor(Date.now() / 1000) - 3600, nbf: 0, iat: 0 }), // expired beyond the 60 s leeway
    ];
    for (const token of forged) {
      const answer = await tagsWith(pod, 'team/app', token);
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toContain('error="invalid_token"');
    }
    // a token for another repository: insufficient scope
    const elsewhere = await tagsWith(pod, 'team/app', tokens.token('reader', [{ type: 'repository', name: 'team/other', actions: ['pull'] }]));
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.headers['www-authenticate']).toContain('error="insufficient_scope"');
    await pod.stop();
  });

  test(`kid tokens (${v3 ? 'RFC 7638 thumbprint' : 'libtrust fingerprint'}) against a rootCertBundle from a Secret holding the signing certificate`, async () => {
    // GIVEN the bundle is the signing key's own certificate, in an externally managed Secret
    const { chart } = tokenChart(version, (c) => ({
      rootCertBundle: TokenAuthFile.fromSecret(kplus.Secret.fromSecretName(c, 'Signer', 'token-signer'), 'signer.pem'),
    }));
    const pod = new RegistryPod(validateChart(chart), { externalSecrets: { 'token-signer': { 'signer.pem': tokens.signer.signingCertificate } } });
    await pod.start();

    // WHEN the server names its key by the kid this version computes; THEN push and pull work
    tokens.keyHeader = v3 ? TokenKeyHeader.KID_THUMBPRINT : TokenKeyHeader.KID_LIBTRUST;
    const image = buildImage({ sizeBytes: 256 * 1024, seed: `kid-${version}` });
    await pod.withLogs(() => push(image, `${pod.address}/team/app:kid`, { creds: WRITER_CREDS }));
    expectSameContent(image, await pod.withLogs(() => pull(`${pod.address}/team/app:kid`, { creds: READER_CREDS })));

    // AND the other version's kid is not this one's; an x5c chain up to the bundle's certificate works too
    tokens.keyHeader = v3 ? TokenKeyHeader.KID_LIBTRUST : TokenKeyHeader.KID_THUMBPRINT;
    expect((await tagsWith(pod, 'team/app', tokens.token('reader', pullTeamApp))).status).toBe(401);
    tokens.keyHeader = TokenKeyHeader.X5C;
    expect((await tagsWith(pod, 'team/app', tokens.token('reader', pullTeamApp))).status).toBe(200);
    await pod.stop();
  });

  test(`autoRedirect: the challenge's realm is https://<host>${jwks ? '<autoRedirectPath>' : '/auth/token'}`, async () => {
    const { chart } = tokenChart(version, (c) => ({
      realm: 'https://placeholder.invalid/token',
      allowInsecureRealm: false,
      autoRedirect: true,
      autoRedirectPath: jwks ? '/auth/registry-token' : undefined,
      rootCertBundle: TokenAuthFile.fromConfigMap(kplus.ConfigMap.fromConfigMapName(c, 'Signer', 'token-signer'), 'ca.pem'),
    }));
    const pod = new RegistryPod(validateChart(chart), { externalConfigMaps: { 'token-signer': { 'ca.pem': tokens.signer.caCertificate } } });
    await pod.start();
    const path = jwks ? '/auth/registry-token' : '/auth/token';
    const answer = await httpRequest(`${pod.url}/v2/`, { headers: { Host: 'registry.example.com' } });
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe(`Bearer realm="https://registry.example.com${path}",service="registry.example.com"`);
    // 3.x takes the scheme from X-Forwarded-Proto (a TLS-terminating proxy in front); 2.8 always says https
    const forwarded = await httpRequest(`${pod.url}/v2/`, { headers: { 'Host': 'registry.example.com', 'X-Forwarded-Proto': 'http' } });
    expect(forwarded.headers['www-authenticate']).toContain(`realm="${v3 ? 'http' : 'https'}://registry.example.com${path}"`);
    await pod.stop();
  });

  test('a pull-through cache logs in to a token-auth upstream with a username and password from a Secret', async () => {
    // GIVEN an upstream with TokenAuth holding an image only writer and mirror (pull) may read, reached through
    // the token server's port (the registry and its realm on one host, as an ingress routing /token puts them)
    tokens.keyHeader = TokenKeyHeader.X5C;
    const { chart: upChart } = tokenChart(version, (c) => ({
      rootCertBundle: TokenAuthFile.fromConfigMap(kplus.ConfigMap.fromConfigMapName(c, 'Signer', 'token-signer'), 'ca.pem'),
    }));
    const upstream = new RegistryPod(validateChart(upChart), { externalConfigMaps: { 'token-signer': { 'ca.pem': tokens.signer.caCertificate } } });
    await upstream.start();
    tokens.forwardTo(upstream.address);
    const image = buildImage({ sizeBytes: 256 * 1024, seed: `proxy-${version}` });
    await push(image, `${upstream.address}/library/app:v1`, { creds: WRITER_CREDS });

    // AND proxies of it (this version): with mirror's login, with a wrong password, without a login
    const proxyOf = (login: string | undefined, remoteUrl = tokens.url) => {
      const chart = new Chart(Testing.app(), 'proxy');
      const hub = kplus.Secret.fromSecretName(chart, 'Hub', 'upstream-login');
      const proxy = new RegistryDeployment(chart, 'Proxy', { version, storage: StorageBackend.emptyDir(), auth: RegistryAuth.none() });
      proxy.addPart(new PullThroughCache({
        remoteUrl,
        username: login !== undefined ? { secret: hub, key: 'username' } : undefined,
        password: login !== undefined ? { secret: hub, key: 'password' } : undefined,
        allowInsecureRemote: true, // the loopback upstream speaks http
      }));
      const objects = validateChart(chart);
      expect(textOutsideSecrets(objects)).not.toContain('rror');
      return new RegistryPod(objects, { externalSecrets: login !== undefined ? { 'upstream-login': { username: 'mirror', password: login } } : {} });
    };
    const mirrorPulled = (since: number) => tokens.requests.slice(since).some((r) => r.user === 'mirror' && r.status === 200
      && r.granted!.some((g) => g.name === 'library/app' && g.actions.includes('pull')));

    // THEN with the login, the proxy serves the image: the token server saw mirror ask to pull library/app
    let before = tokens.requests.length;
    const proxy = proxyOf(MIRROR);
    await proxy.start();
    expectSameContent(image, await proxy.withLogs(() => upstream.withLogs(() => pull(`${proxy.address}/library/app:v1`))));
    expect(mirrorPulled(before)).toBe(true);
    await proxy.stop();

    // AND with a wrong password or without a login it does not
    for (const login of ['wrong', undefined]) {
      const refused = proxyOf(login);
      await refused.start();
      await expect(pull(`${refused.address}/library/app:v1`)).rejects.toThrow(/manifest unknown|unauthorized|denied/i);
      await refused.stop();
    }
    expect(tokens.requests.some((r) => r.user === 'mirror' && r.status === 401)).toBe(true);

    // AND with the upstream's own address (the realm on another host:port), 3.1 keeps the login to itself
    // (proxy/proxyauth.go realmAllowed: same host, or same registrable domain, never an IP), 2.8 and 3.0 send it
    before = tokens.requests.length;
    const direct = proxyOf(MIRROR, upstream.url);
    await direct.start();
    if (runs === '3.1.1') {
      await expect(pull(`${direct.address}/library/app:v1`)).rejects.toThrow(/manifest unknown/i);
      expect(mirrorPulled(before)).toBe(false);
    } else {
      expectSameContent(image, await direct.withLogs(() => pull(`${direct.address}/library/app:v1`)));
      expect(mirrorPulled(before)).toBe(true);
    }
    await direct.stop();
    tokens.forwardTo(undefined);
    await upstream.stop();
  });
});

describeVersions(e2eVersions({ filter: (v) => v.version.supports(RegistryFeature.TOKEN_JWKS) }), ({ version }) => {
  test('jwks only (no rootCertBundle): kid tokens work with signingAlgorithms [RS256] and are refused with [ES256]', async () => {
    tokens.keyHeader = TokenKeyHeader.KID_THUMBPRINT;
    const withAlgorithms = (algorithms: TokenSigningAlgorithm[]) => {
      const { chart } = tokenChart(version, (c) => ({
        jwks: TokenAuthFile.fromConfigMap(kplus.ConfigMap.fromConfigMapName(c, 'Keys', 'token-jwks'), 'jwks.json'),
        signingAlgorithms: algorithms,
      }));
      return new RegistryPod(validateChart(chart), { externalConfigMaps: { 'token-jwks': { 'jwks.json': tokens.signer.jwks } } });
    };

    // GIVEN the JWKS alone, RS256 accepted: writer pushes, reader pulls
    const pod = withAlgorithms([TokenSigningAlgorithm.RS256]);
    await pod.start();
    const image = buildImage({ sizeBytes: 256 * 1024, seed: `jwks-${version}` });
    await pod.withLogs(() => push(image, `${pod.address}/team/app:jwks`, { creds: WRITER_CREDS }));
    expectSameContent(image, await pod.withLogs(() => pull(`${pod.address}/team/app:jwks`, { creds: READER_CREDS })));
    // an x5c token has nothing to chain to without a bundle
    tokens.keyHeader = TokenKeyHeader.X5C;
    expect((await tagsWith(pod, 'team/app', tokens.token('reader', pullTeamApp))).status).toBe(401);
    tokens.keyHeader = TokenKeyHeader.KID_THUMBPRINT;
    await pod.stop();

    // WHEN only ES256 is accepted, THEN the same RS256 tokens are refused (the list is rendered and read)
    const es256 = withAlgorithms([TokenSigningAlgorithm.ES256]);
    await es256.start();
    const refused = await tagsWith(es256, 'team/app', tokens.token('reader', pullTeamApp));
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toContain('error="invalid_token"');
    await expect(push(image, `${es256.address}/team/app:jwks`, { creds: WRITER_CREDS })).rejects.toThrow(/denied|unauthorized|authentication required/i);
    await es256.stop();
  });
});
