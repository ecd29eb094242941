/**
 * containerd 1.6 (Debian's `containerd`) as a node runs it, minus systemd: a daemon with its root, state, socket
 * and temp mounts in a folder of the test, and `ctr` pulling through `--hosts-dir` the way the kubelet's runtime
 * reads `/etc/containerd/certs.d`. See README.md ("Node runtimes").
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import { cleanEnv, isRunning, removeDir, run, sleep, stopProcess, tempDir, trackProcess } from './cleanup';
import { sha256 } from './oci-image';
import { PrivateRunResult, Reach, runInPrivateNetwork } from './private-network';

/**
 * The plugins the daemon does not load: the CRI server (the kubelet's, not needed to pull with ctr), and every
 * snapshotter but `native` (which copies layers into folders: no overlay mounts, no kernel feature needed), and
 * `opt` (it would create /opt/containerd on the host).
 */
const DISABLED_PLUGINS = [
  'io.containerd.grpc.v1.cri',
  'io.containerd.internal.v1.opt',
  'io.containerd.snapshotter.v1.overlayfs',
  'io.containerd.snapshotter.v1.aufs',
  'io.containerd.snapshotter.v1.btrfs',
  'io.containerd.snapshotter.v1.devmapper',
  'io.containerd.snapshotter.v1.zfs',
];

/** The snapshotter ctr unpacks into. */
export const CONTAINERD_SNAPSHOTTER = 'native';

/** The containerd namespace the kubelet's images live in. */
const NAMESPACE = 'k8s.io';

/** Options of `Containerd.pull`. */
export interface ContainerdPullOptions {
  /** The folder holding `<host>/hosts.toml` (a node's `/etc/containerd/certs.d`). */
  readonly hostsDir: string;
  /**
   * Ports of 127.0.0.1 the pull may reach (the mirror's): the same port outside, or a `PortForward` (a NodePort in
   * the node files leading to the mirror's loopback port); nothing else is reachable.
   */
  readonly reach: Reach[];
}

/** A containerd daemon of the test's own. */
export class Containerd {
  /** Starts a daemon on a new root; resolves when it answers `ctr version`. */
  public static async start(): Promise<Containerd> {
    const dir = tempDir('containerd');
    const socket = path.join(dir, 'containerd.sock');
    const config = path.join(dir, 'config.toml');
    fs.mkdirSync(path.join(dir, 'tmp'));
    fs.writeFileSync(config, [
      'version = 2',
      `root = "${path.join(dir, 'root')}"`,
      `state = "${path.join(dir, 'state')}"`,
      `disabled_plugins = [${DISABLED_PLUGINS.map((p) => `"${p}"`).join(', ')}]`,
      '[grpc]',
      `  address = "${socket}"`,
      '',
    ].join('\n'));
    // A private mount namespace keeps the snapshotter's temporary bind mounts (layer unpacking) off the host's
    // table; no network: in 1.6 `ctr images pull` fetches in the client, the daemon only stores.
    const child = spawn('unshare', ['--mount', '--net', '--propagation', 'private', '--', 'containerd', '--config', config], {
      env: cleanEnv({ TMPDIR: path.join(dir, 'tmp') }),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackProcess(child);
    const daemon = new Containerd(dir, socket, child);
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      if (!isRunning(child)) break;
      if (fs.existsSync(socket)) {
        try {
          daemon.ctr(['version']);
          return daemon;
        } catch {
          // not serving yet
        }
      }
      await sleep(20);
    }
    await stopProcess(child);
    throw new Error(`containerd did not start within 10 s; its output:\n${daemon.output}`);
  }

  private output = '';

  private constructor(
    /** The daemon's folder (config, root, state, socket). */
    public readonly dir: string,
    /** The daemon's gRPC socket (`ctr -a`). */
    public readonly socket: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout!.on('data', (d) => this.output += d);
    child.stderr!.on('data', (d) => this.output += d);
  }

  /** Everything the daemon logged. */
  public log(): string {
    return this.output;
  }

  /** Runs `ctr -a SOCKET -n k8s.io ARGS` on the host (no registry access); returns stdout. */
  public ctr(args: string[]): string {
    return run('ctr', ['-a', this.socket, '-n', NAMESPACE, ...args]);
  }

  /**
   * `ctr images pull --hosts-dir DIR --snapshotter native REF` in a private network that reaches only `reach`;
   * resolves with how it ended (a failed pull is a result, not a rejection).
   */
  public pull(reference: string, options: ContainerdPullOptions): Promise<PrivateRunResult> {
    return runInPrivateNetwork('ctr', ['-a', this.socket, '-n', NAMESPACE, 'images', 'pull', '--hosts-dir', options.hostsDir,
      '--snapshotter', CONTAINERD_SNAPSHOTTER, reference], { reach: options.reach });
  }

  /** The image references the daemon holds, sorted. */
  public images(): string[] {
    return this.ctr(['images', 'list', '--quiet']).split('\n').filter((l) => l !== '').sort();
  }

  /** The digests of every blob in the content store, sorted. */
  public content(): string[] {
    return this.ctr(['content', 'list', '--quiet']).split('\n').filter((l) => l !== '').sort();
  }

  /**
   * The sha256 of every layer of an image after decompression, read from the daemon's content store: what the
   * pull really stored, comparable with `OciImage.layerDiffId`.
   */
  public layerDiffIds(reference: string): string[] {
    return (this.manifest(reference).layers as { digest: string }[]).map((layer) => {
      const data = this.blob(layer.digest);
      return sha256(data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data) : data);
    });
  }

  /** The image's manifest as the content store holds it. */
  public manifest(reference: string): { config: { digest: string }; layers: { digest: string }[] } {
    return JSON.parse(this.blob(this.manifestDigest(reference)).toString('utf-8'));
  }

  private blob(digest: string): Buffer {
    return fs.readFileSync(path.join(this.dir, 'root', 'io.containerd.content.v1.content', 'blobs', 'sha256', digest.substring('sha256:'.length)));
  }

  /** The manifest digest an image reference points at. */
  public manifestDigest(reference: string): string {
    const line = this.ctr(['images', 'list']).split('\n').find((l) => l.split(/\s+/)[0] === reference);
    if (!line) throw new Error(`containerd holds no image ${reference}`);
    return line.split(/\s+/)[2];
  }

  /** Removes the image and, with a synchronous garbage collection, its content and snapshots. */
  public removeImage(reference: string): void {
    this.ctr(['images', 'remove', '--sync', reference]);
  }

  /** Stops the daemon and removes its folder. */
  public async stop(): Promise<void> {
    await stopProcess(this.child);
    removeDir(this.dir);
  }
}
