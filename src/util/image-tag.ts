import { RegistryVersion } from '../config/registry-version';

/**
 * Why an image tag that names no release cannot pick the config model, and exactly what to write instead; or
 * undefined when the tag is not a floating one. `registry:2` is not here: it floats only over 2.8.x (the 2.x line
 * ended with 2.8.3) and reads as 2.8 (`RegistryVersion.tryFromImage`).
 */
export function floatingTagAdvice(image: string): string | undefined {
  const withoutDigest = image.split('@')[0];
  const lastSlash = withoutDigest.lastIndexOf('/');
  const lastColon = withoutDigest.lastIndexOf(':');
  const repository = lastColon > lastSlash ? withoutDigest.substring(0, lastColon) : withoutDigest;
  const tag = lastColon > lastSlash ? withoutDigest.substring(lastColon + 1) : 'latest';
  const newest = RegistryVersion.V3.version;
  const major3 = /^v?3$/.test(tag);
  if (!major3 && tag !== 'latest') return undefined;
  const what = major3 ? `tag '${tag}' floats over the 3.x releases`
    : lastColon <= lastSlash ? 'without a tag it is \'latest\', which floats over every release' : 'tag \'latest\' floats over every release';
  return `names no release: ${what}, whose config keys differ, so the config cannot be chosen for it: pin the release, `
    + `image: '${repository}:${newest}', or keep the tag and set version: RegistryVersion.of('${newest}') `
    + '(the release the tag points at when you synthesize)';
}
