import * as fs from 'fs';
import * as path from 'path';
import { containersCertificateFiles, registriesConfDropIn } from '../../src/nodes/registries-conf';

const CA = fs.readFileSync(path.join(__dirname, 'fixtures', 'ca.pem'), 'utf-8');

describe('registriesConfDropIn (containers-registries.conf(5) v2)', () => {
  test('a mirror, a private https registry with a CA, an http NodePort and skip-verify, sorted by host', () => {
    const text = registriesConfDropIn([
      { imageHost: 'registry.example.com', endpoint: 'https://registry.example.com', caCertificate: CA },
      { imageHost: 'quay.io', endpoint: 'https://10.0.0.5:30443', upstreamUrl: 'https://quay.io', insecureSkipVerify: true },
      { imageHost: 'docker.io', endpoint: 'http://localhost:30500', upstreamUrl: 'https://registry-1.docker.io' },
      { imageHost: 'registry.internal:5000', endpoint: 'http://127.0.0.1:30501' },
    ]);
    expect(text).toBe([
      '# containers-registries.conf(5) v2 drop-in: rendered by cdk8s-registry, edits are overwritten',
      '',
      '[[registry]]',
      'prefix = "docker.io"',
      'location = "registry-1.docker.io"',
      '',
      '[[registry.mirror]]',
      'location = "localhost:30500"',
      'insecure = true',
      '',
      '[[registry]]',
      'prefix = "quay.io"',
      'location = "quay.io"',
      '',
      '[[registry.mirror]]',
      'location = "10.0.0.5:30443"',
      'insecure = true',
      '',
      '[[registry]]',
      'prefix = "registry.example.com"',
      'location = "registry.example.com"',
      '',
      '[[registry]]',
      'prefix = "registry.internal:5000"',
      'location = "127.0.0.1:30501"',
      'insecure = true',
      '',
    ].join('\n'));
  });

  test('an http upstream is insecure at the registry level', () => {
    expect(registriesConfDropIn([{ imageHost: 'upstream.internal', endpoint: 'https://mirror.example.com', upstreamUrl: 'http://upstream.internal:5000' }]))
      .toMatch(/location = "upstream.internal:5000"\ninsecure = true\n\n\[\[registry.mirror\]\]\nlocation = "mirror.example.com"\n$/);
  });

  test('the same host twice is refused', () => {
    expect(() => registriesConfDropIn([
      { imageHost: 'docker.io', endpoint: 'http://localhost:30500', upstreamUrl: 'https://registry-1.docker.io' },
      { imageHost: 'docker.io', endpoint: 'http://localhost:30501', upstreamUrl: 'https://registry-1.docker.io' },
    ])).toThrow(/"docker.io" is given twice/);
  });
});

describe('containersCertificateFiles', () => {
  test('one ca.crt per endpoint host:port, where containers/image reads it', () => {
    expect(containersCertificateFiles([
      { imageHost: 'ghcr.io', endpoint: 'https://mirror.example.com:8443', upstreamUrl: 'https://ghcr.io', caCertificate: CA },
      { imageHost: 'quay.io', endpoint: 'https://mirror.example.com:8443', upstreamUrl: 'https://quay.io', caCertificate: CA },
      { imageHost: 'docker.io', endpoint: 'http://localhost:30500', upstreamUrl: 'https://registry-1.docker.io' },
    ])).toEqual([{ path: 'etc/containers/certs.d/mirror.example.com:8443/ca.crt', content: CA.trim() + '\n' }]);
  });

  test('two CAs for one endpoint are refused', () => {
    const other = CA.replace('-----END CERTIFICATE-----', '-----END CERTIFICATE-----\n' + CA.trim());
    expect(() => containersCertificateFiles([
      { imageHost: 'ghcr.io', endpoint: 'https://m.example.com', upstreamUrl: 'https://ghcr.io', caCertificate: CA },
      { imageHost: 'quay.io', endpoint: 'https://m.example.com', upstreamUrl: 'https://quay.io', caCertificate: other },
    ])).toThrow(/another CA/);
  });
});
