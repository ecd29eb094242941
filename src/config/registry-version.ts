/**
 * A release of the CNCF distribution registry, and what follows from it: where the image reads
 * its configuration, which storage drivers are compiled in, and which config keys exist.
 *
 * Only 2.8.x and 3.x are supported: 2.8 because 3.x removed the swift and oss drivers,
 * 3.x because it is the current upstream line.
 */
export class RegistryVersion {
  /** The newest 2.8 release (the last line with the swift and oss drivers). */
  public static readonly V2_8 = RegistryVersion.of('2.8.3');

  /** The newest 3.x release published as the official `registry` image; the default. */
  public static readonly V3 = RegistryVersion.of('3.0.0');

  /**
   * The releases picked from when the user names none, newest first.
   */
  public static readonly DEFAULTS: RegistryVersion[] = [RegistryVersion.V3, RegistryVersion.V2_8];

  /**
   * A registry release by its version number, such as `2.8.3` or `3.0.0`.
   * A missing patch number is read as 0.
   */
  public static of(version: string): RegistryVersion {
    const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/.exec(version.trim());
    if (!match) {
      throw new Error(`registry version '${version}' is not a version number such as '2.8.3' or '3.0.0'`);
    }
    const major = Number(match[1]);
    const minor = Number(match[2]);
    const patch = Number(match[3] ?? '0');
    if (!((major === 2 && minor === 8) || major === 3)) {
      throw new Error(`registry version '${version}' is not supported: use 2.8.x or 3.x`);
    }
    return new RegistryVersion(major, minor, patch);
  }

  /**
   * Reads the version from an image reference's tag (`registry:2.8.3`,
   * `ghcr.io/distribution/distribution:3.1.1`), or returns undefined when the tag does not
   * name a release (`latest`, `3`, a digest only). The floating `registry:2` of older setups
   * reads as 2.8.3: the 2.x line ended with 2.8, so every 2.x image takes 2.8's config.
   */
  public static tryFromImage(image: string): RegistryVersion | undefined {
    const withoutDigest = image.split('@')[0];
    const lastSlash = withoutDigest.lastIndexOf('/');
    const lastColon = withoutDigest.lastIndexOf(':');
    if (lastColon <= lastSlash) {
      return undefined;
    }
    const tag = withoutDigest.substring(lastColon + 1);
    if (/^v?2$/.test(tag)) {
      return RegistryVersion.V2_8;
    }
    const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$/.exec(tag);
    if (!match) {
      return undefined;
    }
    return RegistryVersion.of(`${match[1]}.${match[2]}.${match[3] ?? '0'}`);
  }

  /** Major version: 2 or 3. */
  public readonly major: number;
  /** Minor version. */
  public readonly minor: number;
  /** Patch version. */
  public readonly patch: number;

  private constructor(major: number, minor: number, patch: number) {
    this.major = major;
    this.minor = minor;
    this.patch = patch;
  }

  /** The version as `MAJOR.MINOR.PATCH`. */
  public get version(): string {
    return `${this.major}.${this.minor}.${this.patch}`;
  }

  /** The official image of this release, pinned to its tag. */
  public get image(): string {
    return `registry:${this.version}`;
  }

  /**
   * Where the official image reads its configuration: `/etc/docker/registry/config.yml` on 2.x,
   * `/etc/distribution/config.yml` on 3.x.
   */
  public get configPath(): string {
    return this.major === 2 ? '/etc/docker/registry/config.yml' : '/etc/distribution/config.yml';
  }

  /** The storage drivers compiled into this release's official image. */
  public get storageDrivers(): string[] {
    const common = ['filesystem', 'inmemory', 's3', 'azure', 'gcs'];
    return this.major === 2 ? [...common, 'swift', 'oss'] : common;
  }

  /** Whether this release has the given storage driver. */
  public supportsStorageDriver(driver: string): boolean {
    return this.storageDrivers.includes(driver);
  }

  /** Whether this release is at least the given version. */
  public isAtLeast(version: RegistryVersion): boolean {
    if (this.major !== version.major) return this.major > version.major;
    if (this.minor !== version.minor) return this.minor > version.minor;
    return this.patch >= version.patch;
  }

  /** The version number. */
  public toString(): string {
    return this.version;
  }
}
