/**
 * Small OCI images written without Docker: an OCI image layout holding one uncompressed tar layer
 * with one file of a given size, its config blob, manifest, index.json and oci-layout.
 */
import { createCipheriv, createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './cleanup';

/** Options of `buildImage`. */
export interface BuildImageOptions {
  /** Size of the one file in the layer, in bytes. */
  readonly sizeBytes: number;
  /** The tag in the layout's index.json. @default 'latest' */
  readonly tag?: string;
  /** Derive the bytes from this seed (same seed, same image). @default - random bytes */
  readonly seed?: string;
}

/** An OCI image layout on disk. */
export interface OciImage {
  /** The layout folder. */
  readonly dir: string;
  /** The tag in index.json. */
  readonly tag: string;
  /** The skopeo source reference, `oci:DIR:TAG`. */
  readonly reference: string;
  /** sha256 digest of the uncompressed layer tar (the config's diff_id). */
  readonly layerDiffId: string;
  /** Size of the layer tar in bytes. */
  readonly layerSize: number;
  /** Digest of the manifest as written. */
  readonly manifestDigest: string;
}

const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';

/** Writes a new OCI image layout into a tracked temp folder. */
export function buildImage(options: BuildImageOptions): OciImage {
  const tag = options.tag ?? 'latest';
  const dir = tempDir('image');
  fs.mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  const content = options.seed === undefined ? randomBytes(options.sizeBytes) : seededBytes(options.seed, options.sizeBytes);
  const layer = tarOneFile('data.bin', content);
  const layerDigest = writeBlob(dir, layer);
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Labels: { 'org.opencontainers.image.title': `e2e ${tag}` } },
    rootfs: { type: 'layers', diff_ids: [layerDigest] },
  }));
  const configDigest = writeBlob(dir, config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST_TYPE,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
  }));
  const manifestDigest = writeBlob(dir, manifest);
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: MANIFEST_TYPE, digest: manifestDigest, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
  fs.writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  return { dir, tag, reference: `oci:${dir}:${tag}`, layerDiffId: layerDigest, layerSize: layer.length, manifestDigest };
}

/** `sha256:<hex>` of a buffer. */
export function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function writeBlob(dir: string, data: Buffer): string {
  const digest = sha256(data);
  fs.writeFileSync(path.join(dir, 'blobs', 'sha256', digest.substring('sha256:'.length)), data);
  return digest;
}

/** Bytes from an AES-256-CTR keystream keyed by the seed: fast, and the same for the same seed. */
function seededBytes(seed: string, size: number): Buffer {
  const key = createHash('sha256').update(seed).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

/** A POSIX ustar archive holding one regular file. */
function tarOneFile(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf-8');
  header.write('0000644\0', 100, 'ascii');
  header.write('0000000\0', 108, 'ascii');
  header.write('0000000\0', 116, 'ascii');
  header.write(content.length.toString(8).padStart(11, '0') + '\0', 124, 'ascii');
  header.write('00000000000\0', 136, 'ascii');
  header.write('        ', 148, 'ascii');
  header.write('0', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}
