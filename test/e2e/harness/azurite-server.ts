/**
 * Azurite, Microsoft's Azure Blob Storage emulator (npm `azurite` 3.35.x, a devDependency), on 127.0.0.1 at a
 * free port with the emulator's well-known account, for registry 3.x's azure driver. Debian's 2.8.2 has no
 * azure driver, so this runs on 3.x only.
 */
import { ChildProcess, spawn } from 'child_process';
import { createHmac } from 'crypto';
import * as path from 'path';
import { cleanEnv, freePort, isRunning, sleep, stopProcess, tempDir, trackProcess } from './cleanup';
import { httpRequest } from './http';

/** Azurite's development account and its published key (not a secret). */
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const API_VERSION = '2021-08-06';

/** A running Azurite blob service. `stop()` it, or let `cleanupAll()` do so. */
export class AzuriteServer {
  /** Starts Azurite (`--disableTelemetry`, loopback, a free port) and resolves once it answers. */
  public static async start(): Promise<AzuriteServer> {
    const port = await freePort();
    const dir = tempDir('azurite');
    const binary = path.join(__dirname, '..', '..', '..', 'node_modules', '.bin', 'azurite-blob');
    const child = spawn(binary, ['--blobHost', '127.0.0.1', '--blobPort', String(port), '--location', dir, '--disableTelemetry', '--silent'],
      { env: cleanEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    trackProcess(child);
    const server = new AzuriteServer(child, port);
    for (let i = 0; i < 300; i++) {
      if (!isRunning(child)) throw new Error(`azurite exited before it answered: ${server.output}`);
      try {
        await httpRequest(`${server.serviceUrl}?comp=list`, { timeoutMs: 1000 });
        return server;
      } catch {
        await sleep(100);
      }
    }
    throw new Error(`azurite did not answer on port ${port}: ${server.output}`);
  }

  /** The storage account name. */
  public readonly accountName = ACCOUNT;
  /** The account's shared key. */
  public readonly accountKey = ACCOUNT_KEY;
  private output = '';

  private constructor(private readonly child: ChildProcess, public readonly port: number) {
    child.stdout!.on('data', (c: Buffer) => { this.output += c.toString('utf-8'); });
    child.stderr!.on('data', (c: Buffer) => { this.output += c.toString('utf-8'); });
  }

  /** The Blob service URL of the account (`serviceurl` for the azure driver). */
  public get serviceUrl(): string {
    return `http://127.0.0.1:${this.port}/${ACCOUNT}`;
  }

  /** Creates a container (the driver expects it to exist). */
  public async createContainer(name: string): Promise<void> {
    const res = await this.request('PUT', name, { restype: 'container' });
    if (res.status !== 201) throw new Error(`creating container ${name}: HTTP ${res.status} ${res.body}`);
  }

  /** The names of every blob in a container. */
  public async listBlobs(container: string): Promise<string[]> {
    const res = await this.request('GET', container, { comp: 'list', restype: 'container' });
    if (res.status !== 200) throw new Error(`listing container ${container}: HTTP ${res.status} ${res.body}`);
    return [...res.body.matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => m[1]).sort();
  }

  /** Stops Azurite. */
  public async stop(): Promise<void> {
    await stopProcess(this.child);
  }

  /** A request signed with the account's shared key (Blob service SharedKey authorization). */
  private request(method: string, resource: string, query: { [name: string]: string }) {
    const date = new Date().toUTCString();
    const canonicalHeaders = `x-ms-date:${date}\nx-ms-version:${API_VERSION}\n`;
    const canonicalResource = `/${ACCOUNT}/${ACCOUNT}/${resource}` + Object.keys(query).sort().map((k) => `\n${k}:${query[k]}`).join('');
    const toSign = [method, '', '', '', '', '', '', '', '', '', '', ''].join('\n') + '\n' + canonicalHeaders + canonicalResource;
    const signature = createHmac('sha256', Buffer.from(ACCOUNT_KEY, 'base64')).update(toSign, 'utf-8').digest('base64');
    const qs = Object.keys(query).sort().map((k) => `${k}=${encodeURIComponent(query[k])}`).join('&');
    return httpRequest(`${this.serviceUrl}/${resource}?${qs}`, {
      method,
      headers: { 'x-ms-date': date, 'x-ms-version': API_VERSION, 'Authorization': `SharedKey ${ACCOUNT}:${signature}`, 'Content-Length': '0' },
    });
  }
}
