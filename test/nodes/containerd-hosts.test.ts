import * as fs from 'fs';
import * as path from 'path';
import { containerdHostsDirectory, containerdHostsFiles, containerdHostsToml } from '../../src/nodes/containerd-hosts';

const CA = fs.readFileSync(path.join(__dirname, 'fixtures', 'ca.pem'), 'utf-8');

describe('containerdHostsToml (containerd 1.5+ hosts.toml)', () => {
  test('a mirror: the upstream is the server, the endpoint a host that pulls and resolves', () => {
    expect(containerdHostsToml({ imageHost: 'docker.io', endpoint: 'http://localhost:30500', upstreamUrl: 'https://registry-1.docker.io' })).toBe([
      '# containerd registry host docker.io: rendered by cdk8s-registry, edits are overwritten',
      'server = "https://registry-1.docker.io"',
      '',
      '[host."http://localhost:30500"]',
      '  capabilities = ["pull", "resolve"]',
      '',
    ].join('\n'));
  });

  test('a mirror behind https with its own CA: ca names the file beside hosts.toml', () => {
    const host = { imageHost: 'ghcr.io', endpoint: 'https://mirror.example.com', upstreamUrl: 'https://ghcr.io', caCertificate: CA };
    expect(containerdHostsToml(host)).toBe([
      '# containerd registry host ghcr.io: rendered by cdk8s-registry, edits are overwritten',
      'server = "https://ghcr.io"',
      '',
      '[host."https://mirror.example.com"]',
      '  capabilities = ["pull", "resolve"]',
      '  ca = "ca.crt"',
      '',
    ].join('\n'));
    const files = containerdHostsFiles(host);
    expect(files.map((f) => f.path)).toEqual(['etc/containerd/certs.d/ghcr.io/hosts.toml', 'etc/containerd/certs.d/ghcr.io/ca.crt']);
    expect(files[1].content).toBe(CA.trim() + '\n');
  });

  test('a private https registry with a CA: the endpoint is the server and its one host (containerd 1.6 needs a [host]), and takes pushes', () => {
    const host = { imageHost: 'registry.example.com', endpoint: 'https://registry.example.com', caCertificate: CA, requiresPullSecret: true };
    expect(containerdHostsToml(host)).toBe([
      '# containerd registry host registry.example.com: rendered by cdk8s-registry, edits are overwritten',
      'server = "https://registry.example.com"',
      'ca = "ca.crt"',
      '',
      '[host."https://registry.example.com"]',
      '  capabilities = ["pull", "resolve", "push"]',
      '  ca = "ca.crt"',
      '',
    ].join('\n'));
  });

  test('a private registry on an http NodePort: server is the http endpoint', () => {
    expect(containerdHostsToml({ imageHost: 'registry.internal:5000', endpoint: 'http://127.0.0.1:30501' })).toBe([
      '# containerd registry host registry.internal:5000: rendered by cdk8s-registry, edits are overwritten',
      'server = "http://127.0.0.1:30501"',
      '',
      '[host."http://127.0.0.1:30501"]',
      '  capabilities = ["pull", "resolve", "push"]',
      '',
    ].join('\n'));
  });

  test('skip-verify', () => {
    expect(containerdHostsToml({ imageHost: 'quay.io', endpoint: 'https://10.0.0.5:30443', upstreamUrl: 'https://quay.io', insecureSkipVerify: true }))
      .toMatch(/\[host\."https:\/\/10\.0\.0\.5:30443"\]\n {2}capabilities = \["pull", "resolve"\]\n {2}skip_verify = true\n$/);
  });

  test('the directory is the host with its port, as containerd looks it up on Unix', () => {
    expect(containerdHostsDirectory({ imageHost: 'docker.io', endpoint: 'http://localhost:30500' })).toBe('docker.io');
    expect(containerdHostsDirectory({ imageHost: 'registry.example.com:5000', endpoint: 'http://localhost:30500' })).toBe('registry.example.com:5000');
  });

  test('bad hosts are refused, naming the property', () => {
    expect(() => containerdHostsToml({ imageHost: 'https://docker.io', endpoint: 'http://localhost:30500' })).toThrow(/'imageHost'.*without scheme/);
    expect(() => containerdHostsToml({ imageHost: 'docker.io', endpoint: 'localhost:30500' })).toThrow(/'endpoint'.*scheme:\/\/host\[:port\]/);
    expect(() => containerdHostsToml({ imageHost: 'docker.io', endpoint: 'http://localhost:30500/v2' })).toThrow(/'endpoint'/);
    expect(() => containerdHostsToml({ imageHost: 'docker.io', endpoint: 'http://localhost:70000' })).toThrow(/'endpoint'/);
    expect(() => containerdHostsToml({ imageHost: 'docker.io', endpoint: 'http://localhost:1', upstreamUrl: 'registry-1.docker.io' })).toThrow(/'upstreamUrl'/);
    expect(() => containerdHostsToml({ imageHost: 'docker.io', endpoint: 'https://m.example.com', caCertificate: 'not a pem' })).toThrow(/'caCertificate'.*PEM/);
    expect(() => containerdHostsToml({ imageHost: 'docker.io', endpoint: 'http://m.example.com', caCertificate: CA })).toThrow(/'caCertificate'.*plain http/);
    expect(() => containerdHostsToml({ imageHost: 'docker.io', endpoint: 'https://m.example.com', caCertificate: CA, insecureSkipVerify: true }))
      .toThrow(/'insecureSkipVerify'/);
  });

  test('a malformed or key-bearing PEM is refused', () => {
    const broken = CA.replace(/^M.{10}/m, 'MIIBqDCCAU2gAwIBAgIU!!!!');
    expect(() => containerdHostsToml({ imageHost: 'docker.io', endpoint: 'https://m.example.com', caCertificate: broken })).toThrow(/does not parse/);
    const withKey = `${CA}-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n`;
    expect(() => containerdHostsToml({ imageHost: 'docker.io', endpoint: 'https://m.example.com', caCertificate: withKey })).toThrow(/private key does not belong/);
  });
});
