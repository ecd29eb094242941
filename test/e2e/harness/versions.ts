/**
 * Which real registry binary runs a synthesized manifest, chosen from the image tag the manifest
 * names, and the registry versions scenarios are parameterized over.
 */
import * as fs from 'fs';
import { RegistryVersion } from '../../../src';

/** Where `install-registry3.sh` unpacks the 3.x binaries (built from upstream's source, sha256-verified). */
export const REGISTRY3_BIN_DIR = '/var/tmp/cdk8s-registry-bin';

/** A registry release line the suite runs, and the real binary that stands in for its image. */
export interface E2eVersion {
  /** The version the library renders for (what a user pins): `RegistryVersion.V2_8`, `V3_0`, `V3_1`. */
  readonly version: RegistryVersion;
  /** The release of the binary that really runs (`2.8.2`, `3.0.0`, `3.1.1`): a patch release of the same line. */
  readonly runs: string;
  /** Absolute path of that binary. */
  readonly binary: string;
}

/** Every release line the suite runs, oldest first. */
export const E2E_VERSIONS: readonly E2eVersion[] = [
  // Debian's package: distribution 2.8.2 (no azure or gcs driver compiled in).
  { version: RegistryVersion.V2_8, runs: '2.8.2', binary: '/usr/bin/docker-registry' },
  { version: RegistryVersion.V3_0, runs: '3.0.0', binary: `${REGISTRY3_BIN_DIR}/registry-3.0.0` },
  // 3.1.1 stands in for the default image registry:3.1.2 (a patch release without config changes).
  { version: RegistryVersion.V3_1, runs: '3.1.1', binary: `${REGISTRY3_BIN_DIR}/registry-3.1.1` },
];

/** The storage drivers compiled into each binary here (Debian's 2.8.2 lacks azure, gcs and oss). */
const DRIVERS_HERE: { [runs: string]: string[] } = {
  '2.8.2': ['filesystem', 'inmemory', 's3', 'swift'],
  '3.0.0': ['filesystem', 'inmemory', 's3', 'azure', 'gcs'],
  '3.1.1': ['filesystem', 'inmemory', 's3', 'azure', 'gcs'],
};

/**
 * The versions a scenario runs on, as rows for `describe.each`, each titled `registry <runs>` so the
 * summary reporter can count results per version. `driver` keeps the versions whose binary here has
 * that storage driver; `filter` narrows further.
 */
export function e2eVersions(options: { driver?: string; filter?: (v: E2eVersion) => boolean } = {}): E2eVersion[] {
  return E2E_VERSIONS
    .filter((v) => options.driver === undefined || DRIVERS_HERE[v.runs].includes(options.driver))
    .filter((v) => options.filter === undefined || options.filter(v));
}

/** The title of a version's describe block: `registry 3.1.1 (renders 3.1.2)`; the reporter reads `registry X.Y.Z`. */
export function versionTitle(v: E2eVersion): string {
  return `registry ${v.runs} (renders ${v.version})`;
}

/**
 * A name of its own for each version (`perVersion('gc', v)` is `gc-282`, `gc-300`, `gc-311`), for buckets,
 * containers and repositories shared by a file's scenarios, so what one version wrote cannot make another's checks pass.
 */
export function perVersion(name: string, v: E2eVersion): string {
  return `${name}-${v.runs.replace(/\./g, '')}`;
}

/**
 * Runs `body` once per version in a `describe` titled `registry <runs> (renders <version>)`.
 * ```ts
 * describeVersions(e2eVersions({ driver: 's3' }), (v) => { test('push', async () => { ... v.version ... }); });
 * ```
 */
export function describeVersions(versions: E2eVersion[], body: (v: E2eVersion) => void): void {
  if (versions.length === 0) throw new Error('describeVersions: no registry versions to run on');
  for (const v of versions) {
    describe(versionTitle(v), () => body(v));
  }
}

/**
 * The binary that runs a container of `image`: the tag's release line decides, so a config rendered for
 * one version can never run on another. An image whose tag names no 2.8.x, 3.0.x or 3.1.x release is an error.
 */
export function binaryForImage(image: string): E2eVersion {
  let version: RegistryVersion | undefined;
  try {
    version = RegistryVersion.tryFromImage(image);
  } catch (e) {
    throw new Error(`the container's image '${image}': ${(e as Error).message}; the harness runs 2.8.x, 3.0.x and 3.1.x only`);
  }
  if (!version) {
    throw new Error(`the container's image '${image}' has no tag naming a release (such as registry:3.1.2), so the harness cannot choose the registry binary`);
  }
  const match = E2E_VERSIONS.find((v) => v.version.line === version!.line);
  if (!match) {
    throw new Error(`the container's image '${image}' is registry ${version}; the harness has binaries for ${E2E_VERSIONS.map((v) => `${v.version.line}.x`).join(', ')} only`);
  }
  if (!fs.existsSync(match.binary)) {
    throw new Error(`the registry ${match.runs} binary ${match.binary} is missing: run test/e2e/harness/install-registry3.sh (as .ci/run does)`);
  }
  return match;
}
