import { IConstruct } from 'constructs';
import { RegistryVersion } from './registry-version';
import { floatingTagAdvice, imageTagProblem } from '../util/image-tag';
import { propError } from '../util/validation';

/** What the release of a registry is chosen from: its props. */
export interface ReleaseChoice {
  /** The release asked for, if any. */
  readonly version?: RegistryVersion;
  /** The image asked for, if any: its tag names the release when `version` is not given. */
  readonly image?: string;
  /** The storage driver, which the release must have. */
  readonly driver: string;
}

/**
 * The release a registry runs: `version`, else the release `image`'s tag names, else the newest release with the
 * storage driver. A floating tag, a tag naming no release, a tag contradicting `version`, an unknown release line
 * and a release without the driver are errors on the prop at fault (`scope` is the registry).
 */
export function chooseRelease(scope: IConstruct, props: ReleaseChoice): RegistryVersion {
  const driver = props.driver;
  let version: RegistryVersion | undefined;
  try {
    version = props.version ?? (props.image !== undefined ? RegistryVersion.tryFromImage(props.image) : undefined);
  } catch (e) {
    throw propError(scope, props.version ? 'version' : 'image', `${(e as Error).message}`);
  }
  const floating = !version && props.image !== undefined ? floatingTagAdvice(props.image) : undefined;
  if (floating) {
    throw propError(scope, 'image', `('${props.image}') ${floating}`);
  }
  if (props.version && props.image !== undefined) {
    const problem = imageTagProblem(props.version, props.image, driver);
    if (problem) throw propError(scope, 'image', problem);
  }
  if (!version && props.image !== undefined) {
    throw propError(scope, 'image', `('${props.image}') has no tag naming a 2.8.x or 3.x release, so the config path and keys cannot be chosen: pin a tag such as registry:3.1.2, or set 'version'`);
  }
  const supporting = RegistryVersion.DEFAULTS.filter((v) => v.supportsStorageDriver(driver)).map((v) => v.major === 2 ? '2.8.x' : '3.x');
  if (!version) {
    version = RegistryVersion.DEFAULTS.find((v) => v.supportsStorageDriver(driver));
    if (!version) {
      throw propError(scope, 'storage', `uses driver '${driver}', which no supported registry release has`);
    }
  }
  if (!version.supportsStorageDriver(driver)) {
    throw propError(scope, 'version', `(${version}) has no '${driver}' storage driver (its drivers: ${version.storageDrivers.join(', ')}); '${driver}' exists in registry ${supporting.join(' and ')}: pin RegistryVersion.V2_8 or an image such as registry:2.8.3`);
  }
  return version;
}
