import { createHash } from 'crypto';
import { Size, Testing, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  BlobDescriptorCache, Platform, RedisBlobDescriptorCache, RegistryAuth, RegistryDeployment, RegistryDisruptionBudget, RegistryTls,
  RegistryVersion, StorageBackend,
} from '../src';
import { validateChart } from './util/validate-manifests';

type Obj = { [key: string]: any };

function synth(props: Partial<ConstructorParameters<typeof RegistryDeployment>[2]> = {}) {
  const chart = Testing.chart();
  const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), ...props });
  const objects = validateChart(chart);
  const deployment = objects.find((o) => o.kind === 'Deployment')!;
  const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
  const config = parseConfig(configMap.data[Object.keys(configMap.data)[0]]);
  return { chart, registry, objects, deployment, configMap, config, container: deployment.spec.template.spec.containers[0] as Obj };
}

function parseConfig(text: string): Obj {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('yaml').parse(text);
}

describe('RegistryDeployment', () => {
  test('defaults: 3.x image pinned, PVC, config at the 3.x path, snapshot', () => {
    const { objects, deployment, configMap, container } = synth();
    expect(objects).toMatchSnapshot();
    expect(container.image).toBe('registry:3.1.2');
    expect(container.args).toEqual(['serve', '/etc/distribution/config.yml']);
    expect(Object.keys(configMap.data)).toEqual(['config.yml']);
    const mount = container.volumeMounts.find((m: Obj) => m.name === 'config');
    expect(mount).toMatchObject({ mountPath: '/etc/distribution', readOnly: true });
    const pvc = objects.find((o) => o.kind === 'PersistentVolumeClaim')!;
    expect(pvc.spec.resources.requests.storage).toBe('10Gi');
    expect(pvc.spec.accessModes).toEqual(['ReadWriteOnce']);
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    expect(deployment.spec.replicas).toBe(1);
  });

  test('2.8 renders the 2.8 config path and image', () => {
    const { container } = synth({ version: RegistryVersion.V2_8 });
    expect(container.image).toBe('registry:2.8.3');
    expect(container.args).toEqual(['serve', '/etc/docker/registry/config.yml']);
    expect(container.volumeMounts.find((m: Obj) => m.name === 'config').mountPath).toBe('/etc/docker/registry');
  });

  test('the version is read from a pinned image tag', () => {
    const { container, registry } = synth({ image: 'mirror.example.com/library/registry:2.8.3' });
    expect(registry.version.version).toBe('2.8.3');
    expect(container.args[1]).toBe('/etc/docker/registry/config.yml');
  });

  test('config.yml: nosniff header, storage health check, filesystem root, no credentials', () => {
    const { configMap } = synth();
    const config = parseConfig(configMap.data['config.yml']);
    expect(config.version).toBe('0.1');
    expect(config.http.addr).toBe(':5000');
    expect(config.http.headers['X-Content-Type-Options']).toEqual(['nosniff']);
    expect(config.health.storagedriver).toEqual({ enabled: true, interval: '5s', threshold: 2 });
    expect(config.storage.filesystem).toEqual({ rootdirectory: '/var/lib/registry' });
    expect(config.storage.delete).toBeUndefined();
    expect(config.http.secret).toBeUndefined();
  });

  test('restricted pod security on Kubernetes', () => {
    const { deployment, container } = synth();
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(container.resources.requests).toBeDefined();
    expect(container.resources.limits).toBeDefined();
    expect(container.readinessProbe.httpGet).toMatchObject({ path: '/', port: 5000, scheme: 'HTTP' });
    expect(container.livenessProbe.tcpSocket).toEqual({ port: 5000 });
    // writable data volume despite the read-only root filesystem
    expect(container.volumeMounts.find((m: Obj) => m.mountPath === '/var/lib/registry').readOnly).toBe(false);
  });

  test('OpenShift leaves UID, GID and fsGroup to the SCC', () => {
    const { deployment, container } = synth({ platform: Platform.OPENSHIFT });
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext.runAsUser).toBeUndefined();
    expect(pod.securityContext.fsGroup).toBeUndefined();
    expect(container.securityContext.runAsUser).toBeUndefined();
    expect(container.securityContext.runAsNonRoot).toBe(true);
  });

  test('checksum annotation follows the config', () => {
    const a = synth().deployment.spec.template.metadata.annotations['checksum/config'];
    const b = synth({ storageOptions: { deleteEnabled: true } }).deployment.spec.template.metadata.annotations['checksum/config'];
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(b).not.toBe(a);
    expect(synth().deployment.spec.template.metadata.annotations['checksum/config']).toBe(a);
  });

  test('config.yml is written once per synth, and a section added after a synth still reaches the ConfigMap and the checksum', () => {
    // GIVEN a registry synthesized once
    const chart = Testing.chart();
    const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none() });
    const spy = jest.spyOn(Yaml, 'stringify');
    const checksumOf = (objects: Obj[]) => objects.find((o) => o.kind === 'Deployment')!.spec.template.metadata.annotations['checksum/config'];
    const configOf = (objects: Obj[]) => objects.find((o) => o.kind === 'ConfigMap')!.data['config.yml'];
    try {
      const first = Testing.synth(chart);
      // THEN the YAML writer ran once for the ConfigMap and the checksum together
      expect(spy).toHaveBeenCalledTimes(1);
      expect(checksumOf(first)).toBe(createHash('sha256').update(configOf(first)).digest('hex'));
      // a second synth of the same model writes nothing again
      Testing.synth(chart);
      expect(spy).toHaveBeenCalledTimes(1);

      // WHEN a section is added after that synth
      registry.addConfigSection('validation', { disabled: true });
      const second = Testing.synth(chart);
      // THEN both lazy values follow it, from one new rendering
      expect(spy).toHaveBeenCalledTimes(2);
      expect(parseConfig(configOf(second)).validation).toEqual({ disabled: true });
      expect(checksumOf(second)).toBe(createHash('sha256').update(configOf(second)).digest('hex'));
      expect(checksumOf(second)).not.toBe(checksumOf(first));

      // AND so does the external URL set by a way in after that (the one other change of the model)
      registry.useExternalUrl('https://registry.example.com');
      const third = Testing.synth(chart);
      expect(spy).toHaveBeenCalledTimes(3);
      expect(parseConfig(configOf(third)).http.host).toBe('https://registry.example.com');
      expect(checksumOf(third)).toBe(createHash('sha256').update(configOf(third)).digest('hex'));
    } finally {
      spy.mockRestore();
    }
  });

  test('two synths are byte-identical', () => {
    const render = () => {
      const chart = Testing.chart();
      new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), storage: StorageBackend.persistentVolumeClaim() });
      return Yaml.stringify(...Testing.synth(chart));
    };
    expect(render()).toBe(render());
  });

  test('ReadWriteMany claim with several replicas: RollingUpdate and a shared http.secret from a Secret', () => {
    const chart = Testing.chart();
    const secret = kplus.Secret.fromSecretName(chart, 'HttpSecret', 'registry-http-secret');
    new RegistryDeployment(chart, 'Registry', {
      auth: RegistryAuth.none(),
      replicas: 3,
      storage: StorageBackend.persistentVolumeClaim({ accessMode: kplus.PersistentVolumeAccessMode.READ_WRITE_MANY, storageClassName: 'nfs' }),
      httpSecret: { secret, key: 'secret' },
    });
    const objects = validateChart(chart);
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.strategy.type).toBe('RollingUpdate');
    const env = deployment.spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'REGISTRY_HTTP_SECRET', valueFrom: { secretKeyRef: { name: 'registry-http-secret', key: 'secret' } } });
    expect(objects.find((o) => o.kind === 'PersistentVolumeClaim')!.spec.storageClassName).toBe('nfs');
  });

  test('existing claim and emptyDir', () => {
    const existing = synth({ storage: StorageBackend.existingClaim('registry-data', { subPath: 'registry' }) });
    expect(existing.objects.find((o) => o.kind === 'PersistentVolumeClaim')).toBeUndefined();
    const pod = existing.deployment.spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'registry-data', readOnly: false } });
    expect(existing.container.volumeMounts.find((m: Obj) => m.name === 'data')).toMatchObject({ mountPath: '/var/lib/registry', subPath: 'registry' });

    const empty = synth({ storage: StorageBackend.emptyDir({ sizeLimit: Size.gibibytes(5) }) });
    expect(empty.deployment.spec.template.spec.volumes).toContainEqual({ name: 'data', emptyDir: { sizeLimit: '5120Mi' } });
  });

  test('inmemory driver renders an empty inmemory section', () => {
    const { configMap } = synth({ storage: StorageBackend.inMemory() });
    expect(parseConfig(configMap.data['config.yml']).storage.inmemory).toEqual({});
  });

  test('in-pod TLS: http.tls paths, HTTPS probe, Secret mounted', () => {
    const chart = Testing.chart();
    new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), tls: RegistryTls.fromSecret(kplus.Secret.fromSecretName(chart, 'Tls', 'registry-tls')) });
    const objects = validateChart(chart);
    const config = parseConfig(objects.find((o) => o.kind === 'ConfigMap')!.data['config.yml']);
    expect(config.http.tls).toEqual({ certificate: '/etc/registry/tls/tls.crt', key: '/etc/registry/tls/tls.key' });
    const container = objects.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0];
    expect(container.readinessProbe.httpGet.scheme).toBe('HTTPS');
    expect(container.ports[0].name).toBe('https');
  });

  test('external URL becomes http.host', () => {
    const { configMap } = synth({ externalUrl: 'https://registry.example.com' });
    expect(parseConfig(configMap.data['config.yml']).http.host).toBe('https://registry.example.com');
  });

  test('storage options: delete, redirect, purging, read-only, cache', () => {
    const { configMap } = synth({
      storageOptions: { deleteEnabled: true, redirectDisabled: true, readOnly: true, uploadPurging: { dryRun: true } },
    });
    const storage = parseConfig(configMap.data['config.yml']).storage;
    expect(storage.delete).toEqual({ enabled: true });
    expect(storage.redirect).toEqual({ disable: true });
    expect(storage.maintenance).toEqual({ uploadpurging: { enabled: true, age: '168h', interval: '24h', dryrun: true }, readonly: { enabled: true } });
    expect(storage.cache).toEqual({ blobdescriptor: 'inmemory' });
  });

  test('names given by the user are used', () => {
    const { objects } = synth({ name: 'registry' });
    expect(objects.filter((o) => ['Deployment', 'Service', 'ServiceAccount'].includes(o.kind)).map((o) => o.metadata.name)).toEqual(['registry', 'registry', 'registry']);
    expect(objects.find((o) => o.kind === 'ConfigMap')!.metadata.name).toBe('registry-config');
  });

  test('metrics on the debug port', () => {
    const { configMap, container } = synth({ metrics: true });
    expect(parseConfig(configMap.data['config.yml']).http.debug).toEqual({ addr: ':5001', prometheus: { enabled: true, path: '/metrics' } });
    expect(container.ports).toContainEqual({ containerPort: 5001, name: 'metrics' });
  });
});

