/**
 * Runs a client (ctr, skopeo) in a network namespace that reaches exactly the loopback ports the test names:
 * nothing else of this machine (not the upstream stand-in), and nothing outside it. A pull that did not go through
 * the mirror cannot succeed there, and a runtime's fallback to the real upstream (`registry-1.docker.io`) fails at
 * once ("network is unreachable") without a packet leaving the machine.
 *
 * One namespace serves a whole test file: a small node process holds it open (`private-network-init.js`) and
 * bridges the ports asked for, and each client enters it with `nsenter` (no node start-up per pull).
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { cleanEnv, isRunning, onCleanup, removeDir, stopProcess, tempDir, trackProcess } from './cleanup';

/** The script that holds the namespace (plain JavaScript, run by this node binary). */
const INIT_SCRIPT = path.join(__dirname, 'private-network-init.js');

/** A file or folder of the host bind-mounted over a path, for one client run (in a mount namespace of its own). */
export interface BindMount {
  /** The host path. */
  readonly source: string;
  /** The path the client sees it at (must exist). */
  readonly target: string;
}

/**
 * A port of 127.0.0.1 inside the namespace that leads to another port of 127.0.0.1 outside: a node's NodePort
 * (`localhost:30500` in the node files, as kube-proxy answers it on a node) served by a registry that listens on a
 * free loopback port of the host.
 */
export interface PortForward {
  /** The port the client connects to inside the namespace (`127.0.0.1`, which `localhost` names). */
  readonly port: number;
  /** The port of 127.0.0.1 outside the namespace the connections go on to. */
  readonly to: number;
}

/** A port the client may reach: the same port inside and out, or a `PortForward`. */
export type Reach = number | PortForward;

/** Options of `runInPrivateNetwork`. */
export interface PrivateNetworkOptions {
  /**
   * Ports of 127.0.0.1 the client may reach: a number is bridged into the namespace at the same address, so a URL
   * such as `http://127.0.0.1:PORT` means the same server inside and out; a `PortForward` makes `127.0.0.1:port`
   * (and `localhost:port`) inside lead to `127.0.0.1:to` outside. Every other address is unreachable.
   * @default - none: the client reaches nothing
   */
  readonly reach?: Reach[];
  /** @default - none */
  readonly binds?: BindMount[];
  /** Extra environment variables (over `cleanEnv()`). @default - none */
  readonly env?: { readonly [name: string]: string };
  /** @default 60000 */
  readonly timeoutMs?: number;
}

/** How a client run in the private network ended. */
export interface PrivateRunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Connections the client opened to each port it could reach (the port inside the namespace). */
  readonly connections: { readonly [port: number]: number };
  /** Wall time of the run. */
  readonly ms: number;
}

/** A network namespace with only a loopback interface, whose reachable ports the test chooses. */
export class PrivateNetwork {
  /** Starts the holder process; resolves when the namespace's loopback is up. */
  public static async start(): Promise<PrivateNetwork> {
    const dir = tempDir('netns');
    const child = spawn('unshare', ['--net', '--', process.execPath, INIT_SCRIPT, dir], {
      env: cleanEnv(), detached: true, stdio: ['pipe', 'pipe', 'pipe'],
    });
    trackProcess(child);
    child.stdin!.on('error', () => undefined); // the holder may be gone when cleanup closes its stdin
    const network = new PrivateNetwork(dir, child);
    onCleanup(() => network.stop());
    await network.answer('ready');
    return network;
  }

