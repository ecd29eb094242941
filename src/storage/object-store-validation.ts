import { Size, SizeRoundingBehavior } from 'cdk8s';
import { IConstruct } from 'constructs';
import { s3Regions } from '../config/config-structure';
import { RegistryVersion } from '../config/registry-version';
import { closest } from '../util/closest';
import { propError } from '../util/validation';

/**
 * Shared checks of the object-storage backends (S3 and its presets, BTP, Swift, Azure, GCS, OSS): sizes in
 * bytes, endpoint URLs and key prefixes, each failing with an error that names the property and what would be valid.
 */

/** Throws unless `value` is an object-key prefix the drivers take as `rootdirectory`; returns it. */
export function requireRootDirectory(scope: IConstruct, property: string, value: string): string {
  if (typeof value !== 'string' || value.trim() === '' || /[\s\\]/.test(value) || value.split('/').some((part) => part === '.' || part === '..')) {
    throw propError(scope, property, `(${JSON.stringify(value)}) must be a key prefix such as "/registry": no spaces, backslashes, '.' or '..' segments`);
  }
  return value;
}

/**
 * `root/key` as a key prefix for one of several registries sharing a store (`StorageBackend.partition`): `/key` under
 * the store's root when no root is given.
 */
export function keyPrefix(scope: IConstruct, root: string | undefined, key: string): string {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(key)) {
    throw propError(scope, 'storage', `cannot be split for key ${JSON.stringify(key)}: a key segment is lower-case letters, digits and '-'`);
  }
  const base = root === undefined ? '' : requireRootDirectory(scope, 'storage.rootDirectory', root).replace(/\/+$/, '');
  return `${base}/${key}`;
}

/** A size in whole bytes, as the drivers' `chunksize` parameters take it. */
export function sizeInBytes(scope: IConstruct, property: string, size: Size): number {
  if (typeof size === 'number') {
    // A value copied from a Helm or Kyma values file (`chunksize: 5242880`), passed from JavaScript or through `any`.
    throw propError(scope, property, `(${size}) is a number of bytes, and cdk8s Size has no bytes unit: write ${sizeExpression(size)}`);
  }
  const bytes = Math.round(size.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) * 1024);
  if (!Number.isFinite(bytes) || bytes <= 0) {
    throw propError(scope, property, `(${bytes} bytes) must be a positive size such as Size.mebibytes(10)`);
  }
  return bytes;
}

/** Throws unless `size` lies within [min, max] bytes; returns it in bytes. */
export function chunkSizeInRange(scope: IConstruct, property: string, size: Size, min: number, max: number | undefined, driver: string): number {
  const bytes = sizeInBytes(scope, property, size);
  if (bytes < min || (max !== undefined && bytes > max)) {
    const range = max !== undefined ? `from ${describeBytes(min)} to ${describeBytes(max)}` : `at least ${describeBytes(min)}`;
    throw propError(scope, property, `(${bytes} bytes) is rejected by the ${driver} driver: the chunk size must be ${range}`);
  }
  return bytes;
}

/** How to write a number of bytes as a cdk8s Size: `Size.mebibytes(5)`, `Size.kibibytes(5120)`. */
function sizeExpression(bytes: number): string {
  if (!Number.isInteger(bytes) || bytes <= 0) return 'a positive size such as Size.mebibytes(10)';
  if (bytes % (1024 * 1024) === 0) return `Size.mebibytes(${bytes / (1024 * 1024)}) (= ${bytes} bytes)`;
  if (bytes % 1024 === 0) return `Size.kibibytes(${bytes / 1024}) (= ${bytes} bytes)`;
  return `a whole number of KiB, such as Size.kibibytes(${Math.ceil(bytes / 1024)}) (${Math.ceil(bytes / 1024) * 1024} bytes)`;
}

/** `5242880 bytes (5 MiB)`. */
function describeBytes(bytes: number): string {
  const units: Array<[number, string]> = [[1024 ** 3, 'GiB'], [1024 ** 2, 'MiB'], [1024, 'KiB']];
  for (const [factor, unit] of units) {
    if (bytes % factor === 0) return `${bytes} bytes (${bytes / factor} ${unit})`;
  }
  return `${bytes} bytes`;
}

/** The endpoint as the driver takes it: `scheme://host[:port]`. */
export function endpointString(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

/** The s3 driver's smallest multipart chunk (5 MiB), the same in 2.8.3 and 3.x. */
export const S3_MIN_CHUNK_SIZE = 5 * 1024 * 1024;
/** The s3 driver's largest multipart chunk (5 GiB), the same in 2.8.3 and 3.x. */
export const S3_MAX_CHUNK_SIZE = 5 * 1024 * 1024 * 1024;

/** The ServiceAccount annotation that EKS reads to give pods an IAM role (IRSA). */
export const IRSA_ROLE_ANNOTATION = 'eks.amazonaws.com/role-arn';

/** Throws unless `bucket` follows the S3 bucket naming rules. */
export function requireS3BucketName(scope: IConstruct, property: string, bucket: string): void {
  const problems: string[] = [];
  if (typeof bucket !== 'string' || bucket.length < 3 || bucket.length > 63) {
    problems.push('be 3 to 63 characters long');
  } else {
    if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(bucket)) problems.push('use only lower-case letters, digits, \'.\' and \'-\', and start and end with a letter or digit');
    if (bucket.includes('..')) problems.push('not contain two dots in a row');
    if (/^\d+\.\d+\.\d+\.\d+$/.test(bucket)) problems.push('not look like an IP address');
    if (bucket.startsWith('xn--') || bucket.endsWith('-s3alias') || bucket.endsWith('--ol-s3')) problems.push('not start with "xn--" nor end with "-s3alias" or "--ol-s3"');
  }
  if (problems.length > 0) {
    throw propError(scope, property, `(${JSON.stringify(bucket)}) is not a valid S3 bucket name: it must ${problems.join(', ')}`);
  }
}

/** Throws unless `region` is given, and, without a custom endpoint, is a region the s3 driver of `version` knows. */
export function requireS3Region(scope: IConstruct, property: string, region: string, customEndpoint: boolean, version: RegistryVersion): void {
  if (typeof region !== 'string' || region.trim() === '') {
    throw propError(scope, property, 'is required by the s3 driver: give the bucket\'s AWS region such as "us-east-1" (S3-compatible stores usually accept "us-east-1")');
  }
  if (/\s/.test(region)) {
    throw propError(scope, property, `(${JSON.stringify(region)}) must not contain spaces: give a region such as "us-east-1"`);
  }
  const known = s3Regions(version);
  if (!customEndpoint && !known.includes(region)) {
    const near = closest(region, known);
    throw propError(scope, property, `(${JSON.stringify(region)}) is not a region the s3 driver of registry ${version} knows, and without a regionEndpoint `
      + `it refuses to start. ${near ? `Did you mean "${near}"? ` : ''}Give one of its regions (${known.join(', ')}), or set regionEndpoint for an S3-compatible store`);
  }
}
