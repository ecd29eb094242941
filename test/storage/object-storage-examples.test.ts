import { Testing } from 'cdk8s';
import { expectNoCredentialOutsideSecrets, Obj } from './object-storage-helpers';
import { DigitalOceanSpacesRegistryChart } from '../../examples/digitalocean-spaces';
import { SoftLayerRegistryChart } from '../../examples/softlayer-registry';
import { SwiftRegistryChart } from '../../examples/swift-registry';
import { validateChart } from '../util/validate-manifests';

function render(objects: Obj[]) {
  const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config: Obj = require('yaml').parse(configMap.data[Object.keys(configMap.data)[0]]);
  const deployment = objects.find((o) => o.kind === 'Deployment')!;
  return { config, deployment, container: deployment.spec.template.spec.containers[0] as Obj };
}

describe('object storage examples', () => {
  test('seed 000, DigitalOcean Spaces on OpenShift', () => {
    const objects = validateChart(new DigitalOceanSpacesRegistryChart(Testing.app(), 'digitalocean-spaces'));
    const { config, deployment, container } = render(objects);
    expect(objects[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'spaces-registry' } });
    expect(objects.slice(1).every((o) => o.metadata.namespace === 'spaces-registry')).toBe(true);
    expect(config.storage.s3).toMatchObject({ regionendpoint: 'https://ams3.digitaloceanspaces.com', bucket: 'space-name', forcepathstyle: true });
    expect(config.storage.delete).toEqual({ enabled: true });
    // OpenShift assigns the UID: none is pinned.
    expect(deployment.spec.template.spec.securityContext.runAsUser).toBeUndefined();
    expect(deployment.spec.replicas).toBe(2);
    expect(container.env.map((e: Obj) => e.name)).toEqual(['REGISTRY_HTTP_SECRET', 'REGISTRY_STORAGE_S3_ACCESSKEY', 'REGISTRY_STORAGE_S3_SECRETKEY', 'OTEL_TRACES_EXPORTER']);
    // htpasswd auth and an edge Route that redirects plain HTTP; the registry knows its external URL.
    expect(config.auth.htpasswd.path).toBeDefined();
    const route = objects.find((o) => o.kind === 'Route')!;
    expect(route.spec).toMatchObject({ host: 'registry.apps.example.com', tls: { termination: 'edge', insecureEdgeTerminationPolicy: 'Redirect' } });
    expect(config.http.host).toBe('https://registry.apps.example.com');
    expectNoCredentialOutsideSecrets(objects, config);
    expect(objects).toMatchSnapshot();
  });

  test('seed 003, Swift with Keystone v2', () => {
    const objects = validateChart(new SwiftRegistryChart(Testing.app(), 'swift-registry'));
    const { config, container } = render(objects);
    expect(container.image).toBe('registry:2.8.3');
    expect(config.storage.swift).toEqual({
      authurl: 'https://mycloud.openstack.com:5000/v2.0', authversion: 2, tenant: 'tenantname', container: 'my_docker_registry', prefix: '/swift/object/name/prefix',
    });
    expectNoCredentialOutsideSecrets(objects, config);
    expect(objects).toMatchSnapshot();
  });

  test('seed 004, SoftLayer with Swift v1 auth', () => {
    const objects = validateChart(new SoftLayerRegistryChart(Testing.app(), 'softlayer-registry'));
    const { config, container } = render(objects);
    expect(container.image).toBe('registry:2.8.3');
    expect(config.storage.swift).toEqual({ authurl: 'https://dal05.objectstorage.service.networklayer.com/auth/v1.0', authversion: 1, container: 'docker-registry' });
    expect(container.env.map((e: Obj) => [e.name, e.valueFrom.secretKeyRef.key])).toEqual([
      ['REGISTRY_STORAGE_SWIFT_PASSWORD', 'OS_PASSWORD'], ['REGISTRY_STORAGE_SWIFT_USERNAME', 'OS_USERNAME'],
    ]);
    expectNoCredentialOutsideSecrets(objects, config);
    expect(objects).toMatchSnapshot();
  });
});
