/**
 * Scenario 2: basic auth with an htpasswd file from a Secret the user manages outside the chart,
 * mounted through a test-only RegistryAuth (the library's HtpasswdAuth has its own scenario).
 */
import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  buildImage, cleanupAll, describeVersions, E2eVersion, e2eVersions, expectSameContent, httpRequest, listTags, pull, push, RegistryPod,
  requireEnvironment, run,
} from './harness';
import { AuthBindContext, AuthBinding, RegistryAuth, RegistryDeployment, StorageBackend } from '../../src';
import { validateChart } from '../util/validate-manifests';

const REALM = 'e2e registry';

/** htpasswd auth read from an existing Secret, mounted at /auth: what a user could write today. */
class TestHtpasswdAuth extends RegistryAuth {
  public constructor(private readonly secretName: string) {
    super();
  }

  public bind(scope: Construct, _context: AuthBindContext): AuthBinding {
    const secret = kplus.Secret.fromSecretName(scope, 'HtpasswdSecret', this.secretName);
    return {
      method: 'htpasswd',
      parameters: { realm: REALM, path: '/auth/htpasswd' },
      mounts: [{ volume: kplus.Volume.fromSecret(scope, 'HtpasswdVolume', secret, { name: 'htpasswd' }), path: '/auth' }],
    };
  }
}

let pod: RegistryPod;

beforeAll(() => requireEnvironment(['htpasswd']));
afterAll(() => cleanupAll());

/** The registry version of the describe block running. */
let current: E2eVersion;

describeVersions(e2eVersions(), (v) => {
  beforeAll(async () => {
    current = v;
    // GIVEN an htpasswd Secret the cluster holds (bcrypt, cost 5) and a registry that uses it
    const htpasswd = run('htpasswd', ['-Bbn', '-C', '5', 'alice', 's3cret-pass']);
    const chart = Testing.chart();
    new RegistryDeployment(chart, 'Registry', {
      version: current.version,
      auth: new TestHtpasswdAuth('registry-htpasswd'),
      storage: StorageBackend.emptyDir(),
    });
    const objects = validateChart(chart);
    expect(JSON.stringify(objects)).not.toContain('s3cret-pass');
    pod = new RegistryPod(objects, { externalSecrets: { 'registry-htpasswd': { htpasswd } } });
    await pod.start();
  });
  afterAll(() => pod.stop());

  test('unauthenticated GET /v2/ is 401 with a Basic challenge', async () => {
    const res = await httpRequest(`${pod.url}/v2/`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(`Basic realm="${REALM}"`);
  });

  test('a wrong password is 401, the right one is 200', async () => {
    expect((await httpRequest(`${pod.url}/v2/`, { username: 'alice', password: 'wrong' })).status).toBe(401);
    expect((await httpRequest(`${pod.url}/v2/`, { username: 'mallory', password: 's3cret-pass' })).status).toBe(401);
    expect((await httpRequest(`${pod.url}/v2/`, { username: 'alice', password: 's3cret-pass' })).status).toBe(200);
  });

  test('pushing without or with wrong credentials fails; with the right ones it pushes and pulls', async () => {
    const image = buildImage({ sizeBytes: 256 * 1024 });
    await expect(push(image, `${pod.address}/private/app:v1`)).rejects.toThrow(/unauthorized|authentication required/i);
    await expect(push(image, `${pod.address}/private/app:v1`, { creds: 'alice:wrong' })).rejects.toThrow(/unauthorized|authentication required/i);

    await pod.withLogs(() => push(image, `${pod.address}/private/app:v1`, { creds: 'alice:s3cret-pass' }));
    expectSameContent(image, await pull(`${pod.address}/private/app:v1`, { creds: 'alice:s3cret-pass' }));
    expect(await listTags(`${pod.address}/private/app`, { creds: 'alice:s3cret-pass' })).toEqual(['v1']);
    await expect(pull(`${pod.address}/private/app:v1`)).rejects.toThrow(/unauthorized|authentication required/i);
  });
});
