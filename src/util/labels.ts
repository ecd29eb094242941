import { createHash } from 'crypto';
import { IConstruct } from 'constructs';
import { isDns1123Subdomain, propError } from './validation';

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** True when `value` is a valid Kubernetes label value (at most 63 characters, alphanumerics at both ends). */
export function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

/** A label key's name part: at most 63 letters, digits, '-', '_' and '.', alphanumerics at both ends. */
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** True when `key` is a valid Kubernetes label key: an optional DNS-subdomain prefix and '/', then a name. */
export function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.substring(0, slash) : undefined;
  return LABEL_NAME.test(key.substring(slash + 1)) && (prefix === undefined || isDns1123Subdomain(prefix));
}

/**
 * Checks labels the API server would refuse (in a selector or on an object), naming the property and the label.
 * @param example a label key for the message, such as "node-role.kubernetes.io/infra"
 */
export function requireLabels(scope: IConstruct, property: string, labels: { [key: string]: string }, example: string): void {
  for (const [key, value] of Object.entries(labels)) {
    if (!isLabelKey(key)) {
      throw propError(scope, property, `key ${JSON.stringify(key)} is not a label key such as "${example}" (an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_', '.')`);
    }
    if (typeof value !== 'string' || !isLabelValue(value)) {
      throw propError(scope, property, `value ${JSON.stringify(value)} of ${key} is not a label value (at most 63 letters, digits, '-', '_', '.', alphanumerics at both ends)`);
    }
  }
}

/**
 * A valid label value derived from any text (a construct id may hold spaces, slashes, upper case, 200
 * characters): lower case, other characters become '-', trimmed to alphanumerics at both ends, and cut to 63
 * characters with a short hash of the original when it had to be shortened, so two long ids stay distinct.
 * Falls back to `fallback` when nothing usable is left.
 */
export function toLabelValue(text: string, fallback: string): string {
  const cleaned = text.toLowerCase().replace(/[^a-z0-9-_.]+/g, '-').replace(/^[^a-z0-9]+/, '').replace(/[^a-z0-9]+$/, '');
  if (cleaned === '') {
    return fallback;
  }
  if (cleaned.length <= 63) {
    return cleaned;
  }
  const hash = createHash('sha256').update(text).digest('hex').substring(0, 8);
  return `${cleaned.substring(0, 54).replace(/[^a-z0-9]+$/, '')}-${hash}`;
}

/** The `app.kubernetes.io/*` labels of every object of a registry (its name, or its construct id, as instance). */
export function registryLabels(id: string, name: string | undefined, version: string): { [key: string]: string } {
  return {
    'app.kubernetes.io/name': 'registry',
    'app.kubernetes.io/instance': name ?? toLabelValue(id, 'registry'),
    'app.kubernetes.io/version': toLabelValue(version, 'unknown'),
    'app.kubernetes.io/component': 'registry',
    'app.kubernetes.io/managed-by': 'cdk8s-registry',
  };
}
