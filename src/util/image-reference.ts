/**
 * The one parser of image references and their release tags, shared by `RegistryVersion.tryFromImage` (which
 * release a tag names) and the image checks of `image-tag.ts` (floating tags, a tag that contradicts `version`).
 */

/** An image reference's repository and tag (`latest` when it has none), and whether it is pinned by digest. */
export function splitImage(image: string): { repository: string; tag: string; tagged: boolean; digest: boolean } {
  const withoutDigest = image.split('@')[0];
  const lastSlash = withoutDigest.lastIndexOf('/');
  const lastColon = withoutDigest.lastIndexOf(':');
  const tagged = lastColon > lastSlash;
  return {
    repository: tagged ? withoutDigest.substring(0, lastColon) : withoutDigest,
    tag: tagged ? withoutDigest.substring(lastColon + 1) : 'latest',
    tagged,
    digest: image.includes('@'),
  };
}

/**
 * The release numbers a tag names, with or without a leading `v`: `3.1.2` (a full release, which may carry a
 * `-suffix` or `+build`), `3.1` (a line), `3` (a major); a line or major with a suffix keeps its numbers and
 * `suffixed`. Undefined for every other tag (`latest`, a private build's name).
 */
export function releaseOfTag(tag: string): { major: number; minor?: number; patch?: number; suffixed: boolean } | undefined {
  const match = /^v?(\d+)(?:\.(\d+)(?:\.(\d+))?)?([-+].*)?$/.exec(tag);
  if (!match) return undefined;
  return {
    major: Number(match[1]),
    minor: match[2] !== undefined ? Number(match[2]) : undefined,
    patch: match[3] !== undefined ? Number(match[3]) : undefined,
    suffixed: match[4] !== undefined,
  };
}

/** A host (any case, with an optional port) as the first part of a reference: it has a '.' or ':', or is localhost. */
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d+)?$/;
/** A path part of a repository: lower case only. */
const PATH_PART = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;

/**
 * Why the container runtime would refuse to pull `image` (the reference grammar of distribution's `reference`
 * package, which containerd and CRI-O use), or undefined when it is well formed. The API server accepts any text,
 * so without this a typo such as `Registry:3.1.2` fails only on the node, as `InvalidImageName`.
 */
export function imageReferenceProblem(image: string): string | undefined {
  const [nameAndTag, digest, extra] = image.split('@');
  if (extra !== undefined || (digest !== undefined && !DIGEST.test(digest))) return 'has a malformed digest: write @sha256:<64 hex digits>';
  const { repository, tag, tagged } = splitImage(nameAndTag);
  if (tagged && !TAG.test(tag)) return `has an invalid tag ${JSON.stringify(tag)}: letters, digits, '_', '.' and '-', at most 128`;
  const parts = repository.split('/');
  const hasDomain = parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost');
  if (hasDomain && !DOMAIN.test(parts[0])) return `has an invalid registry host ${JSON.stringify(parts[0])}`;
  const path = hasDomain ? parts.slice(1) : parts;
  const bad = path.find((part) => !PATH_PART.test(part));
  if (bad !== undefined) {
    return `has an invalid repository part ${JSON.stringify(bad)}: lower-case letters and digits, separated by '.', '_', '__' or '-'`;
  }
  return undefined;
}
