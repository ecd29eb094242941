/**
 * Finds values in a config fragment that look like credentials written as plain text, so that they are
 * refused before they reach a ConfigMap.
 */

/** Keys whose values are credentials (compared case-insensitively, ignoring `-` and `_`). */
const CREDENTIAL_KEY = /(password|passwd|secret|token|credential|apikey|accesskey|privatekey|authorization|cookie)/;

/** Values that are credentials whatever their key (an HTTP Authorization value, a PEM private key). */
const CREDENTIAL_VALUE = /^(bearer|basic|token)\s+\S{8,}|-----BEGIN [A-Z ]*PRIVATE KEY-----/i;

/**
 * Paths of credential-looking literals in `value`: strings under a credential-like key (or in a list
 * under one), and strings shaped like an Authorization value or a private key. `isPlaceholder` values pass.
 */
export function findCredentialLiterals(value: any, isPlaceholder: (v: any) => boolean, path = '', underCredentialKey = false): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item, i) => findCredentialLiterals(item, isPlaceholder, `${path}[${i}]`, underCredentialKey));
  }
  if (value !== null && typeof value === 'object') {
    return Object.keys(value).flatMap((key) => {
      const credentialKey = CREDENTIAL_KEY.test(key.toLowerCase().replace(/[-_]/g, ''));
      return findCredentialLiterals(value[key], isPlaceholder, path ? `${path}.${key}` : key, underCredentialKey || credentialKey);
    });
  }
  if (typeof value !== 'string') return [];
  if (isPlaceholder(value)) return [];
  const text = value;
  if ((underCredentialKey && text !== '') || CREDENTIAL_VALUE.test(text)) {
    return [path];
  }
  return [];
}