describe('RegistryDeployment: bad input', () => {
  const make = (props: Partial<ConstructorParameters<typeof RegistryDeployment>[2]>) => () => {
    const chart = Testing.chart();
    new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), ...props });
    Testing.synth(chart);
  };

  test('a Secret key name that cannot exist fails at synth time, not at pod start', () => {
    const chart = Testing.chart();
    const secret = kplus.Secret.fromSecretName(chart, 'HttpSecret', 'registry-http-secret');
    expect(() => new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), httpSecret: { secret, key: 'http secret' } }))
      .toThrow(/Registry: 'httpSecret.key' \("http secret"\) is not a valid Secret key/);
  });
  test('negative and zero sizes', () => {
    // cdk8s itself refuses negative sizes; zero gets through it and must be refused here.
    expect(() => StorageBackend.persistentVolumeClaim({ size: Size.gibibytes(-1) })).toThrow(/cannot be negative/);
    expect(make({ storage: StorageBackend.persistentVolumeClaim({ size: Size.mebibytes(0) }) })).toThrow(/Registry: 'storage.size' \(0 GiB\) must be a whole number of gibibytes, at least 1/);
  });
  test('a claim size that is not whole gibibytes names the property (cdk8s-plus renders it in Gi)', () => {
    expect(make({ storage: StorageBackend.persistentVolumeClaim({ size: Size.mebibytes(500) }) })).toThrow(/Registry: 'storage.size' \(0\.48828125 GiB\) must be a whole number of gibibytes, at least 1, such as Size.gibibytes\(10\)/);
    expect(make({ storage: StorageBackend.persistentVolumeClaim({ size: Size.tebibytes(1) }) })).not.toThrow();
  });
  test('ReadOnlyMany cannot hold a registry', () => {
    expect(make({ storage: StorageBackend.persistentVolumeClaim({ accessMode: kplus.PersistentVolumeAccessMode.READ_ONLY_MANY }) })).toThrow(/'storage.accessMode'/);
  });
  test('invalid names', () => {
    expect(make({ name: 'My_Registry' })).toThrow(/'name' \("My_Registry"\) must be a DNS-1035 label, as a Service name is/);
    // it names the Service, which must start with a letter
    expect(make({ name: '1registry' })).toThrow(/'name' \("1registry"\) must be a DNS-1035 label/);
    expect(make({ storage: StorageBackend.existingClaim('Bad Claim') })).toThrow(/'storage.claimName'/);
    expect(make({ storage: StorageBackend.existingClaim('data', { subPath: '../etc' }) })).toThrow(/'storage.subPath'/);
  });
  test('unsupported and contradictory versions', () => {
    expect(() => RegistryVersion.of('2.7.1')).toThrow(/not supported: use 2.8.x or 3.x/);
    expect(() => RegistryVersion.of('latest')).toThrow(/not a version number/);
    expect(make({ image: 'registry:latest' })).toThrow(/'image' \('registry:latest'\) names no release: tag 'latest' floats over every release/);
    expect(make({ image: 'registry:edge' })).toThrow(/'image' \('registry:edge'\) has no tag naming a 2.8.x or 3.x release/);
    expect(make({ image: 'registry:2.7.1' })).toThrow(/'image'.*not supported/);
    expect(make({ image: 'registry:2.8.3', version: RegistryVersion.V3 })).toThrow(/'image' \('registry:2.8.3'\) runs 2.8.3, but 'version' is 3.1.2/);
  });
  test('a registry has one external URL', () => {
    const chart = Testing.chart();
    const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), externalUrl: 'https://a.example.com' });
    registry.useExternalUrl('https://a.example.com/');
    expect(() => registry.useExternalUrl('https://b.example.com')).toThrow(/'externalUrl' is already https:\/\/a.example.com/);
  });
});

