/**
 * Debian's redis-server on 127.0.0.1 at a free port, with a password and optionally TLS (a throwaway CA made
 * by openssl, a server certificate for 127.0.0.1 and a client certificate), for the redis blob descriptor cache.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ThrowawayCa } from './certificates';
import { freePort, sleep, stopProcess, tempDir, trackProcess } from './cleanup';

/** Options of `RedisServer.start`. */
export interface RedisServerOptions {
  /** `requirepass`; binary-safe (any bytes). Default: no password. */
  readonly password?: string;
  /** Serve TLS only (no plain port); `requireClientCertificate` sets `tls-auth-clients`. Default: plain TCP. */
  readonly tls?: { readonly requireClientCertificate: boolean };
}

/** PEM files of the throwaway CA and the certificates it signed. */
export interface RedisTlsFiles {
  readonly caFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** The same, as text, for Secrets. */
  readonly ca: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/** redis.conf's double-quoted strings take \\, \", and \xHH escapes. */
function quoteConf(value: string): string {
  return `"${[...Buffer.from(value, 'utf-8')].map((b) => {
    if (b === 0x5c) return '\\\\';
    if (b === 0x22) return '\\"';
    return b < 0x20 || b >= 0x7f ? `\\x${b.toString(16).padStart(2, '0')}` : String.fromCharCode(b);
  }).join('')}"`;
}

function makeCertificates(dir: string): RedisTlsFiles {
  const ca = ThrowawayCa.create(dir, 'e2e redis CA');
  ca.issue('server', '/CN=127.0.0.1', ['subjectAltName=IP:127.0.0.1', 'extendedKeyUsage=serverAuth']);
  const client = ca.issue('client', '/CN=registry', ['extendedKeyUsage=clientAuth']);
  return {
    caFile: ca.certFile,
    clientCertFile: client.certFile,
    clientKeyFile: client.keyFile,
    ca: ca.cert,
    clientCert: client.cert,
    clientKey: client.key,
  };
}

/** A running redis-server; `cleanupAll()` stops it too. */
export class RedisServer {
  /** Starts redis-server and resolves once it answers PING. */
  public static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const port = await freePort();
    const dir = tempDir('redis');
    const tls = options.tls ? makeCertificates(dir) : undefined;
    const conf = ['bind 127.0.0.1', `dir ${dir}`, 'save ""', 'appendonly no', 'protected-mode yes'];
    if (options.password !== undefined) conf.push(`requirepass ${quoteConf(options.password)}`);
    if (tls) {
      conf.push('port 0', `tls-port ${port}`, `tls-cert-file ${path.join(dir, 'server.crt')}`, `tls-key-file ${path.join(dir, 'server.key')}`,
        `tls-ca-cert-file ${tls.caFile}`, `tls-auth-clients ${options.tls!.requireClientCertificate ? 'yes' : 'no'}`);
    } else {
      conf.push(`port ${port}`);
    }
    fs.writeFileSync(path.join(dir, 'redis.conf'), conf.join('\n') + '\n');
    const child = spawn('redis-server', [path.join(dir, 'redis.conf')], { detached: true, stdio: 'ignore' });
    trackProcess(child);
    const server = new RedisServer(port, child, options.password, tls);
    for (let i = 0; ; i++) {
      try {
        if (server.cli(['ping']).trim() === 'PONG') break;
      } catch (e) {
        if (i > 200) throw e;
      }
      await sleep(50);
    }
    return server;
  }

  private constructor(
    /** The port on 127.0.0.1 (the TLS port with `tls`). */
    public readonly port: number,
    private readonly child: ChildProcess,
    private readonly password: string | undefined,
    /** The CA and client certificate, with `tls`. */
    public readonly tls: RedisTlsFiles | undefined,
  ) {}

  /** `127.0.0.1:PORT`. */
  public get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Runs Debian's redis-cli against this server (password through REDISCLI_AUTH, TLS with the client certificate). */
  public cli(args: string[]): string {
    const tlsArgs = this.tls ? ['--tls', '--cacert', this.tls.caFile, '--cert', this.tls.clientCertFile, '--key', this.tls.clientKeyFile] : [];
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
    if (this.password !== undefined) env.REDISCLI_AUTH = this.password;
    return execFileSync('redis-cli', ['-e', '-h', '127.0.0.1', '-p', String(this.port), ...tlsArgs, ...args], {
      encoding: 'utf-8', env, stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  /** Every key of database `db`. */
  public keys(db: number): string[] {
    return this.cli(['-n', String(db), '--scan']).split('\n').filter(Boolean).sort();
  }

  /** Stops the server. */
  public async stop(): Promise<void> {
    await stopProcess(this.child);
  }
}
