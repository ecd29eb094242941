/**
 * An all-in-one OpenStack Swift on 127.0.0.1 (proxy with tempauth and s3api, account, container and
 * object servers, memcached), with configs and data in a temp folder: the real object store behind
 * the S3 and Swift scenarios.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { cleanEnv, freePort, isRunning, requireEnvironment, run, sleep, stopProcess, tempDir, trackProcess } from './cleanup';
import { httpRequest } from './http';
import { tail } from './registry-pod';

/** The binaries an all-in-one Swift needs. */
const SWIFT_BINARIES = ['swift-proxy-server', 'swift-account-server', 'swift-container-server', 'swift-object-server', 'swift-ring-builder', 'memcached'];

/** The region Swift's s3api is (its `location`): requests signed for another region are refused. */
const S3_REGION = 'us-east-1';

/** A running all-in-one Swift. Start with `SwiftServer.start()`; `cleanupAll()` stops it. */
export class SwiftServer {
  /** Starts memcached and the four Swift servers; resolves once an authenticated request succeeds. */
  public static async start(timeoutMs = 90000): Promise<SwiftServer> {
    requireEnvironment(SWIFT_BINARIES);
    if (!fs.existsSync('/etc/swift/swift.conf')) {
      throw new Error('/etc/swift/swift.conf is missing (it holds the hash prefix/suffix): install the swift package as .ci/run does');
    }
    const root = tempDir('swift');
    const etc = path.join(root, 'etc');
    const devices = path.join(root, 'srv');
    fs.mkdirSync(etc);
    fs.mkdirSync(path.join(devices, 'd1'), { recursive: true });
    fs.mkdirSync(path.join(root, 'cache'));
    const ports = {
      proxy: await freePort(), account: await freePort(), container: await freePort(), object: await freePort(), memcached: await freePort(),
    };

    for (const [ring, port] of [['account', ports.account], ['container', ports.container], ['object', ports.object]] as const) {
      const builder = path.join(etc, `${ring}.builder`);
      run('swift-ring-builder', [builder, 'create', '4', '1', '1']);
      run('swift-ring-builder', [builder, 'add', `r1z1-127.0.0.1:${port}/d1`, '1']);
      run('swift-ring-builder', [builder, 'rebalance']);
      fs.writeFileSync(path.join(etc, `${ring}-server.conf`), [
        '[DEFAULT]',
        `devices = ${devices}`,
        'mount_check = false',
        // A throwaway store: no free-space reserve. The default (1% of the disk) answers 507 to every
        // write once the machine's disk is 99% full, which a CI machine can be while its own disk is fine.
        'fallocate_reserve = 0',
        'disable_fallocate = true',
        'bind_ip = 127.0.0.1',
        `bind_port = ${port}`,
        'workers = 0',
        'user = root',
        `swift_dir = ${etc}`,
        `recon_cache_path = ${path.join(root, 'cache')}`,
        '',
        '[pipeline:main]',
        `pipeline = ${ring}-server`,
        '',
        `[app:${ring}-server]`,
        `use = egg:swift#${ring}`,
        '',
      ].join('\n'));
    }
    const filters = ['catch_errors', 'gatekeeper', 'healthcheck', 'proxy-logging', 'listing_formats', 'bulk', 'copy', 'slo', 'dlo'];
    fs.writeFileSync(path.join(etc, 'proxy-server.conf'), [
      '[DEFAULT]',
      'bind_ip = 127.0.0.1',
      `bind_port = ${ports.proxy}`,
      'workers = 0',
      'user = root',
      `swift_dir = ${etc}`,
      '',
      '[pipeline:main]',
      'pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo proxy-logging proxy-server',
      '',
      '[app:proxy-server]',
      'use = egg:swift#proxy',
      'account_autocreate = true',
      '',
      '[filter:tempauth]',
      'use = egg:swift#tempauth',
      'user_test_tester = testing .admin',
      '',
      '[filter:s3api]',
      'use = egg:swift#s3api',
      `location = ${S3_REGION}`,
      '',
      '[filter:cache]',
      'use = egg:swift#memcache',
      `memcache_servers = 127.0.0.1:${ports.memcached}`,
      '',
      ...filters.flatMap((f) => [`[filter:${f}]`, `use = egg:swift#${f.replace('-', '_')}`, '']),
    ].join('\n'));

    const server = new SwiftServer(root, ports.proxy);
    server.launch('memcached', ['-l', '127.0.0.1', '-p', String(ports.memcached), '-U', '0', '-u', 'root', '-m', '64']);
    for (const ring of ['account', 'container', 'object']) {
      server.launch(`swift-${ring}-server`, [path.join(etc, `${ring}-server.conf`), '-v']);
    }
    server.launch('swift-proxy-server', [path.join(etc, 'proxy-server.conf'), '-v']);
    await server.waitReady(Object.values(ports), timeoutMs);
    return server;
  }

