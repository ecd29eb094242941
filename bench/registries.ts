/**
 * One registry, written three ways that synthesize the same objects byte for byte:
 * with the library, as plain cdk8s `ApiObject`s, and as cdk8s-plus-27 constructs. The benchmarks compare the
 * YAML of the three before they report any ratio (`sameYaml`), so a baseline can never do less work unnoticed.
 *
 * The registry: the library's defaults with an open registry on a 10 GiB claim, named `name`
 * (what a platform team with one registry per team writes).
 */
import { createHash } from 'crypto';
import { ApiObject, Chart, Duration, JsonPatch, Size, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { GarbageCollection, RedisBlobDescriptorCache, RegistryAuth, RegistryDeployment, StorageBackend } from '../src';

/** How a benchmark writes one registry into a scope. */
export type RegistryWriter = (scope: Construct, id: string, name: string) => void;

/** The library. */
export const withLibrary: RegistryWriter = (scope, id, name) => {
  new RegistryDeployment(scope, id, { name, auth: RegistryAuth.none(), storage: StorageBackend.persistentVolumeClaim() });
};

const VERSION = '3.1.2';
const CONFIG_YML = `version: "0.1"
log:
  level: info
  formatter: text
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: /var/lib/registry
  cache:
    blobdescriptor: inmemory
http:
  addr: :5000
  draintimeout: 60s
  headers:
    X-Content-Type-Options:
      - nosniff
health:
  storagedriver:
    enabled: true
    interval: 5s
    threshold: 2
`;

function labelsOf(name: string): { [key: string]: string } {
  return {
    'app.kubernetes.io/name': 'registry',
    'app.kubernetes.io/instance': name,
    'app.kubernetes.io/version': VERSION,
    'app.kubernetes.io/component': 'registry',
    'app.kubernetes.io/managed-by': 'cdk8s-registry',
  };
}

/**
 * Plain cdk8s `ApiObject`s, as a user writes them from the Kubernetes reference. The claim keeps a name that
 * cdk8s generates from its construct path, as the library's does; the checksum is computed as a user would.
 */
export const rawApiObjects: RegistryWriter = (scope, id, name) => {
  const labels = labelsOf(name);
  const group = new Construct(scope, id);
  const claim = new ApiObject(new Construct(group, 'Data'), 'Resource', {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: `${name}-data`, labels: { ...labels, 'app.kubernetes.io/component': 'storage' } },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } }, volumeMode: 'Filesystem' },
  });
  new ApiObject(group, 'ServiceAccount', {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, labels },
    automountServiceAccountToken: false,
  });
  new ApiObject(group, 'Config', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${name}-config`, labels },
    data: { 'config.yml': CONFIG_YML },
    immutable: false,
  });
  // With a name, the selector is the name (stable across construct ids), as the library writes it.
  const selector = { 'app.kubernetes.io/name': 'registry', 'app.kubernetes.io/instance': name };
  const podLabels: { [key: string]: string } = { ...labels };
  const ids = { runAsGroup: 1000, runAsNonRoot: true, runAsUser: 1000 };
  new ApiObject(group, 'Deployment', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      minReadySeconds: 20,
      progressDeadlineSeconds: 600,
      replicas: 1,
      selector: { matchLabels: selector },
      strategy: { type: 'Recreate' },
      template: {
        metadata: {
          annotations: { 'checksum/config': createHash('sha256').update(CONFIG_YML).digest('hex') },
          labels: podLabels,
        },
        spec: {
          automountServiceAccountToken: false,
          containers: [{
            args: ['serve', '/etc/distribution/config.yml'],
            command: ['registry'],
            env: [{ name: 'OTEL_TRACES_EXPORTER', value: 'none' }],
            image: `registry:${VERSION}`,
            imagePullPolicy: 'IfNotPresent',
            lifecycle: { preStop: { exec: { command: ['sleep', '10'] } } },
            livenessProbe: { failureThreshold: 6, initialDelaySeconds: 10, periodSeconds: 20, tcpSocket: { port: 5000 } },
            name: 'registry',
            ports: [{ containerPort: 5000, name: 'http' }],
            readinessProbe: {
              failureThreshold: 2, httpGet: { path: '/', port: 5000, scheme: 'HTTP' }, initialDelaySeconds: 15, periodSeconds: 5, timeoutSeconds: 5,
            },
            resources: { limits: { cpu: '2', memory: '1024Mi' }, requests: { cpu: '100m', memory: '256Mi' } },
            securityContext: {
              allowPrivilegeEscalation: false,
              capabilities: { drop: ['ALL'] },
              privileged: false,
              readOnlyRootFilesystem: true,
              ...ids,
            },
            volumeMounts: [
              { mountPath: '/etc/distribution', name: 'config', readOnly: true },
              { mountPath: '/tmp', name: 'tmp', readOnly: false },
              { mountPath: '/var/lib/registry', name: 'data', readOnly: false },
            ],
          }],
          dnsPolicy: 'ClusterFirst',
          hostNetwork: false,
          restartPolicy: 'Always',
          securityContext: { fsGroup: 1000, fsGroupChangePolicy: 'OnRootMismatch', ...ids, seccompProfile: { type: 'RuntimeDefault' } },
          serviceAccountName: name,
          setHostnameAsFQDN: false,
          terminationGracePeriodSeconds: 75,
          volumes: [
            { configMap: { name: `${name}-config` }, name: 'config' },
            { emptyDir: { sizeLimit: '256Mi' }, name: 'tmp' },
            { name: 'data', persistentVolumeClaim: { claimName: claim.name, readOnly: false } },
          ],
        },
      },
    },
  });
  new ApiObject(group, 'Service', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels },
    // Every selector but the Deployment's own names the component, so that no other part's pods are picked.
    spec: { externalIPs: [], ports: [{ name: 'http', port: 5000, targetPort: 5000 }], selector: { ...selector, 'app.kubernetes.io/component': 'registry' }, type: 'ClusterIP' },
  });
};

/** cdk8s-plus-27 constructs, as a user who knows cdk8s-plus writes them by hand. */
export const cdk8sPlus: RegistryWriter = (scope, id, name) => {
  const labels = labelsOf(name);
  const group = new Construct(scope, id);
  const claim = new kplus.PersistentVolumeClaim(group, 'Data', {
    metadata: { name: `${name}-data`, labels: { ...labels, 'app.kubernetes.io/component': 'storage' } },
    storage: Size.gibibytes(10),
    accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
  });
  const serviceAccount = new kplus.ServiceAccount(group, 'ServiceAccount', { metadata: { name, labels }, automountToken: false });
  const config = new kplus.ConfigMap(group, 'Config', { metadata: { name: `${name}-config`, labels }, data: { 'config.yml': CONFIG_YML } });
  const ids = { user: 1000, group: 1000 };
  const deployment = new kplus.Deployment(group, 'Deployment', {
    metadata: { name, labels },
    podMetadata: { labels: { ...labels } },
    select: false,
    replicas: 1,
    minReady: Duration.seconds(20),
    strategy: kplus.DeploymentStrategy.recreate(),
    serviceAccount,
    automountServiceAccountToken: false,
    securityContext: { ensureNonRoot: true, ...ids, fsGroup: 1000, fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH },
    terminationGracePeriod: Duration.seconds(75),
  });
  const selector = { 'app.kubernetes.io/name': 'registry', 'app.kubernetes.io/instance': name };
  deployment.select(kplus.LabelSelector.of({ labels: selector }));
  deployment.podMetadata.addAnnotation('checksum/config', createHash('sha256').update(CONFIG_YML).digest('hex'));
  ApiObject.of(deployment).addJsonPatch(JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'));
  ApiObject.of(deployment).addJsonPatch(JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }));
  const container = deployment.addContainer({
    name: 'registry',
    image: `registry:${VERSION}`,
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    command: ['registry'],
    args: ['serve', '/etc/distribution/config.yml'],
    envVariables: { OTEL_TRACES_EXPORTER: kplus.EnvValue.fromValue('none') },
    ports: [{ number: 5000, name: 'http' }],
    securityContext: {
      ensureNonRoot: true,
      ...ids,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL' as kplus.Capability] },
    },
    resources: {
      cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.units(2) },
      memory: { request: Size.mebibytes(256), limit: Size.gibibytes(1) },
    },
    readiness: kplus.Probe.fromHttpGet('/', {
      port: 5000,
      scheme: kplus.ConnectionScheme.HTTP,
      initialDelaySeconds: Duration.seconds(15),
      periodSeconds: Duration.seconds(5),
      failureThreshold: 2,
      timeoutSeconds: Duration.seconds(5),
    }),
    lifecycle: { preStop: kplus.Handler.fromCommand(['sleep', '10']) },
    liveness: kplus.Probe.fromTcpSocket({
      port: 5000, initialDelaySeconds: Duration.seconds(10), periodSeconds: Duration.seconds(20), failureThreshold: 6,
    }),
  });
  container.mount('/etc/distribution', kplus.Volume.fromConfigMap(group, 'ConfigVolume', config, { name: 'config' }), { readOnly: true });
  container.mount('/tmp', kplus.Volume.fromEmptyDir(group, 'TmpVolume', 'tmp', { sizeLimit: Size.mebibytes(256) }), { readOnly: false });
  container.mount('/var/lib/registry', kplus.Volume.fromPersistentVolumeClaim(group, 'DataVolume', claim, { name: 'data' }), { readOnly: false });
  const service = new kplus.Service(group, 'Service', {
    metadata: { name, labels },
    type: kplus.ServiceType.CLUSTER_IP,
    ports: [{ name: 'http', port: 5000, targetPort: 5000 }],
  });
  for (const [key, value] of Object.entries({ ...selector, 'app.kubernetes.io/component': 'registry' })) service.selectLabel(key, value);
};

/** The three writers of the same registry, by the name the benchmarks print. */
export const WRITERS: { readonly [variant: string]: RegistryWriter } = {
  'library': withLibrary,
  'raw ApiObjects': rawApiObjects,
  'cdk8s-plus-27': cdk8sPlus,
};

/**
 * The library with day-2 parts: a redis blob descriptor cache and a nightly garbage collection (which flushes
 * that cache), so that the cost of the collection's synth-time checks at scale is measured. It has no raw
 * counterpart: run it as the only variant (`BENCH_SCALE_VARIANTS='library with GC and cache'`).
 */
export const withGcAndCache: RegistryWriter = (scope, id, name) => {
  const registry = new RegistryDeployment(scope, id, {
    name, auth: RegistryAuth.none(), storage: StorageBackend.persistentVolumeClaim(), storageOptions: { deleteEnabled: true },
  });
  registry.addPart(new RedisBlobDescriptorCache({ addresses: ['redis:6379'] }));
  new GarbageCollection(scope, `${id}GarbageCollection`, { registry });
};

/** Every writer the scale benchmark can run: the three above and the registry with day-2 parts. */
export const SCALE_WRITERS: { readonly [variant: string]: RegistryWriter } = {
  ...WRITERS,
  'library with GC and cache': withGcAndCache,
};

/** The chart's objects as one YAML text, as `cdk8s synth` writes a chart's file. */
export function chartYaml(chart: Chart): string {
  return Yaml.stringify(...chart.toJson());
}
