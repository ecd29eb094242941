import { IConstruct } from 'constructs';
import { propError } from './validation';
import { RegistryFeature, RegistryVersion } from '../config/registry-version';

/**
 * Throws unless the registry version in use has `feature`, naming the property, the version in use
 * and the first release that has it. `what` says what the user asked for, in their words; `instead` what to do
 * on the version in use (default: drop it), with why when that helps.
 */
export function requireFeature(scope: IConstruct, property: string, version: RegistryVersion, feature: RegistryFeature, what: string,
  instead: string = 'drop it'): void {
  if (version.supports(feature)) return;
  const since = RegistryVersion.firstWith(feature);
  const constant = `RegistryVersion.V${since.major}_${since.minor}`;
  throw propError(scope, property, `(${what}) needs registry ${since} or later, and this registry runs ${version}: `
    + `use ${constant} or later (or an image tagged ${since.line}.x), or ${instead}`);
}