describe('RegistryDeployment: addSecretEnv', () => {
  test('reads a REGISTRY_* variable from a Secret, and refuses one already set', () => {
    const chart = Testing.chart();
    const secret = kplus.Secret.fromSecretName(chart, 'HttpSecret', 'registry-http-secret');
    const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), httpSecret: { secret, key: 'secret' } });
    registry.addSecretEnv('REGISTRY_PROXY_PASSWORD', { secret, key: 'token' });
    const env = validateChart(chart).find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0].env;
    expect(env).toContainEqual({
      name: 'REGISTRY_PROXY_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'registry-http-secret', key: 'token' } },
    });
    expect(() => registry.addSecretEnv('REGISTRY_HTTP_SECRET', { secret, key: 'other' }))
      .toThrow(/Registry: 'addSecretEnv' sets 'REGISTRY_HTTP_SECRET', which 'httpSecret' already sets/);
  });
});

describe('RegistryDeployment: one door per concept, shorthands through the same code', () => {
  /** The synthesized manifests of a registry made by `make` in a fresh chart. */
  const manifests = (make: (chart: import('cdk8s').Chart) => void) => {
    const chart = Testing.chart();
    make(chart);
    return Testing.synth(chart);
  };
  const shared = (chart: import('cdk8s').Chart) => ({
    auth: RegistryAuth.none(),
    storage: StorageBackend.existingClaim('images', { accessMode: kplus.PersistentVolumeAccessMode.READ_WRITE_MANY }),
    replicas: 2,
    httpSecret: { secret: kplus.Secret.fromSecretName(chart, 'HttpSecret', 'http-secret'), key: 'secret' },
  });

  test('disruptionBudget (the default with replicas) is shorthand for a RegistryDisruptionBudget made for the registry', () => {
    const shorthand = manifests((chart) => new RegistryDeployment(chart, 'Registry', shared(chart)));
    const door = manifests((chart) => {
      const registry = new RegistryDeployment(chart, 'Registry', { ...shared(chart), disruptionBudget: false });
      new RegistryDisruptionBudget(registry, 'DisruptionBudget', { registry });
    });
    expect(shorthand.filter((o) => o.kind === 'PodDisruptionBudget')).toHaveLength(1);
    expect(door).toEqual(shorthand);
  });

  test('addConfigSection is shorthand for a part holding the section', () => {
    const shorthand = manifests((chart) => new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none() }).addConfigSection('catalog', { maxentries: 500 }));
    const door = manifests((chart) => new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none() })
      .addPart({ bind: () => ({ name: 'addConfigSection', config: { catalog: { maxentries: 500 } } }) }));
    expect(parseConfig(shorthand.find((o) => o.kind === 'ConfigMap')!.data['config.yml']).catalog).toEqual({ maxentries: 500 });
    expect(door).toEqual(shorthand);
  });

  test("addConfigSection follows addPart's rules: merged with a part's keys, a key given two values refused", () => {
    const chart = Testing.chart();
    const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none() });
    registry.addPart({ bind: () => ({ name: 'events', config: { notifications: { events: { includereferences: true } } } }) });
    registry.addConfigSection('notifications', { endpoints: [{ name: 'audit', url: 'https://audit.example.com/events' }] });
    expect(() => registry.addConfigSection('notifications', { events: { includereferences: false } }))
      .toThrow(/'addConfigSection' config key 'notifications.events.includereferences' is set to true by 'events' and to false by 'addConfigSection'/);
    const config = parseConfig(Testing.synth(chart).find((o) => o.kind === 'ConfigMap')!.data['config.yml']);
    expect(config.notifications).toEqual({ events: { includereferences: true }, endpoints: [{ name: 'audit', url: 'https://audit.example.com/events' }] });
  });

  test('addSecretEnv is shorthand for a part whose env reads the Secret', () => {
    const make = (add: (registry: RegistryDeployment, secret: kplus.ISecret) => void) => manifests((chart) => {
      const registry = new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none() });
      add(registry, kplus.Secret.fromSecretName(chart, 'Hub', 'docker-hub'));
    });
    const shorthand = make((registry, secret) => registry.addSecretEnv('REGISTRY_PROXY_PASSWORD', { secret, key: 'password' }));
    const door = make((registry, secret) => registry.addPart({
      bind: () => ({ name: 'addSecretEnv', env: { REGISTRY_PROXY_PASSWORD: kplus.EnvValue.fromSecretValue({ secret, key: 'password' }) } }),
    }));
    expect(shorthand.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0].env)
      .toContainEqual({ name: 'REGISTRY_PROXY_PASSWORD', valueFrom: { secretKeyRef: { name: 'docker-hub', key: 'password' } } });
    expect(door).toEqual(shorthand);
  });

  test('the blob descriptor cache: storageOptions REDIS restates the RedisBlobDescriptorCache part, through the same key', () => {
    const make = (options: { blobDescriptorCache?: BlobDescriptorCache }) => manifests((chart) => {
      new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), storageOptions: { deleteEnabled: true, ...options } })
        .addPart(new RedisBlobDescriptorCache({ addresses: ['redis.cache:6379'] }));
    });
    const door = make({});
    expect(parseConfig(door.find((o) => o.kind === 'ConfigMap')!.data['config.yml']).storage.cache).toEqual({ blobdescriptor: 'redis' });
    expect(make({ blobDescriptorCache: BlobDescriptorCache.REDIS })).toEqual(door);
  });
});
