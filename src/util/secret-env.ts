import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { requireSecretKeyName } from './validation';

/**
 * An environment variable value read from one key of a Secret: the only way a credential reaches the
 * registry through its environment. The key name is checked first, so a typo fails at synth time with
 * the property named, not at pod start.
 */
export function secretEnv(scope: IConstruct, property: string, secret: kplus.ISecret, key: string): kplus.EnvValue {
  requireSecretKeyName(scope, property, key);
  return kplus.EnvValue.fromSecretValue({ secret, key });
}
