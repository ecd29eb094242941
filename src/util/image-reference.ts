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
