/**
 * Environment checks and the tracking of every process and temp folder the harness creates, so
 * `cleanupAll()` can stop and remove them, after failures too.
 */
import { ChildProcess, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { E2E_VERSIONS } from './versions';

/** Where temp folders go: not /tmp, which pods cover with an emptyDir mount. */
const TEMP_ROOT = '/var/tmp';

const processes = new Set<ChildProcess>();
const dirs = new Set<string>();
const closers: Array<() => Promise<void>> = [];

/** Binaries every scenario needs. */
const BASE_BINARIES = ['docker-registry', 'skopeo', 'unshare', 'setpriv', 'mount'];

/**
 * Throws unless running as root with the binaries the harness needs on PATH. No silent skip:
 * the message names what is missing and how CI installs it.
 */
export function requireEnvironment(extraBinaries: string[] = []): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error(`the e2e suite must run as root (it uses mount namespaces and runs the registry as the pod's user); running as uid ${process.getuid()}`);
  }
  const missing = [...BASE_BINARIES, ...extraBinaries].filter((bin) => !which(bin));
  if (missing.length > 0) {
    throw new Error(`the e2e suite needs ${missing.join(', ')} on PATH: install the Debian packages as .ci/run does `
      + '(docker-registry skopeo apache2-utils swift-proxy swift-account swift-container swift-object memcached)');
  }
  const missingRegistries = E2E_VERSIONS.map((v) => v.binary).filter((bin) => !fs.existsSync(bin));
  if (missingRegistries.length > 0) {
    throw new Error(`the e2e suite needs the registry binaries ${missingRegistries.join(', ')}: run test/e2e/harness/install-registry3.sh (as .ci/run does)`);
  }
}

/** The absolute path of a binary on PATH, or undefined. */
export function which(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const candidate = path.join(dir, bin);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A new temp folder, removed by `cleanupAll()`. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(TEMP_ROOT, `cdk8s-registry-e2e-${prefix}-`));
  dirs.add(dir);
  return dir;
}

/** Removes a temp folder now. */
export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/** Registers a process (spawned `detached`, so it leads its own process group) for cleanup. */
export function trackProcess(child: ChildProcess): void {
  processes.add(child);
  child.once('exit', () => processes.delete(child));
}

/** Whether the process has not exited yet. */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * Stops a process and its group: SIGTERM, then SIGKILL after `graceMs`. Resolves when it has exited.
 */
export async function stopProcess(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (!isRunning(child) || child.pid === undefined) {
    processes.delete(child);
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child.pid, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  // Children left in the group (none expected) go too.
  killGroup(child.pid, 'SIGKILL');
  processes.delete(child);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Registers an in-process server's stop for `cleanupAll()` (such as the token server's). */
export function onCleanup(close: () => Promise<void>): void {
  closers.push(close);
}

/** Stops every process and in-process server the harness started and removes every temp folder. */
export async function cleanupAll(): Promise<void> {
  // Processes first: a server waiting for its clients' connections to close then has none left.
  await Promise.all([...processes].map((child) => stopProcess(child)));
  await Promise.all(closers.splice(0).map((close) => close()));
  for (const dir of [...dirs]) {
    removeDir(dir);
  }
}

// If jest exits without afterAll (a crash, a timeout), still kill what we started.
process.on('exit', () => {
  for (const child of processes) {
    if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
  }
  for (const dir of dirs) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
});

/** Runs a command synchronously and returns its stdout; the error carries its stderr. */
export function run(file: string, args: string[], env: NodeJS.ProcessEnv = cleanEnv()): string {
  try {
    return execFileSync(file, args, { env, encoding: 'utf-8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e: any) {
    throw new Error(`${file} ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

/** A minimal env for helper processes: never the host's (AWS_CA_BUNDLE, proxies). */
export function cleanEnv(extra: { [name: string]: string } = {}): NodeJS.ProcessEnv {
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: process.env.HOME ?? '/root',
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
    ...extra,
  };
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
