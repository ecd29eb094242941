import { Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { LogLevel, RegistryAuth, RegistryDeployment, RegistryDeploymentProps, StorageBackend } from '../src';
import { checkImage, checkRegistryProps, checkReplicas, externalOrigin } from '../src/registry-deployment-checks';

const make = (props: Partial<RegistryDeploymentProps>) => () => {
  const chart = Testing.chart();
  new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), ...props });
  Testing.synth(chart);
};
const construct = (props: Partial<RegistryDeploymentProps>) => () => new RegistryDeployment(Testing.chart(), 'Registry', { auth: RegistryAuth.none(), ...props });

describe('checkRegistryProps: the props that stand alone, with their defaults', () => {
  test('defaults: one replica, plain Kubernetes, user 1000', () => {
    const checked = checkRegistryProps(Testing.chart(), { auth: RegistryAuth.none() });
    expect([checked.replicas, checked.platform, checked.runAsUser]).toEqual([1, 'kubernetes', 1000]);
    expect(() => checkRegistryProps(Testing.chart(), undefined as any)).toThrow(/^test: 'props' is required: give at least \{ auth \}/);
    expect(() => checkRegistryProps(Testing.chart(), { auth: RegistryAuth.none(), runAsUser: 0 })).toThrow(/^test: 'runAsUser' \(0\) must be a whole number from 1 to 2147483647/);
    expect(() => checkRegistryProps(Testing.chart(), { auth: RegistryAuth.none(), platform: 'k3s' as any })).toThrow(/^test: 'platform' \("k3s"\) must be one of/);
  });

  test('replicas must be a positive whole number', () => {
    expect(make({ replicas: 0 })).toThrow(/'replicas' \(0\) must be a whole number from 1 to 100/);
    expect(make({ replicas: 1.5 })).toThrow(/'replicas'/);
  });

  test('auth is required', () => {
    const chart = Testing.chart();
    expect(() => new RegistryDeployment(chart, 'Registry', {} as any)).toThrow(/'auth' is required.*RegistryAuth.none\(\)/);
  });

  test('two registries with the same name in one chart', () => {
    const chart = Testing.chart();
    new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), name: 'registry' });
    expect(() => new RegistryDeployment(chart, 'Second', { name: 'registry', auth: RegistryAuth.none() }))
      .toThrow(/^test\/Second: 'name' \("registry"\) is already the name of registry test\/Registry in this chart: .*own name/);
  });

  test('a log level outside the enum, from JavaScript', () => {
    expect(construct({ logLevel: 'verbose' as LogLevel })).toThrow(/^test\/Registry: 'logLevel' \("verbose"\) must be one of "error", "warn", "info", "debug"/);
  });

  test('resource requests above limits, and infinite amounts', () => {
    expect(construct({ resources: { memory: { request: Size.gibibytes(2), limit: Size.gibibytes(1) } } }))
      .toThrow(/^test\/Registry: 'resources.memory.request' \(2048 MiB\) must not exceed 'resources.memory.limit' \(1024 MiB\)/);
    expect(construct({ resources: { cpu: { request: kplus.Cpu.units(4), limit: kplus.Cpu.millis(500) } } }))
      .toThrow(/'resources.cpu.request' \(4\) must not exceed 'resources.cpu.limit' \(500m\)/);
    expect(construct({ resources: { cpu: { limit: kplus.Cpu.units(Infinity) } } })).toThrow(/'resources.cpu.limit' \(Infinity\) must be a positive amount of CPU/);
  });
});

describe('checkImage', () => {
  test('an empty or malformed reference names the prop and an example', () => {
    expect(() => checkImage(Testing.chart(), ' ')).toThrow(/^test: 'image' must not be empty: give an image reference such as "registry:3.1.2"/);
    expect(() => checkImage(Testing.chart(), 'Registry:3.1.2')).toThrow(/^test: 'image' \("Registry:3.1.2"\) .*such as "registry:3.1.2"/);
    expect(() => checkImage(Testing.chart(), 'mirror.example.com:5000/library/registry:3.1.2')).not.toThrow();
  });
});

describe('externalOrigin', () => {
  test('the origin of an http(s) URL, with its port; anything more is refused', () => {
    expect(externalOrigin(Testing.chart(), 'https://registry.example.com/')).toBe('https://registry.example.com');
    expect(externalOrigin(Testing.chart(), 'http://registry.example.com:8443')).toBe('http://registry.example.com:8443');
    expect(() => externalOrigin(Testing.chart(), 'https://user:pw@registry.example.com')).toThrow(/'externalUrl'.*host and optional port only/);
    expect(() => externalOrigin(Testing.chart(), 'ftp://registry.example.com')).toThrow(/'externalUrl'.*must be an http\(s\) URL/);
  });

  test('external URL must be a plain http(s) origin', () => {
    expect(make({ externalUrl: 'registry.example.com' })).toThrow(/'externalUrl'.*is not a URL/);
    expect(make({ externalUrl: 'https://registry.example.com/v2' })).toThrow(/'externalUrl'.*host and optional port only/);
  });
});

describe('checkReplicas', () => {
  test('one replica is always fine; more need shared storage and a shared http secret', () => {
    expect(() => checkReplicas(Testing.chart(), 1, 'the data volume is ReadWriteOnce', undefined)).not.toThrow();
    expect(() => checkReplicas(Testing.chart(), 3, undefined, {})).not.toThrow();
    expect(() => checkReplicas(Testing.chart(), 3, 'a reason', undefined)).toThrow(/^test: 'replicas' \(3\) must be 1 with this storage: a reason\. Use object storage or a ReadWriteMany claim/);
  });

  test('replicas > 1 on a ReadWriteOnce claim says why', () => {
    expect(make({ replicas: 2 })).toThrow(/Registry: 'replicas' \(2\) must be 1 with this storage: the data volume is ReadWriteOnce/);
  });

  test('replicas > 1 on emptyDir and inmemory', () => {
    expect(make({ replicas: 2, storage: StorageBackend.emptyDir() })).toThrow(/'replicas'.*own emptyDir/);
    expect(make({ replicas: 2, storage: StorageBackend.inMemory() })).toThrow(/'replicas'.*inmemory/);
  });

  test('replicas > 1 without a shared http secret', () => {
    expect(make({ replicas: 2, storage: StorageBackend.persistentVolumeClaim({ accessMode: kplus.PersistentVolumeAccessMode.READ_WRITE_MANY }) })).toThrow(/'httpSecret' is required with 2 replicas/);
  });
});
