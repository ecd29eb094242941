import * as kplus from 'cdk8s-plus-27';

/**
 * One key of a Secret: how every credential reaches the registry, never as a literal.
 */
export interface SecretKeyReference {
  /** The Secret, usually `kplus.Secret.fromSecretName(scope, id, name)` for one managed outside the chart. */
  readonly secret: kplus.ISecret;

  /** The key inside the Secret. */
  readonly key: string;
}
