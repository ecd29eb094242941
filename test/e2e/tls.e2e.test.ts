/**
 * In-pod TLS against the real registry: the pod serves HTTPS with the certificate of the Secret it was
 * given (checked by fingerprint), images push and pull over HTTPS, the minimum TLS version is enforced,
 * and a client CA makes client certificates mandatory.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tls from 'tls';
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  buildImage, cleanupAll, describeVersions, E2eVersion, e2eVersions, expectSameContent, httpRequest, pull, push, RegistryPod,
  requireEnvironment, tempDir,
} from './harness';
import { RegistryAuth, RegistryDeployment, RegistryTls, RegistryTlsFromSecretOptions, TlsVersion } from '../../src';
import { validateChart } from '../util/validate-manifests';

beforeAll(() => requireEnvironment(['openssl']));
afterAll(() => cleanupAll());

interface KeyPair { readonly cert: string; readonly key: string; readonly fingerprint: string }

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf-8', stdio: ['ignore', 'pipe', 'pipe'] });
}

interface CertFiles extends KeyPair { readonly certFile: string; readonly keyFile: string }

/** A self-signed server certificate for 127.0.0.1, or one signed by `ca` when given. */
function makeCert(dir: string, name: string, subject: string, ca?: CertFiles): CertFiles {
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.crt`);
  if (ca) {
    const csr = path.join(dir, `${name}.csr`);
    openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', subject]);
    openssl(['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-days', '1', '-out', certFile]);
  } else {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', subject,
      '-addext', 'subjectAltName=IP:127.0.0.1', '-addext', 'basicConstraints=critical,CA:TRUE']);
  }
  const fingerprint = openssl(['x509', '-in', certFile, '-noout', '-fingerprint', '-sha256']).trim().split('=')[1];
  return { cert: fs.readFileSync(certFile, 'utf-8'), key: fs.readFileSync(keyFile, 'utf-8'), fingerprint, certFile, keyFile };
}

type Secrets = { [name: string]: { [key: string]: string } };

async function startPod(server: KeyPair, options: (chart: Chart) => RegistryTlsFromSecretOptions, secrets: Secrets = {}) {
  const chart = new Chart(Testing.app(), 'tls', { namespace: 'registry' });
  new RegistryDeployment(chart, 'Registry', {
    name: 'registry',
    version: current.version,
    auth: RegistryAuth.none(),
    tls: RegistryTls.fromSecret(kplus.Secret.fromSecretName(chart, 'Tls', 'registry-tls'), options(chart)),
  });
  const objects = validateChart(chart);
  const pod = new RegistryPod(objects, { externalSecrets: { 'registry-tls': { 'tls.crt': server.cert, 'tls.key': server.key }, ...secrets } });
  await pod.start(); // the readiness probe is HTTPS
  return pod;
}

/** The TLS handshake's outcome: the server certificate's SHA-256 fingerprint, or the error. */
function handshake(port: number, options: tls.ConnectionOptions = {}): Promise<{ fingerprint?: string; protocol?: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      const protocol = socket.getProtocol() ?? undefined;
      // Send a request so a rejected client certificate (TLS 1.3 reports it after the handshake) shows up.
      socket.write('GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      let data = '';
      socket.on('data', (c) => { data += c.toString(); });
      socket.on('end', () => resolve(data.startsWith('HTTP/1.1') ? { fingerprint, protocol } : { error: 'no HTTP answer' }));
      socket.on('error', (e) => resolve({ error: e.message }));
    });
    socket.on('error', (e) => resolve({ error: e.message }));
    socket.setTimeout(5000, () => { socket.destroy(); resolve({ error: 'timeout' }); });
  });
}

/** The registry version of the describe block running. */
let current: E2eVersion;

describeVersions(e2eVersions(), (v) => {
  beforeAll(() => { current = v; });

  test('serves HTTPS with the given certificate; images push and pull over HTTPS', async () => {
    // GIVEN a self-signed certificate in a test-supplied kubernetes.io/tls Secret
    const dir = tempDir('tls-e2e-');
    const server = makeCert(dir, 'server', '/CN=registry.test');
    const pod = await startPod(server, () => ({}));

    // THEN the served certificate is that one
    const result = await handshake(pod.port);
    expect(result.error).toBeUndefined();
    expect(result.fingerprint).toBe(server.fingerprint);
    // and it verifies against itself as the CA, for 127.0.0.1
    const verified = await handshake(pod.port, { rejectUnauthorized: true, ca: server.cert });
    expect(verified.error).toBeUndefined();
    // the API answers over HTTPS, plain HTTP is refused
    expect((await httpRequest(`https://${pod.address}/v2/`)).status).toBe(200);
    expect((await httpRequest(`http://${pod.address}/v2/`)).status).toBe(400);

    // WHEN an image is pushed and pulled (skopeo speaks HTTPS first)
    const image = buildImage({ sizeBytes: 1024 * 1024, tag: 'v1' });
    await push(image, `${pod.address}/tls/app:v1`);
    expectSameContent(image, await pull(`${pod.address}/tls/app:v1`));
  });

  test('minimum TLS version 1.3 refuses TLS 1.2 clients', async () => {
    const dir = tempDir('tls-e2e-');
    const server = makeCert(dir, 'server', '/CN=registry.test');
    const pod = await startPod(server, () => ({ minimumVersion: TlsVersion.TLS1_3 }));
    const tls13 = await handshake(pod.port);
    expect(tls13).toMatchObject({ protocol: 'TLSv1.3', fingerprint: server.fingerprint });
    const tls12 = await handshake(pod.port, { maxVersion: 'TLSv1.2' });
    expect(tls12.error).toMatch(/protocol version|alert|handshake/i);
  });

  test('a client CA makes client certificates mandatory', async () => {
    // GIVEN a CA (self-signed) and a client certificate it signed, the CA in its own Secret
    const dir = tempDir('tls-e2e-');
    const server = makeCert(dir, 'server', '/CN=registry.test');
    const ca = makeCert(dir, 'ca', '/CN=Test Client CA');
    const client = makeCert(dir, 'client', '/CN=ci-client', ca);
    const pod = await startPod(
      server,
      (chart) => ({ clientCa: { secret: kplus.Secret.fromSecretName(chart, 'ClientCa', 'client-ca'), key: 'ca.crt' } }),
      { 'client-ca': { 'ca.crt': ca.cert } },
    );
    // THEN a client without a certificate is refused, one with a certificate from the CA gets an answer
    expect((await handshake(pod.port)).error).toBeDefined();
    const withCert = await handshake(pod.port, { cert: client.cert, key: client.key });
    expect(withCert).toMatchObject({ fingerprint: server.fingerprint });
    expect(withCert.error).toBeUndefined();
    // and a certificate from another issuer is refused
    const other = makeCert(dir, 'other', '/CN=intruder');
    expect((await handshake(pod.port, { cert: other.cert, key: other.key })).error).toBeDefined();
  });
});
