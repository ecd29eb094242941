import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { isDns1123Subdomain, propError, requireSecretKeyName } from './validation';

/**
 * File mode of every file the library mounts from a Secret: readable by its owner (root) and its group only.
 * The kubelet gives Secret volume files the pod's fsGroup as group (on Kubernetes the registry's own GID; on
 * OpenShift the one the SCC assigns), so the registry reads them and no other user of the node or pod does.
 */
export const SECRET_FILE_MODE = 0o440;

/** Throws unless the referenced Secret's name is one the API server accepts. */
export function requireSecretName(scope: IConstruct, property: string, secret: kplus.ISecret): void {
  if (!secret || typeof secret.name !== 'string') {
    throw propError(scope, property, 'needs a Secret: give kplus.Secret.fromSecretName(scope, id, name) or a kplus.Secret of the chart');
  }
  if (!isDns1123Subdomain(secret.name)) {
    throw propError(scope, property, `names Secret ${JSON.stringify(secret.name)}, which is not a valid Secret name: lower-case letters, digits, '-' and '.', `
      + 'starting and ending with a letter or digit, at most 253 characters');
  }
}

/**
 * An environment variable value read from one key of a Secret: the only way a credential reaches the
 * registry through its environment. The Secret's name and the key are checked first, so a typo fails at
 * synth time with the property named, not at pod start.
 */
export function secretEnv(scope: IConstruct, property: string, secret: kplus.ISecret, key: string): kplus.EnvValue {
  requireSecretName(scope, property, secret);
  requireSecretKeyName(scope, property, key);
  return kplus.EnvValue.fromSecretValue({ secret, key });
}

/**
 * A volume that projects keys of a Secret as files (`key` -> file name), readable by the registry's group
 * only (`SECRET_FILE_MODE`). Only the listed keys are projected, so other keys of the Secret stay out of
 * the pod; a missing key keeps the pod from starting. The Secret's name and the keys are checked first.
 * Each file names the property that gave its key, for errors.
 */
export function secretVolume(scope: IConstruct, id: string, volumeName: string, secret: kplus.ISecret,
  files: Array<{ key: string; path: string; property: string }>): kplus.Volume {
  requireSecretName(scope, files[0].property, secret);
  const items: { [key: string]: kplus.PathMapping } = {};
  for (const file of files) {
    requireSecretKeyName(scope, file.property, file.key);
    if (file.key in items) {
      throw propError(scope, file.property, `(${JSON.stringify(file.key)}) is already used for ${items[file.key].path}: give each file its own key`);
    }
    items[file.key] = { path: file.path };
  }
  return kplus.Volume.fromSecret(scope as Construct, id, secret, { name: volumeName, items, defaultMode: SECRET_FILE_MODE });
}
