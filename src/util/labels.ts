import { createHash } from 'crypto';

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** True when `value` is a valid Kubernetes label value (at most 63 characters, alphanumerics at both ends). */
export function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
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
