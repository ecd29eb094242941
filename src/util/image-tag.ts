import { releaseOfTag, splitImage } from './image-reference';
import { RegistryVersion } from '../config/registry-version';

/**
 * Why an image tag that names no release cannot pick the config model, and exactly what to write instead; or
 * undefined when the tag is not a floating one. `registry:2` is not here: it floats only over 2.8.x (the 2.x line
 * ended with 2.8.3) and reads as 2.8 (`RegistryVersion.tryFromImage`).
 */
export function floatingTagAdvice(image: string): string | undefined {
  const { repository, tag, tagged, digest } = splitImage(image);
  if (!tagged && digest) return undefined; // a digest only: pinned, not 'latest'
  const newest = RegistryVersion.V3.version;
  const major3 = /^v?3$/.test(tag);
  if (!major3 && tag !== 'latest') return undefined;
  const what = major3 ? `tag '${tag}' floats over the 3.x releases`
    : !tagged ? 'without a tag it is \'latest\', which floats over every release' : 'tag \'latest\' floats over every release';
  return `names no release: ${what}, whose config keys differ, so the config cannot be chosen for it: pin the release, `
    + `image: '${repository}:${newest}', or keep the tag and set version: RegistryVersion.of('${newest}') `
    + '(the release the tag points at when you synthesize)';
}

/**
 * Why the tag of `image` does not run the pinned `version`, or undefined when it does: a full tag must name it;
 * a floating tag (`registry:3`, `registry:3.1`, `latest`) must follow its line, or the pods would run another
 * release than the config is rendered for, possibly one without the storage `driver`.
 */
export function imageTagProblem(version: RegistryVersion, image: string, driver: string): string | undefined {
  const { tag, tagged, digest } = splitImage(image);
  if (!tagged && digest) return undefined; // a digest only: the user pinned the bytes
  const newest = RegistryVersion.DEFAULTS[0];
  const release = releaseOfTag(tag);
  const full = release?.patch !== undefined ? release : undefined;
  const line = release?.minor !== undefined && release.patch === undefined && !release.suffixed ? release : undefined;
  const major = release?.minor === undefined && !release?.suffixed ? release : undefined;
  let runs: string;
  let runsMajor: number;
  if (full) {
    const fromTag = RegistryVersion.of(`${full.major}.${full.minor}.${full.patch}`);
    if (fromTag.version === version.version) return undefined;
    runs = fromTag.version;
    runsMajor = fromTag.major;
  } else if (line) {
    if (`${line.major}.${line.minor}` === version.line) return undefined;
    runs = `the newest ${line.major}.${line.minor}.x`;
    runsMajor = line.major;
  } else {
    if (tag !== 'latest' && !major) return undefined; // a tag of a private build: the user vouches for it with 'version'
    const floating = major ? major.major : newest.major;
    const newestOfMajor = RegistryVersion.DEFAULTS.find((v) => v.major === floating);
    if (newestOfMajor && newestOfMajor.line === version.line) return undefined;
    runs = `the newest ${floating}.x${newestOfMajor ? ` (${newestOfMajor.line} or later)` : ''}`;
    runsMajor = floating;
  }
  const drivers = runsMajor === 2 ? RegistryVersion.V2_8.storageDrivers : newest.storageDrivers;
  const lacks = drivers.includes(driver) ? '' : `, which has no '${driver}' storage driver`;
  return `('${image}') runs ${runs}${lacks}, but 'version' is ${version}, whose config path and keys are rendered: `
    + `pin the image to registry:${version} (or a mirror's ${version} tag), or set 'version' to the release the tag runs`;
}
