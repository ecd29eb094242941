/**
 * Throwaway X.509 material made by `openssl`: a CA and certificates it signs (redis TLS, token signing keys).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** A certificate and its private key, as files and as PEM text. */
export interface CertifiedKey {
  readonly certFile: string;
  readonly keyFile: string;
  /** The certificate, PEM. */
  readonly cert: string;
  /** The private key, PEM (PKCS#8). */
  readonly key: string;
}

/** A throwaway CA in a folder; `issue()` signs certificates with it. */
export class ThrowawayCa implements CertifiedKey {
  /** Makes a self-signed CA (RSA 2048, valid 2 days) named `commonName` in `dir`. */
  public static create(dir: string, commonName: string): ThrowawayCa {
    openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', `/CN=${commonName}`]);
    return new ThrowawayCa(dir);
  }

  public readonly certFile: string;
  public readonly keyFile: string;
  public readonly cert: string;
  public readonly key: string;

  private constructor(private readonly dir: string) {
    this.certFile = path.join(dir, 'ca.crt');
    this.keyFile = path.join(dir, 'ca.key');
    this.cert = fs.readFileSync(this.certFile, 'utf-8');
    this.key = fs.readFileSync(this.keyFile, 'utf-8');
  }

  /**
   * A new RSA 2048 key and a certificate for it signed by this CA, as `NAME.key`/`NAME.crt` in the CA's folder.
   * `extensions` are OpenSSL extension lines (`subjectAltName=IP:127.0.0.1`, `extendedKeyUsage=serverAuth`).
   */
  public issue(name: string, subject: string, extensions: string[] = []): CertifiedKey {
    fs.writeFileSync(path.join(this.dir, `${name}.ext`), extensions.map((e) => e + '\n').join(''));
    openssl(this.dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
    openssl(this.dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`,
      '-days', '2', '-extfile', `${name}.ext`]);
    const certFile = path.join(this.dir, `${name}.crt`);
    const keyFile = path.join(this.dir, `${name}.key`);
    return { certFile, keyFile, cert: fs.readFileSync(certFile, 'utf-8'), key: fs.readFileSync(keyFile, 'utf-8') };
  }
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
}
