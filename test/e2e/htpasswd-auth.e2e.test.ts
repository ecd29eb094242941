/**
 * htpasswd authentication against the real registry: users created by `HtpasswdAuth.fromUsers` log in
 * with skopeo (push, pull, list), a wrong password and no credentials get 401. Seed 001's example (htpasswd
 * from an external Secret, S3 storage) runs in examples.e2e.test.ts with the other example charts.
 */
import { Chart, Testing, Yaml } from 'cdk8s';
import {
  buildImage, cleanupAll, describeVersions, E2eVersion, e2eVersions, expectSameContent, httpRequest, listTags, pull, push, RegistryPod,
  requireEnvironment,
} from './harness';
import { HtpasswdAuth, RegistryDeployment } from '../../src';
import { validateChart } from '../util/validate-manifests';

beforeAll(() => requireEnvironment(['htpasswd']));
afterAll(() => cleanupAll());

const ADMIN_PASSWORD = 'e2e-Admin-7c1d0f5a9b';
const ROBOT_PASSWORD = 'e2e robot: pass with spaces & symbols';

/** The registry version of the describe block running. */
let current: E2eVersion;

describeVersions(e2eVersions({ driver: 's3' }), (v) => {
  beforeAll(() => { current = v; });

  test('HtpasswdAuth.fromUsers: users log in and push/pull, wrong or missing credentials get 401', async () => {
    // GIVEN a 2.8 registry whose htpasswd Secret the chart creates from two users
    const chart = new Chart(Testing.app(), 'auth', { namespace: 'registry' });
    new RegistryDeployment(chart, 'Registry', {
      name: 'registry',
      version: current.version,
      auth: HtpasswdAuth.fromUsers({
        realm: 'E2E Realm',
        users: [{ username: 'admin', password: ADMIN_PASSWORD }, { username: 'ci-robot', password: ROBOT_PASSWORD }],
      }),
    });
    const objects = validateChart(chart);
    expect(Yaml.stringify(...objects)).not.toContain(ADMIN_PASSWORD);
    const pod = new RegistryPod(objects);
    await pod.start();

    // THEN without credentials: 401 with the configured Basic challenge
    const anonymous = await httpRequest(`${pod.url}/v2/`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Basic realm="E2E Realm"');
    // a wrong password and an unknown user: 401
    expect((await httpRequest(`${pod.url}/v2/`, { username: 'admin', password: 'wrong' })).status).toBe(401);
    expect((await httpRequest(`${pod.url}/v2/`, { username: 'nobody', password: ADMIN_PASSWORD })).status).toBe(401);
    // the right ones: 200
    expect((await httpRequest(`${pod.url}/v2/`, { username: 'admin', password: ADMIN_PASSWORD })).status).toBe(200);
    expect((await httpRequest(`${pod.url}/v2/`, { username: 'ci-robot', password: ROBOT_PASSWORD })).status).toBe(200);

    // WHEN each user pushes with skopeo
    const image = buildImage({ sizeBytes: 2 * 1024 * 1024, tag: 'v1' });
    await push(image, `${pod.address}/team/app:v1`, { creds: `admin:${ADMIN_PASSWORD}` });
    await push(image, `${pod.address}/team/app:robot`, { creds: `ci-robot:${ROBOT_PASSWORD}` });

    // THEN both can pull and list; skopeo without or with wrong credentials is refused
    expectSameContent(image, await pull(`${pod.address}/team/app:v1`, { creds: `ci-robot:${ROBOT_PASSWORD}` }));
    expect(await listTags(`${pod.address}/team/app`, { creds: `admin:${ADMIN_PASSWORD}` })).toEqual(['robot', 'v1']);
    await expect(pull(`${pod.address}/team/app:v1`)).rejects.toThrow(/unauthorized|authentication required|401/i);
    await expect(push(image, `${pod.address}/team/app:evil`, { creds: 'admin:wrong' })).rejects.toThrow(/unauthorized|authentication required|401/i);
    expect(await listTags(`${pod.address}/team/app`, { creds: `admin:${ADMIN_PASSWORD}` })).toEqual(['robot', 'v1']);
  });
});
