import * as bcrypt from 'bcryptjs';
import { App, Chart, Testing, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { HtpasswdAuth, HtpasswdUser, RegistryAuth, RegistryDeployment, RegistryDeploymentProps, RegistryVersion, TokenAuth } from '../../src';
import { validateChart } from '../util/validate-manifests';

type Obj = { [key: string]: any };

const CANARY = 'canary-Pa55word-7f3e9b1c';

function parseConfig(text: string): Obj {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('yaml').parse(text);
}

function synthUsers(users: HtpasswdUser[], extra: { realm?: string; cost?: number; namespace?: string; version?: RegistryVersion } = {}) {
  const chart = new Chart(Testing.app(), 'test', { namespace: extra.namespace });
  new RegistryDeployment(chart, 'Registry', {
    auth: HtpasswdAuth.fromUsers({ users, realm: extra.realm, cost: extra.cost }),
    version: extra.version,
  });
  return inspect(chart);
}

function inspect(chart: Chart) {
  const objects = validateChart(chart);
  const deployment = objects.find((o) => o.kind === 'Deployment')!;
  const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
  const config = parseConfig(configMap.data[Object.keys(configMap.data)[0]]);
  const secret = objects.find((o) => o.kind === 'Secret');
  const pod = deployment.spec.template.spec;
  return { objects, deployment, config, secret, pod, container: pod.containers[0] as Obj, yaml: Yaml.stringify(...objects) };
}

function entries(secret: Obj): Map<string, string> {
  const text: string = secret.stringData?.htpasswd ?? Buffer.from(secret.data.htpasswd, 'base64').toString('utf-8');
  expect(text.endsWith('\n')).toBe(true);
  return new Map(text.trimEnd().split('\n').map((line) => {
    const i = line.indexOf(':');
    return [line.substring(0, i), line.substring(i + 1)] as [string, string];
  }));
}

describe('HtpasswdAuth.fromUsers', () => {
  test('writes bcrypt hashes into a Secret mounted read-only, config points at it, snapshot', () => {
    const { objects, config, secret, container, pod, deployment } = synthUsers([
      { username: 'admin', password: CANARY },
      { username: 'ci-robot', password: 'another long random secret' },
    ]);
    expect(objects).toMatchSnapshot();
    expect(config.auth).toEqual({ htpasswd: { realm: 'Registry Realm', path: '/etc/registry/auth/htpasswd' } });
    const mount = container.volumeMounts.find((m: Obj) => m.mountPath === '/etc/registry/auth');
    expect(mount).toMatchObject({ readOnly: true });
    expect(mount.subPath).toBeUndefined(); // a subPath mount would never see a rotated Secret
    const volume = pod.volumes.find((v: Obj) => v.name === mount.name);
    expect(volume.secret.secretName).toBe(secret!.metadata.name);
    expect(volume.secret.items).toEqual([{ key: 'htpasswd', path: 'htpasswd' }]);
    expect(volume.secret.optional).not.toBe(true);
    const users = entries(secret!);
    expect([...users.keys()]).toEqual(['admin', 'ci-robot']);
    for (const hash of users.values()) expect(hash).toMatch(/^\$2[aby]\$05\$[./A-Za-z0-9]{53}$/);
    expect(bcrypt.compareSync(CANARY, users.get('admin')!)).toBe(true);
    expect(bcrypt.compareSync('another long random secret', users.get('ci-robot')!)).toBe(true);
    expect(bcrypt.compareSync('wrong', users.get('admin')!)).toBe(false);
    // No credential in env values.
    for (const env of container.env ?? []) expect(env.value ?? '').not.toContain(CANARY);
    expect(deployment.spec.template.metadata.annotations['checksum/htpasswd']).toMatch(/^[0-9a-f]{64}$/);
  });

  test('the canary password appears nowhere in the synthesized YAML, in any encoding', () => {
    const { yaml } = synthUsers([{ username: 'admin', password: CANARY }]);
    expect(yaml).not.toContain(CANARY);
    expect(yaml).not.toContain(Buffer.from(CANARY).toString('base64'));
    expect(yaml).not.toContain(Buffer.from(CANARY).toString('hex'));
  });

  test('two synths are byte-identical', () => {
    const render = () => {
      const app = new App({ outdir: '/dev/null' });
      const chart = new Chart(app, 'test', { namespace: 'container-registry' });
      new RegistryDeployment(chart, 'Registry', { auth: HtpasswdAuth.fromUsers({ users: [{ username: 'admin', password: CANARY }] }) });
      return Yaml.stringify(...chart.toJson());
    };
    expect(render()).toBe(render());
  });

  test('salts differ per user, password, realm, namespace and registry', () => {
    const salt = (hash: string) => hash.substring(7, 29);
    const hashOf = (users: HtpasswdUser[], extra: { realm?: string; namespace?: string } = {}, user = 'admin') =>
      entries(synthUsers(users, extra).secret!).get(user)!;
    const base = hashOf([{ username: 'admin', password: CANARY }]);
    const variants = [
      hashOf([{ username: 'admin', password: CANARY + 'x' }]),
      hashOf([{ username: 'admin', password: CANARY }], { realm: 'Other Realm' }),
      hashOf([{ username: 'admin', password: CANARY }], { namespace: 'other' }),
      hashOf([{ username: 'admin2', password: CANARY }], {}, 'admin2'),
    ];
    const salts = new Set([base, ...variants].map(salt));
    expect(salts.size).toBe(5);
    // Same password, two users in one file: different salts, so one guess cannot test both.
    const both = entries(synthUsers([{ username: 'a', password: CANARY }, { username: 'b', password: CANARY }]).secret!);
    expect(salt(both.get('a')!)).not.toBe(salt(both.get('b')!));
  });

  test('two registries in one chart get different hashes for the same user', () => {
    const chart = new Chart(Testing.app(), 'test');
    const users = [{ username: 'admin', password: CANARY }];
    new RegistryDeployment(chart, 'One', { auth: HtpasswdAuth.fromUsers({ users }) });
    new RegistryDeployment(chart, 'Two', { auth: HtpasswdAuth.fromUsers({ users }) });
    const secrets = validateChart(chart).filter((o) => o.kind === 'Secret');
    expect(secrets).toHaveLength(2);
    expect(entries(secrets[0]).get('admin')).not.toBe(entries(secrets[1]).get('admin'));
  });

  test('realm and cost are configurable; a user change changes the checksum annotation', () => {
    const a = synthUsers([{ username: 'admin', password: CANARY }], { realm: 'Acme Registry', cost: 7 });
    expect(a.config.auth.htpasswd.realm).toBe('Acme Registry');
    const hash = entries(a.secret!).get('admin')!;
    expect(bcrypt.getRounds(hash)).toBe(7);
    expect(bcrypt.compareSync(CANARY, hash)).toBe(true);
    const b = synthUsers([{ username: 'admin', password: CANARY + '2' }], { realm: 'Acme Registry', cost: 7 });
    const checksum = (d: Obj) => d.spec.template.metadata.annotations['checksum/htpasswd'];
    expect(checksum(a.deployment)).not.toBe(checksum(b.deployment));
    expect(a.yaml).not.toContain(CANARY);
  });

  test('2.8 renders the same auth section', () => {
    const { config, container } = synthUsers([{ username: 'admin', password: CANARY }], { version: RegistryVersion.V2_8 });
    expect(config.auth.htpasswd.path).toBe('/etc/registry/auth/htpasswd');
    expect(container.image).toBe('registry:2.8.3');
  });

  test.each([
    [[{ username: 'ad:min', password: 'x' }], /'auth\.users\[0\]\.username'.*without ':'/],
    [[{ username: '', password: 'x' }], /'auth\.users\[0\]\.username'/],
    [[{ username: 'ad min', password: 'x' }], /'auth\.users\[0\]\.username'/],
    [[{ username: 'admin', password: '' }], /'auth\.users\[0\]\.password'.*must not be empty/],
    [[{ username: 'admin', password: 'a\nb' }], /'auth\.users\[0\]\.password'.*line breaks/],
    [[{ username: 'admin', password: 'x'.repeat(73) }], /'auth\.users\[0\]\.password'.*73 bytes.*at most 72/],
    [[{ username: 'a', password: 'x' }, { username: 'a', password: 'y' }], /'auth\.users\[1\]\.username'.*listed twice/],
    [[], /'auth\.users' must list at least one user/],
  ])('rejects bad users %#', (users, message) => {
    expect(() => synthUsers(users as HtpasswdUser[])).toThrow(message);
  });

  test.each([
    [{ cost: 3 }, /'auth\.cost' \(3\) must be a whole number from 4 to 14/],
    [{ cost: 15 }, /'auth\.cost' \(15\)/],
    [{ cost: 5.5 }, /'auth\.cost'/],
    [{ realm: '' }, /'auth\.realm'/],
    [{ realm: 'a "quoted" realm' }, /'auth\.realm'.*without quotes/],
  ])('rejects bad options %#', (options, message) => {
    expect(() => synthUsers([{ username: 'admin', password: 'x' }], options)).toThrow(message);
  });

  test('the error names the construct path', () => {
    expect(() => synthUsers([{ username: 'a:b', password: 'x' }])).toThrow(/^test\/Registry: 'auth\.users\[0\]\.username'/);
  });
});

describe('HtpasswdAuth.fromSecret', () => {
  test('mounts the external Secret key read-only; nothing created, no checksum', () => {
    const chart = new Chart(Testing.app(), 'test');
    const secret = kplus.Secret.fromSecretName(chart, 'Htpasswd', 'registry-htpasswd');
    new RegistryDeployment(chart, 'Registry', { auth: HtpasswdAuth.fromSecret(secret) });
    const { objects, config, pod, container, deployment } = inspect(chart);
    expect(objects.filter((o) => o.kind === 'Secret')).toHaveLength(0);
    expect(config.auth).toEqual({ htpasswd: { realm: 'Registry Realm', path: '/etc/registry/auth/htpasswd' } });
    const mount = container.volumeMounts.find((m: Obj) => m.mountPath === '/etc/registry/auth');
    expect(mount.readOnly).toBe(true);
    const volume = pod.volumes.find((v: Obj) => v.name === mount.name);
    expect(volume.secret).toMatchObject({ secretName: 'registry-htpasswd', items: [{ key: 'htpasswd', path: 'htpasswd' }] });
    expect(deployment.spec.template.metadata.annotations['checksum/htpasswd']).toBeUndefined();
  });

  test('key and realm are configurable', () => {
    const chart = new Chart(Testing.app(), 'test');
    const secret = kplus.Secret.fromSecretName(chart, 'Htpasswd', 'sealed-auth');
    new RegistryDeployment(chart, 'Registry', { auth: HtpasswdAuth.fromSecret(secret, { key: 'users.htpasswd', realm: 'Acme' }) });
    const { config, pod } = inspect(chart);
    expect(config.auth.htpasswd.realm).toBe('Acme');
    const volume = pod.volumes.find((v: Obj) => v.secret?.secretName === 'sealed-auth');
    expect(volume.secret.items).toEqual([{ key: 'users.htpasswd', path: 'htpasswd' }]);
  });

  test('rejects an invalid key', () => {
    const chart = new Chart(Testing.app(), 'test');
    const secret = kplus.Secret.fromSecretName(chart, 'Htpasswd', 'x');
    expect(() => new RegistryDeployment(chart, 'Registry', { auth: HtpasswdAuth.fromSecret(secret, { key: 'a/b' }) })).toThrow(/'auth\.key'/);
  });
});

describe('HtpasswdAuth.fromEntries', () => {
  const hash = bcrypt.hashSync('entry-password', bcrypt.genSaltSync(5));
  const synthEntries = (lines: string[]) => {
    const chart = new Chart(Testing.app(), 'test');
    new RegistryDeployment(chart, 'Registry', { auth: HtpasswdAuth.fromEntries({ entries: lines, realm: 'Entries' }) });
    return inspect(chart);
  };

  test('bcrypt entries ($2a$, $2b$, $2y$) go into the created Secret as given, with a checksum', () => {
    const y = hash.replace(/^\$2[ab]\$/, '$2y$');
    const a = hash.replace(/^\$2[by]\$/, '$2a$');
    const { secret, config, deployment } = synthEntries([`alice:${hash}`, `bob:${y}`, ` carol:${a}\n`]);
    const users = entries(secret!);
    expect([...users.entries()]).toEqual([['alice', hash], ['bob', y], ['carol', a]]);
    expect(bcrypt.compareSync('entry-password', users.get('alice')!)).toBe(true);
    expect(config.auth.htpasswd).toEqual({ realm: 'Entries', path: '/etc/registry/auth/htpasswd' });
    expect(deployment.spec.template.metadata.annotations['checksum/htpasswd']).toMatch(/^[0-9a-f]{64}$/);
  });

  test.each([
    ['alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=', /'auth\.entries\[0\]' \(user "alice"\) is not a bcrypt hash/],
    ['alice:$apr1$abcdefgh$0123456789abcdefghijkl', /is not a bcrypt hash/],
    ['alice:plaintext', /is not a bcrypt hash/],
    [`:${'$2y$05$'}${'a'.repeat(53)}`, /'auth\.entries\[0\]' must be "username:bcrypt-hash"/],
    ['no-colon', /'auth\.entries\[0\]' must be "username:bcrypt-hash"/],
    [`alice:$2y$03$${'a'.repeat(53)}`, /bcrypt cost 3: bcrypt allows 4 to 31/],
  ])('rejects %j', (entry, message) => {
    expect(() => synthEntries([entry])).toThrow(message);
  });

  test('rejects duplicates and an empty list', () => {
    expect(() => synthEntries([`alice:${hash}`, `alice:${hash}`])).toThrow(/'auth\.entries\[1\]' \(user "alice"\) is listed twice/);
    expect(() => synthEntries([])).toThrow(/'auth\.entries' must list at least one entry/);
  });
});

test('HtpasswdAuth and TokenAuth have no none(): an open registry is only RegistryAuth.none()', () => {
  // GIVEN the auth methods' static sides (an inherited static would make HtpasswdAuth.none() read as htpasswd without users)
  expect((HtpasswdAuth as any).none).toBeUndefined();
  expect((TokenAuth as any).none).toBeUndefined();
  // THEN the open registry is still one call away, and renders no auth section
  const chart = Testing.chart();
  new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none() });
  const configMap = Testing.synth(chart).find((o) => o.kind === 'ConfigMap');
  expect(configMap.data['config.yml']).not.toMatch(/^auth:/m);
});

describe('htpasswd lines the registry reads as comments', () => {
  const HASH = '$2y$05$' + 'a'.repeat(53);
  const make = (props: Partial<RegistryDeploymentProps>) => () => new RegistryDeployment(Testing.chart(), 'Registry', { auth: RegistryAuth.none(), ...props });

  test('fromUsers', () => {
    expect(make({ auth: HtpasswdAuth.fromUsers({ users: [{ username: '#admin', password: 'secret-password' }] }) }))
      .toThrow(/^test\/Registry: 'auth.users\[0\].username' \("#admin"\) starts with '#', so the registry reads the line as a comment.*without ':', whitespace, control characters or a leading '#'/);
  });
  test('fromEntries', () => {
    expect(make({ auth: HtpasswdAuth.fromEntries({ entries: [`#admin:${HASH}`] }) }))
      .toThrow(/^test\/Registry: 'auth.entries\[0\]' must be "username:bcrypt-hash" .* starts with '#'/);
  });
});