  /** The tempauth user. */
  public readonly user = 'test:tester';
  /** The tempauth user's key (password). */
  public readonly key = 'testing';
  /** The Swift account of the tempauth user. */
  public readonly account = 'AUTH_test';
  /** The region of the S3 API (s3api's `location`): the S3 driver must sign for it. */
  public readonly region = S3_REGION;

  private readonly processes: ChildProcess[] = [];
  private output = '';

  private constructor(public readonly root: string, public readonly port: number) {
  }

  /** `http://127.0.0.1:PORT`: the proxy, which is also the S3 endpoint (`regionEndpoint`). */
  public get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The tempauth v1 endpoint (`${url}/auth/v1.0`). */
  public get authUrlV1(): string {
    return `${this.url}/auth/v1.0`;
  }

  /** A tempauth token for the test user. */
  public async token(): Promise<string> {
    const res = await httpRequest(this.authUrlV1, { headers: { 'X-Auth-User': this.user, 'X-Auth-Key': this.key } });
    const token = res.headers['x-auth-token'];
    if (res.status !== 200 || typeof token !== 'string') {
      throw new Error(`tempauth answered ${res.status}: ${res.body}`);
    }
    return token;
  }

  /** Creates a Swift container, which is also an S3 bucket of the same name. */
  public async createContainer(name: string): Promise<void> {
    const res = await httpRequest(`${this.url}/v1/${this.account}/${name}`, { method: 'PUT', headers: { 'X-Auth-Token': await this.token() } });
    if (res.status !== 201 && res.status !== 202) {
      throw new Error(`creating container ${name} answered ${res.status}: ${res.body}`);
    }
  }

  /** The names of the objects in a container (first 10000). */
  public async listObjects(container: string): Promise<string[]> {
    const res = await httpRequest(`${this.url}/v1/${this.account}/${container}?format=json`, { headers: { 'X-Auth-Token': await this.token() } });
    if (res.status === 204) return [];
    if (res.status !== 200) throw new Error(`listing container ${container} answered ${res.status}: ${res.body}`);
    return (JSON.parse(res.body) as { name: string }[]).map((o) => o.name);
  }

  /** Everything the Swift processes printed. */
  public logs(): string {
    return this.output;
  }

  /** Stops every Swift process and memcached. */
  public async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => stopProcess(p)));
  }

  private launch(binary: string, args: string[]): void {
    const child = spawn(binary, args, { env: cleanEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    trackProcess(child);
    this.processes.push(child);
    const collect = (c: Buffer) => { this.output += c.toString('utf-8'); };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
  }

  private async waitReady(ports: number[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'ports not open';
    while (Date.now() < deadline) {
      const dead = this.processes.find((p) => !isRunning(p));
      if (dead) {
        throw new Error(`${dead.spawnfile} exited (code ${dead.exitCode}) while Swift started; output:\n${tail(this.output)}`);
      }
      if ((await Promise.all(ports.map(portOpen))).every((open) => open)) {
        try {
          // The first container PUT gets 503 until every server answers: wait for an authenticated request.
          const res = await httpRequest(`${this.url}/v1/${this.account}`, { method: 'HEAD', headers: { 'X-Auth-Token': await this.token() } });
          if (res.status >= 200 && res.status < 300) return;
          last = `account HEAD answered ${res.status}`;
        } catch (e) {
          last = (e as Error).message;
        }
      }
      await sleep(100);
    }
    throw new Error(`Swift was not ready within ${timeoutMs} ms (${last}); output:\n${tail(this.output)}`);
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}
