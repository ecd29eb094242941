/**
 * The registry client: skopeo pushes, pulls, lists and inspects, with content comparisons that hold
 * although skopeo gzips uncompressed layers on push.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import { cleanEnv, removeDir, tempDir } from './cleanup';
import { OciImage, sha256 } from './oci-image';
import { PrivateRunResult, Reach, runInPrivateNetwork } from './private-network';

/** Registry credentials for skopeo. */
export interface SkopeoOptions {
  /** `user:password`. @default - anonymous */
  readonly creds?: string;
}

/** An image pulled into an OCI layout. */
export interface PulledImage {
  /** The layout folder. */
  readonly dir: string;
  /** Digest of the manifest as pulled (the registry's, since digests are preserved). */
  readonly manifestDigest: string;
  /** sha256 of every layer after decompression, in order. */
  readonly layerDiffIds: string[];
}

/** Runs skopeo with a clean env; rejects with its stderr. */
export function skopeo(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('skopeo', ['--insecure-policy', ...args], { env: cleanEnv(), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`skopeo ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
      } else {
        resolve(stdout);
      }
    });
  });
}

/** Pushes an image to `docker://DEST` (`127.0.0.1:PORT/repo:tag`); returns the digest the registry stores. */
export async function push(image: OciImage, dest: string, options: SkopeoOptions = {}): Promise<string> {
  const digestFile = path.join(image.dir, `pushed-${Date.now()}-${Math.random().toString(36).slice(2)}.digest`);
  await skopeo(['copy', '--retry-times', '0', '--dest-tls-verify=false', ...creds('--dest-creds', options), '--digestfile', digestFile,
    image.reference, `docker://${dest}`]);
  return fs.readFileSync(digestFile, 'utf-8').trim();
}

/** Pulls `SOURCE` (`127.0.0.1:PORT/repo:tag`) into a new OCI layout. */
export async function pull(source: string, options: SkopeoOptions = {}): Promise<PulledImage> {
  const dir = tempDir('pulled');
  await skopeo(['copy', '--src-tls-verify=false', '--preserve-digests', ...creds('--src-creds', options), `docker://${source}`, `oci:${dir}:pulled`]);
  return readPulled(dir);
}

/** Options of `pullWithRegistriesConf`. */
export interface RegistriesConfPullOptions {
  /**
   * The `registries.conf.d` drop-ins, file name to text: the only ones skopeo sees (a folder holding just them is
   * bind-mounted over `/etc/containers/registries.conf.d`, under an empty `--registries-conf`), as CRI-O on a
   * node with only these drop-ins reads them.
   */
  readonly dropIns: { readonly [fileName: string]: string };
  /**
   * Ports of 127.0.0.1 the pull may reach (the mirror's): the same port outside, or a `PortForward` (a NodePort in
   * the node files leading to the mirror's loopback port); nothing else is reachable.
   */
  readonly reach: Reach[];
  /**
   * A node's `/etc/containers/certs.d` (the written `etc/containers/certs.d`: `<host:port>/ca.crt`), where
   * containers/image looks up the CA of a registry, whatever `--registries-conf` says. When given, skopeo sees a
   * `/etc/containers` holding only these CA files (copied byte for byte) and the drop-ins.
   * @default - the host's `/etc/containers` with only the drop-ins in its `registries.conf.d`
   */
  readonly certsDir?: string;
}

/** How a `pullWithRegistriesConf` ended: the image when skopeo succeeded, its output either way. */
export interface RegistriesConfPullResult extends PrivateRunResult {
  readonly image?: PulledImage;
}

/**
 * `skopeo --registries-conf ... copy docker://REFERENCE oci:DIR` with TLS verification as configured (no
 * `--src-tls-verify` flag: `insecure` in the drop-ins decides, as for CRI-O), in a private network that reaches
 * only `reach`. A failed pull resolves too, with its output.
 */
export async function pullWithRegistriesConf(reference: string, options: RegistriesConfPullOptions): Promise<RegistriesConfPullResult> {
  const confDir = tempDir('registries-conf');
  const dropIns = path.join(confDir, 'registries.conf.d');
  fs.mkdirSync(dropIns);
  for (const [name, text] of Object.entries(options.dropIns)) {
    fs.writeFileSync(path.join(dropIns, name), text);
  }
  fs.writeFileSync(path.join(confDir, 'registries.conf'), '');
  if (options.certsDir !== undefined) fs.cpSync(options.certsDir, path.join(confDir, 'certs.d'), { recursive: true });
  const dir = tempDir('pulled');
  const result = await runInPrivateNetwork('skopeo', ['--insecure-policy', '--registries-conf', path.join(confDir, 'registries.conf'),
    'copy', '--retry-times', '0', '--preserve-digests', `docker://${reference}`, `oci:${dir}:pulled`], {
    reach: options.reach,
    binds: [options.certsDir !== undefined
      ? { source: confDir, target: SYSTEM_CONTAINERS_DIR }
      : { source: dropIns, target: SYSTEM_REGISTRIES_CONF_D }],
  });
  removeDir(confDir);
  return { ...result, image: result.exitCode === 0 ? readPulled(dir) : undefined };
}

/** Where containers/image (CRI-O, podman, skopeo) reads drop-ins, whatever `--registries-conf` says. */
const SYSTEM_REGISTRIES_CONF_D = '/etc/containers/registries.conf.d';

/** The folder of `registries.conf.d` and `certs.d` (a registry's CA files). */
const SYSTEM_CONTAINERS_DIR = '/etc/containers';

function readPulled(dir: string): PulledImage {
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf-8'));
  const manifestDigest: string = index.manifests[0].digest;
  const manifest = JSON.parse(blob(dir, manifestDigest).toString('utf-8'));
  const layerDiffIds = (manifest.layers as { digest: string; mediaType: string }[]).map((layer) => {
    const data = blob(dir, layer.digest);
    if (sha256(data) !== layer.digest) {
      throw new Error(`pulled layer ${layer.digest} does not match its digest`);
    }
    const gzipped = data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
    return sha256(gzipped ? gunzipSync(data) : data);
  });
  return { dir, manifestDigest, layerDiffIds };
}

/** Jest assertion: the pulled image holds exactly the original layer, byte for byte after decompression. */
export function expectSameContent(image: OciImage, pulled: PulledImage): void {
  expect(pulled.layerDiffIds).toEqual([image.layerDiffId]);
}

/** The tags of a repository (`127.0.0.1:PORT/repo`), sorted. */
export async function listTags(repository: string, options: SkopeoOptions = {}): Promise<string[]> {
  const out = await skopeo(['list-tags', '--tls-verify=false', ...creds('--creds', options), `docker://${repository}`]);
  return (JSON.parse(out).Tags as string[]).sort();
}

/** The manifest digest the registry serves for a reference. */
export async function inspectDigest(reference: string, options: SkopeoOptions = {}): Promise<string> {
  const out = await skopeo(['inspect', '--tls-verify=false', ...creds('--creds', options), `docker://${reference}`]);
  return JSON.parse(out).Digest;
}

function creds(flag: string, options: SkopeoOptions): string[] {
  return options.creds !== undefined ? [flag, options.creds] : [];
}

function blob(dir: string, digest: string): Buffer {
  return fs.readFileSync(path.join(dir, 'blobs', 'sha256', digest.substring('sha256:'.length)));
}
