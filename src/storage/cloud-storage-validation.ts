import { IConstruct } from 'constructs';
import { propError } from '../util/validation';

/**
 * Shared checks of the Azure, GCS and OSS backends, each failing with an error that names the
 * property and says what would be valid.
 */

/** Throws unless `key` can be a key of a Kubernetes Secret; returns it. */
export function requireSecretKeyName(scope: IConstruct, property: string, key: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 253 || !/^[-._a-zA-Z0-9]+$/.test(key)) {
    throw propError(scope, property, `(${JSON.stringify(key)}) is not a valid Secret key: 1 to 253 letters, digits, '-', '_' and '.'`);
  }
  return key;
}

/** Throws unless `value` is an object-key prefix the drivers take as `rootdirectory`; returns it. */
export function requireRootDirectory(scope: IConstruct, property: string, value: string): string {
  if (typeof value !== 'string' || value.trim() === '' || /[\s\\]/.test(value) || value.split('/').some((part) => part === '.' || part === '..')) {
    throw propError(scope, property, `(${JSON.stringify(value)}) must be a key prefix such as "/registry": no spaces, backslashes, '.' or '..' segments`);
  }
  return value;
}
