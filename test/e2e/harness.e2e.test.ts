/**
 * The harness itself, on a hand-written pod spec: env expansion and envFrom, ConfigMap `items`
 * mappings, a Secret key mounted by `subPath`, the read-only root filesystem, and the errors a
 * kubelet would raise. Every scenario relies on these, so they are checked against the real registry.
 */
import * as fs from 'fs';
import { buildImage, cleanupAll, httpRequest, push, RegistryPod, requireEnvironment, run } from './harness';

beforeAll(() => requireEnvironment(['htpasswd']));
afterAll(() => cleanupAll());

type Obj = { [key: string]: any };

const CONFIG = `version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: ROOT
auth:
  htpasswd:
    realm: harness
    path: /etc/e2e-harness-auth/users
http:
  addr: :5000
`;

/** A Deployment written by hand, exercising what the library does not (yet) emit. */
function objects(options: { dataRoot?: string; readOnlyRoot?: boolean; envKey?: string } = {}): Obj[] {
  const dataRoot = options.dataRoot ?? '/var/lib/e2e-harness-data';
  return [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { 'config.yml': CONFIG.replace('ROOT', dataRoot), 'unused': 'x' } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'log-env' }, data: { LEVEL: 'debug' } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'harness' },
      spec: {
        template: {
          spec: {
            securityContext: { runAsNonRoot: true, runAsUser: 4242, runAsGroup: 4242, fsGroup: 4343 },
            volumes: [
              { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'config.yml', path: 'nested/registry.yml' }] } },
              { name: 'users', secret: { secretName: 'users', defaultMode: 0o440 } },
              { name: 'data', emptyDir: {} },
            ],
            containers: [{
              name: 'registry',
              image: 'registry:2.8.3',
              command: ['registry'],
              args: ['serve', '$(CONFIG_DIR)/nested/registry.yml'],
              env: [
                { name: 'CONFIG_DIR', value: '/etc/e2e-harness' },
                { name: 'REGISTRY_HTTP_SECRET', valueFrom: { secretKeyRef: { name: 'users', key: options.envKey ?? 'http-secret' } } },
              ],
              envFrom: [{ prefix: 'REGISTRY_LOG_', configMapRef: { name: 'log-env' } }],
              securityContext: { readOnlyRootFilesystem: options.readOnlyRoot ?? true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              readinessProbe: { httpGet: { path: '/', port: 5000 } },
              volumeMounts: [
                { name: 'cfg', mountPath: '/etc/e2e-harness', readOnly: true },
                { name: 'users', mountPath: '/etc/e2e-harness-auth/users', subPath: 'htpasswd', readOnly: true },
                { name: 'data', mountPath: '/var/lib/e2e-harness-data' },
              ],
            }],
          },
        },
      },
    },
  ];
}

const users = () => ({ users: { 'htpasswd': run('htpasswd', ['-Bbn', '-C', '5', 'bob', 'pw']), 'http-secret': 'shared-secret' } });

test('env expansion, envFrom with prefix, items mapping, subPath file mount, pod identity', async () => {
  const pod = new RegistryPod(objects(), { externalSecrets: users() });
  await pod.start();
  // $(CONFIG_DIR) was expanded in args, the ConfigMap key was written at its `items` path, and the
  // subPath-mounted htpasswd file is what the registry authenticates against
  expect((await httpRequest(`${pod.url}/v2/`)).headers['www-authenticate']).toBe('Basic realm="harness"');
  expect((await httpRequest(`${pod.url}/v2/`, { username: 'bob', password: 'pw' })).status).toBe(200);
  expect(pod.env).toMatchObject({ REGISTRY_LOG_LEVEL: 'debug', REGISTRY_HTTP_SECRET: 'shared-secret', CONFIG_DIR: '/etc/e2e-harness' });
  // envFrom took effect: the registry logs at debug level
  await pod.waitForLog(/level=debug/);
  const status = fs.readFileSync(`/proc/${pod.pid}/status`, 'utf-8');
  expect(status).toMatch(/^Uid:\s+4242\s/m);
  expect(status).toMatch(/^Groups:\s+4343\s*$/m);
  // the process's view: only the mapped key, at the mapped path
  const root = `/proc/${pod.pid}/root`;
  expect(fs.readdirSync(`${root}/etc/e2e-harness`)).toEqual(['nested']);
  expect((fs.statSync(`${root}/etc/e2e-harness-auth/users`).mode % 0o1000).toString(8)).toBe('440');
  expect(fs.statSync(`${root}/etc/e2e-harness-auth/users`).gid).toBe(4343);
  await push(buildImage({ sizeBytes: 1024 }), `${pod.address}/harness/app:v1`, { creds: 'bob:pw' });
  await pod.stop();
});

test('a read-only root filesystem: storage outside the volumes fails with the registry\'s "read-only file system"', async () => {
  const pod = new RegistryPod(objects({ dataRoot: '/var/lib/e2e-harness-not-a-volume' }), { externalSecrets: users() });
  await pod.start();
  await expect(pod.withLogs(() => push(buildImage({ sizeBytes: 1024 }), `${pod.address}/harness/app:v1`, { creds: 'bob:pw' })))
    .rejects.toThrow(/read-only file system/);
  await pod.stop();
});

test('a missing key in a Secret, a missing volume source, runAsNonRoot as root: refused like the kubelet', async () => {
  await expect(new RegistryPod(objects({ envKey: 'nope' }), { externalSecrets: users() }).start())
    .rejects.toThrow(/env REGISTRY_HTTP_SECRET: couldn't find key nope in Secret users/);
  await expect(new RegistryPod(objects()).start()).rejects.toThrow(/secret "users" not found/);
  const asRoot = objects();
  delete asRoot[2].spec.template.spec.securityContext.runAsUser;
  await expect(new RegistryPod(asRoot, { externalSecrets: users() }).start()).rejects.toThrow(/runAsNonRoot/);
});