  private readonly lines: string[] = [];
  private readonly waiting: Array<(line: string) => void> = [];
  private readonly bridges = new Map<number, net.Server>();
  /** Where each bridged port leads outside, for the run in progress. */
  private readonly targets = new Map<number, number>();
  private readonly counts = new Map<number, number>();
  private readonly open = new Set<net.Socket>();
  private stderr = '';
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly dir: string, private readonly holder: ChildProcess) {
    let buffer = '';
    holder.stdout!.on('data', (d) => {
      buffer += d;
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.substring(0, newline);
        buffer = buffer.substring(newline + 1);
        const next = this.waiting.shift();
        if (next) next(line); else this.lines.push(line);
      }
    });
    holder.stderr!.on('data', (d) => this.stderr += d);
    holder.once('exit', () => this.waiting.splice(0).forEach((w) => w('exited')));
  }

  /**
   * Runs `command args` in the namespace with exactly the `reach` ports of 127.0.0.1 bridged out, and resolves when
   * it exits, whatever its status. Runs are one at a time (each sets the ports for its own duration).
   */
  public run(command: string, args: string[], options: PrivateNetworkOptions = {}): Promise<PrivateRunResult> {
    const result = this.queue.then(() => this.runNow(command, args, options));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Stops the holder (the namespace goes with it) and the bridges. */
  public async stop(): Promise<void> {
    this.holder.stdin!.end();
    await stopProcess(this.holder);
    this.open.forEach((socket) => socket.destroy());
    await Promise.all([...this.bridges.values()].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    this.bridges.clear();
    removeDir(this.dir);
  }

  private async runNow(command: string, args: string[], options: PrivateNetworkOptions): Promise<PrivateRunResult> {
    const forwards = (options.reach ?? []).map((r) => (typeof r === 'number' ? { port: r, to: r } : r));
    const ports = forwards.map((f) => f.port);
    if (new Set(ports).size !== ports.length) throw new Error(`reach names a port twice: ${JSON.stringify(options.reach)}`);
    this.targets.clear();
    for (const { port, to } of forwards) {
      this.targets.set(port, to);
      await this.bridge(port);
    }
    this.holder.stdin!.write(`reach ${ports.join(' ')}\n`);
    await this.answer('ok');
    const before = new Map(this.counts);

    const started = Date.now();
    const binds = options.binds ?? [];
    // Bind mounts need a mount namespace of the run's own: `unshare --mount` inside the network namespace.
    const argv = binds.length === 0 ? [command, ...args] : ['unshare', '--mount', '--propagation', 'private', '--', '/bin/sh', '-c',
      'while [ "$1" != -- ]; do mount --bind "$1" "$2" || exit 125; shift 2; done; shift; exec "$@"', 'sh',
      ...binds.flatMap((b) => [b.source, b.target]), '--', command, ...args];
    const child = spawn('nsenter', ['--target', String(this.holder.pid), '--net', '--', ...argv], {
      env: cleanEnv({ ...options.env }), detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackProcess(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => stdout += d);
    child.stderr!.on('data', (d) => stderr += d);
    const timeoutMs = options.timeoutMs ?? 60000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void stopProcess(child);
    }, timeoutMs);
    const exitCode = await new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? -1)));
    clearTimeout(timer);
    if (timedOut) throw new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs} ms; its output:\n${stdout}${stderr}`);
    const connections: { [port: number]: number } = {};
    for (const port of ports) connections[port] = this.counts.get(port)! - (before.get(port) ?? 0);
    return { exitCode, stdout, stderr, connections, ms: Date.now() - started };
  }

  /**
   * Serves DIR/PORT.sock outside the namespace: every connection goes on to 127.0.0.1 at the port the run in
   * progress forwards PORT to (PORT itself unless a `PortForward` says otherwise).
   */
  private async bridge(port: number): Promise<void> {
    if (this.bridges.has(port)) return;
    const socket = path.join(this.dir, `${port}.sock`);
    this.counts.set(port, 0);
    const server = net.createServer((inside) => {
      this.counts.set(port, this.counts.get(port)! + 1);
      const outside = net.connect(this.targets.get(port) ?? port, '127.0.0.1');
      for (const end of [inside, outside]) {
        this.open.add(end);
        end.once('close', () => this.open.delete(end));
      }
      inside.pipe(outside).pipe(inside);
      inside.on('error', () => outside.destroy());
      outside.on('error', () => inside.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, () => resolve());
    });
    fs.chmodSync(socket, 0o600);
    this.bridges.set(port, server);
  }

  /** Waits for the holder's next line, which must be `expected`. */
  private async answer(expected: string): Promise<void> {
    const line = this.lines.length > 0 ? this.lines.shift()! : isRunning(this.holder)
      ? await new Promise<string>((resolve) => this.waiting.push(resolve)) : 'exited';
    if (line !== expected) throw new Error(`the private network's holder answered "${line}", not "${expected}"; its stderr:\n${this.stderr}`);
  }
}

let shared: Promise<PrivateNetwork> | undefined;

/**
 * Runs `command args` in the test file's private network (started on first use, stopped by `cleanupAll()`) with
 * exactly the `reach` ports of 127.0.0.1 reachable (each bridged to the same port outside, or to the `to` of a
 * `PortForward`); resolves when it exits, whatever its status.
 */
export async function runInPrivateNetwork(command: string, args: string[], options: PrivateNetworkOptions = {}): Promise<PrivateRunResult> {
  if (shared === undefined) {
    shared = PrivateNetwork.start();
    onCleanup(async () => {
      shared = undefined;
    });
  }
  return (await shared).run(command, args, options);
}
