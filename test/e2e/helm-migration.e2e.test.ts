/**
 * The cut-over of docs/migrating-from-helm.md ("Keep the images"), on the real registry: a registry configured as
 * the twuni docker-registry chart 3.0.0 renders it with `persistence.enabled=true` takes pushes; then the guide's
 * own program, synthesized as written, runs on the same claim folder and serves every image, and takes new pushes.
 *
 * The chart's objects below are what `helm template registry twuni/docker-registry --version 3.0.0
 * --namespace container-registry --set persistence.enabled=true --set persistence.deleteEnabled=true` renders
 * (templates/deployment.yaml, configmap.yaml, secret.yaml, pvc.yaml and _helpers.tpl at tag v3.0.0), with the
 * chart's default values; helm is not installed here, so they are written out by hand from those templates.
 */
import * as fs from 'fs';
import { buildImage, cleanupAll, describeVersions, e2eVersions, expectSameContent, listTags, pull, push, RegistryPod, requireEnvironment, synthesizeDocProgram } from './harness';
import { RegistryVersion } from '../../src';
import { manifestErrors } from '../util/validate-manifests';

const RELEASE = 'registry';
const FULLNAME = 'registry-docker-registry'; // "<release>-docker-registry": the release name lacks "docker-registry"

/** The chart's config.yml: `toYaml .Values.configData` of values.yaml at v3.0.0 (keys sorted, as toYaml writes them). */
const CHART_CONFIG = `health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
http:
  addr: :5000
  debug:
    addr: :5001
    prometheus:
      enabled: false
      path: /metrics
  headers:
    X-Content-Type-Options:
    - nosniff
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
version: 0.1`;

/**
 * The chart's objects for a filesystem registry on a claim. `image` is the chart 3.0.0 default (registry:3.0.0 with
 * `configPath: /etc/distribution`) or what releases of the chart before 3.0 ran (registry:2.8.3 at
 * /etc/docker/registry).
 */
function chartObjects(image: string, configPath: string): any[] {
  const labels = { app: 'docker-registry', chart: 'docker-registry-3.0.0', release: RELEASE, heritage: 'Helm' };
  return [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${FULLNAME}-config`, labels }, data: { 'config.yml': CHART_CONFIG } },
    // secrets.haSharedSecret empty: the chart renders `randAlphaNum 16`; any value does for one replica.
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${FULLNAME}-secret`, labels }, type: 'Opaque', data: { haSharedSecret: Buffer.from('k3Jx8Qw2ZpL0vN7a').toString('base64') } },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: FULLNAME, labels },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: FULLNAME, labels },
      spec: {
        selector: { matchLabels: { app: 'docker-registry', release: RELEASE } },
        replicas: 1,
        minReadySeconds: 5,
        template: {
          metadata: { labels: { app: 'docker-registry', release: RELEASE } },
          spec: {
            securityContext: { fsGroupChangePolicy: 'Always', sysctls: [], supplementalGroups: [], runAsUser: 1000, fsGroup: 1000 },
            containers: [{
              name: 'docker-registry',
              image,
              imagePullPolicy: 'IfNotPresent',
              command: ['/bin/registry', 'serve', `${configPath}/config.yml`],
              ports: [{ containerPort: 5000 }],
              livenessProbe: { httpGet: { path: '/', port: 5000 } },
              readinessProbe: { httpGet: { path: '/', port: 5000 } },
              resources: {},
              env: [
                { name: 'REGISTRY_HTTP_SECRET', valueFrom: { secretKeyRef: { name: `${FULLNAME}-secret`, key: 'haSharedSecret' } } },
                { name: 'REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY', value: '/var/lib/registry' },
                { name: 'REGISTRY_STORAGE_DELETE_ENABLED', value: 'true' },
                // extraEnvVars, for this machine only: the chart's debug server listens on :5001 of the pod's own
                // network namespace; here that would be every interface of the host, so it gets a free loopback port.
                { name: 'REGISTRY_HTTP_DEBUG_ADDR', value: '127.0.0.1:0' },
              ],
              securityContext: {
                seLinuxOptions: {},
                allowPrivilegeEscalation: false,
                capabilities: { drop: ['ALL'] },
                privileged: false,
                readOnlyRootFilesystem: true,
                runAsUser: 1000,
                runAsGroup: 1000,
                runAsNonRoot: true,
                seccompProfile: { type: 'RuntimeDefault' },
              },
              volumeMounts: [
                { name: `${FULLNAME}-config`, mountPath: configPath },
                { name: 'data', mountPath: '/var/lib/registry/' },
              ],
            }],
            volumes: [
              { name: `${FULLNAME}-config`, configMap: { name: `${FULLNAME}-config` } },
              { name: 'data', persistentVolumeClaim: { claimName: FULLNAME } },
            ],
          },
        },
      },
    },
  ];
}

/** The guide's cut-over program, as written (the first ```ts block of its "Keep the images" section), and what it wrote. */
function synthesizeGuideProgram(): { code: string; objects: any[] } {
  return synthesizeDocProgram('docs/migrating-from-helm.md', /^## Keep the images/m);
}

beforeAll(() => requireEnvironment());
afterAll(() => cleanupAll());

// The guide's program pins no version: it renders the default release, on whose binary the new registry runs.
describeVersions(e2eVersions({ filter: (v) => v.version.line === RegistryVersion.V3.line }), (v) => describe.each([
  ['registry:3.0.0', '/etc/distribution'], // the chart 3.0.0 default
  ['registry:2.8.3', '/etc/docker/registry'], // what releases of the chart before 3.0 ran
])('a filesystem registry of the Helm chart (%s) moves to the library on its claim', (image, configPath) => {
  test('every image pushed through the chart\'s registry pulls intact through the synthesized one, which takes pushes', async () => {
    // GIVEN the chart's registry, with images pushed through it onto its claim
    const chart = new RegistryPod(chartObjects(image, configPath));
    await chart.start();
    const app = buildImage({ sizeBytes: 3 * 1024 * 1024, tag: 'v1' });
    const tool = buildImage({ sizeBytes: 512 * 1024, tag: '1.0' });
    const appDigest = await chart.withLogs(() => push(app, `${chart.address}/team/app:v1`));
    await chart.withLogs(() => push(app, `${chart.address}/team/app:stable`));
    const toolDigest = await chart.withLogs(() => push(tool, `${chart.address}/tools/tool:1.0`));
    // the chart's registry wrote where its env says: /var/lib/registry, the root of the claim
    const repositories = `${chart.dataDir(FULLNAME)}/docker/registry/v2/repositories`;
    expect(fs.readdirSync(repositories).sort()).toEqual(['team', 'tools']);
    await chart.stop(); // step 2 of the guide: the chart's registry stops before the new one starts

    // WHEN the guide's program, as written, is synthesized and its registry runs on the same claim folder
    const { code, objects } = synthesizeGuideProgram();
    expect(code).toContain(`StorageBackend.existingClaim('${FULLNAME}')`);
    expect(manifestErrors(objects)).toEqual([]);
    const deployment = objects.find((o) => o.kind === 'Deployment');
    expect(deployment.metadata.name).toBe(FULLNAME); // the Service keeps the name clients use
    expect(objects.filter((o) => o.kind === 'PersistentVolumeClaim')).toEqual([]); // the chart's claim, not a new one
    const volume = deployment.spec.template.spec.volumes.find((vol: any) => vol.persistentVolumeClaim);
    expect(volume.persistentVolumeClaim.claimName).toBe(FULLNAME);
    const library = new RegistryPod(objects, { claimsFrom: chart });
    await library.start();
    expect(library.registry.runs).toBe(v.runs);
    expect(chart.registry.version.line).toBe(RegistryVersion.of(image.split(':')[1]).line);
    expect(library.dataDir(FULLNAME)).toBe(chart.dataDir(FULLNAME));

    // THEN every image and tag is there, with the same digests, and pulls intact
    expect(await listTags(`${library.address}/team/app`)).toEqual(['stable', 'v1']);
    expect(await listTags(`${library.address}/tools/tool`)).toEqual(['1.0']);
    const pulledApp = await library.withLogs(() => pull(`${library.address}/team/app:v1`));
    expectSameContent(app, pulledApp);
    expect(pulledApp.manifestDigest).toBe(appDigest);
    const pulledTool = await library.withLogs(() => pull(`${library.address}/tools/tool:1.0`));
    expectSameContent(tool, pulledTool);
    expect(pulledTool.manifestDigest).toBe(toolDigest);

    // and it writes to the chart's folders (same uid and fsGroup): a new tag of an old repository, a new repository
    await library.withLogs(() => push(tool, `${library.address}/team/app:v2`));
    await library.withLogs(() => push(app, `${library.address}/new/app:v1`));
    expect(await listTags(`${library.address}/team/app`)).toEqual(['stable', 'v1', 'v2']);
    expect(fs.readdirSync(repositories).sort()).toEqual(['new', 'team', 'tools']);
    await library.stop();
  });
}));
