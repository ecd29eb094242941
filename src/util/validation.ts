import { isIP, isIPv6 } from 'net';
import { Duration, Size, SizeRoundingBehavior } from 'cdk8s';
import { IConstruct } from 'constructs';
// eslint-disable-next-line import/no-cycle
import { refuseCredentials, urlCredentials } from './credential-check';

/**
 * Builds an error that names the construct path and the property at fault.
 *
 * Every synth-time error of the library goes through here, so users always see
 * where the bad value was given and what would be valid.
 */
export function propError(scope: IConstruct, property: string, message: string): RegistryValidationError {
  return new RegistryValidationError(scope.node.path, property, message);
}

/**
 * A synth-time error of the library: bad input, named by the construct path and the property at fault. The
 * message is `PATH: 'PROPERTY' DETAIL`, written here once; the parts stay readable for tools and tests.
 * (Not part of the jsii API: jsii refuses classes that extend `Error`; match the message, or check `name`.)
 */
export class RegistryValidationError extends Error {
  /** The path of the construct given the bad value. */
  public readonly path: string;
  /** The property at fault. */
  public readonly property: string;
  /** What is wrong and what would be valid. */
  public readonly detail: string;

  public constructor(path: string, property: string, detail: string) {
    super(`${path}: '${property}' ${detail}`);
    this.name = 'RegistryValidationError';
    this.path = path;
    this.property = property;
    this.detail = detail;
    Object.setPrototypeOf(this, RegistryValidationError.prototype);
  }
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** True when `value` is a DNS-1123 label (Service and Namespace names). */
export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL.test(value);
}

/** True when `value` is a DNS-1123 subdomain (most object names). */
export function isDns1123Subdomain(value: string): boolean {
  return value.length <= 253 && DNS1123_SUBDOMAIN.test(value);
}

/** Throws unless `value` is a DNS-1123 subdomain, the rule for most Kubernetes object names. */
export function requireDns1123Subdomain(scope: IConstruct, property: string, value: string): void {
  if (!isDns1123Subdomain(value)) {
    throw propError(scope, property, `(${JSON.stringify(value)}) must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters`);
  }
}

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** True when `value` is a DNS-1035 label (Service names: a DNS-1123 label that starts with a letter). */
export function isDns1035Label(value: string): boolean {
  return value.length <= 63 && DNS1035_LABEL.test(value);
}

/** Throws unless `value` is a DNS-1035 label, the rule for Service names. */
export function requireDns1035Label(scope: IConstruct, property: string, value: string): void {
  if (!isDns1035Label(value)) {
    throw propError(scope, property, `(${JSON.stringify(value)}) must be a DNS-1035 label, as a Service name is: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit, at most 63 characters`);
  }
}

/** Why `value` is not a DNS-1123 label (the rule for Namespace names), for a property error; undefined when it is one. */
export function dns1123LabelProblem(value: string): string | undefined {
  if (isDns1123Label(value)) return undefined;
  return `(${JSON.stringify(value)}) must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters`;
}

/** Throws unless `value` is a DNS-1123 label, the rule for Namespace names. */
export function requireDns1123Label(scope: IConstruct, property: string, value: string): void {
  const problem = dns1123LabelProblem(value);
  if (problem) throw propError(scope, property, problem);
}

/** Throws unless `value` is a whole number within [min, max]. */
export function requireIntegerInRange(scope: IConstruct, property: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw propError(scope, property, `(${value}) must be a whole number from ${min} to ${max}`);
  }
}

/** What `parseEndpoint` accepts besides scheme, host and port, and what its messages say. */
export interface EndpointRules {
  /** Where the credentials go instead of the URL, for the message (after "Store it in a Secret and"). */
  readonly credentials?: string;
  /** Where a user or password in the URL would land, for the message. */
  readonly lands?: string;
  /** A path is allowed (a webhook, a collector's base URL). */
  readonly path?: boolean;
  /** A query is allowed (a webhook's own parameters). */
  readonly query?: boolean;
}

/**
 * Parses a URL of a server the registry talks to (an object store's endpoint, an upstream registry, a webhook, a
 * collector): http(s) and a host, an optional port, and a path or query only where `rules` allow them. A user or
 * password in it is refused: it would land in the ConfigMap (or the manifest `rules.lands` names).
 */
export function parseEndpoint(scope: IConstruct, property: string, value: string, example: string, rules: EndpointRules = {}): URL {
  const parts = rules.path ? 'scheme, host, optional port and path' : 'scheme, host and optional port';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw propError(scope, property, `(${JSON.stringify(value)}) is not a URL: give ${parts}, such as "${example}"`);
  }
  refuseCredentials(scope, property, urlCredentials(value).map((what) => `the URL's ${what}`),
    { lands: rules.lands ?? 'config.yml (the ConfigMap)', advice: rules.credentials ?? 'give the credentials through their own props' });
  if ((url.search && !rules.query) || url.hash) {
    throw propError(scope, property, `(${JSON.stringify(value)}) must not have a ${rules.query ? 'fragment' : 'query or fragment'}: give ${parts}, such as "${example}"`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || (url.pathname !== '/' && !rules.path)) {
    throw propError(scope, property, `(${JSON.stringify(value)}) must be an http:// or https:// URL with ${rules.path ? 'a host, optional port and path' : 'a host and optional port only'}, such as "${example}"`);
  }
  return url;
}

/** True when `value` is an IPv4 or IPv6 CIDR (address and prefix length; host bits may be set). */
export function isCidr(value: string): boolean {
  const [address, bits, ...rest] = value.split('/');
  if (rest.length || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
  const prefix = Number(bits);
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (v4) return v4.slice(1).every((o) => Number(o) <= 255) && prefix <= 32;
  return !address.includes('%') && isIPv6(address) && prefix <= 128; // node accepts a zone id (fe80::1%eth0), the API server not
}

/** Throws unless every value is a CIDR (`isCidr`), naming the first that is not. */
export function requireCidrs(scope: IConstruct, property: string, values: readonly string[], example: string): void {
  const bad = values.find((value) => typeof value !== 'string' || !isCidr(value));
  if (bad !== undefined) throw propError(scope, property, `(${JSON.stringify(bad)}) is not a CIDR such as "${example}"`);
}

const HTTP_HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** True when `name` is an HTTP header name (an RFC 9110 token). */
export function isHttpHeaderName(name: string): boolean {
  return typeof name === 'string' && HTTP_HEADER_NAME.test(name);
}

/**
 * A checker for the header names of one request: each must be an HTTP header name, and given once, whatever its
 * case (names ignore case, and the registry sends both spellings of one name as two headers).
 * @returns a function to call with each name and the property it was given in
 */
export function headerNames(scope: IConstruct): (property: string, name: string) => void {
  const given = new Map<string, string>();
  return (property, name) => {
    if (!isHttpHeaderName(name)) throw propError(scope, property, `name ${JSON.stringify(name)} is not an HTTP header name`);
    const earlier = given.get(name.toLowerCase());
    if (earlier !== undefined) {
      throw propError(scope, property, `header '${name}' is also given as '${earlier}' (header names ignore case): give it once`);
    }
    given.set(name.toLowerCase(), name);
  };
}

/** Throws unless `value` is a lower-case DNS name with at least one dot, as clients type it (no scheme, port or wildcard). */
export function requireHostname(scope: IConstruct, property: string, value: string, example: string): void {
  if (typeof value !== 'string' || !isDns1123Subdomain(value) || !value.includes('.')) {
    throw propError(scope, property, `(${JSON.stringify(value)}) must be a lower-case DNS name such as "${example}", without scheme, port or wildcard`);
  }
}

/** Throws unless `key` can be a key of a Kubernetes Secret or ConfigMap; returns it. */
export function requireSecretKeyName(scope: IConstruct, property: string, key: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 253 || !/^[-._a-zA-Z0-9]+$/.test(key)) {
    throw propError(scope, property, `(${JSON.stringify(key)}) is not a valid Secret key: 1 to 253 letters, digits, '-', '_' and '.'`);
  }
  return key;
}

/**
 * Throws unless a required prop was given. JavaScript callers get no type check from jsii, so a missing
 * prop would otherwise surface as a `TypeError` deep inside the library; returns the value.
 */
export function requireProp<T>(scope: IConstruct, property: string, value: T | undefined | null, hint: string): T {
  if (value === undefined || value === null) {
    throw propError(scope, property, `is required: ${hint}`);
  }
  return value;
}

/** Throws unless `value` is one of `allowed` (an enum given by a JavaScript caller as a plain string); returns it. */
export function requireOneOf<T extends string>(scope: IConstruct, property: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) {
    throw propError(scope, property, `(${JSON.stringify(value)}) must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }
  return value;
}

/**
 * A duration in whole seconds within [min, max]: `NaN`, `Infinity` and fractions of a second are errors that
 * name the property (rather than a cdk8s conversion message or a Go duration the registry refuses).
 */
export function wholeSeconds(scope: IConstruct, property: string, duration: Duration, min: number, max?: number): number {
  let seconds: number;
  try {
    seconds = duration.toSeconds({ integral: false });
  } catch {
    seconds = NaN;
  }
  if (!Number.isInteger(seconds) || seconds < min || (max !== undefined && seconds > max)) {
    const range = max !== undefined ? `from ${min} to ${max}` : `of at least ${min}`;
    throw propError(scope, property, `(${seconds} s) must be a whole number of seconds ${range}, such as Duration.minutes(15)`);
  }
  return seconds;
}

/**
 * A Go duration string, in the largest whole unit. The duration must be whole seconds, at least `minSeconds`: an
 * error names `property` otherwise.
 */
export function goDuration(scope: IConstruct, property: string, duration: Duration, minSeconds: number): string {
  const seconds = wholeSeconds(scope, property, duration, minSeconds);
  if (seconds === 0) return '0s';
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** A size in whole mebibytes, at least `minMebibytes`: `NaN`, `Infinity` and fractions are errors that name the property. */
export function wholeMebibytes(scope: IConstruct, property: string, size: Size, minMebibytes: number): number {
  return wholeUnits(scope, property, size.toMebibytes.bind(size), 'mebibytes', 'MiB', minMebibytes);
}

/**
 * A size in whole gibibytes, at least `minGibibytes`, for what cdk8s-plus renders in `Gi` (a claim's storage request):
 * `Size.mebibytes(500)` is an error that names the property, not a serialization failure.
 */
export function wholeGibibytes(scope: IConstruct, property: string, size: Size, minGibibytes: number): number {
  return wholeUnits(scope, property, size.toGibibytes.bind(size), 'gibibytes', 'GiB', minGibibytes);
}

function wholeUnits(scope: IConstruct, property: string, convert: (opts: { rounding: SizeRoundingBehavior }) => number,
  units: string, symbol: string, min: number): number {
  let amount: number;
  try {
    amount = convert({ rounding: SizeRoundingBehavior.NONE });
  } catch {
    amount = NaN;
  }
  if (!Number.isInteger(amount) || amount < min) {
    throw propError(scope, property, `(${amount} ${symbol}) must be a whole number of ${units}, at least ${min}, such as Size.gibibytes(10)`);
  }
  return amount;
}

/** `host` or `host:port`, as image references name a registry. */
export function isImageHost(value: string): boolean {
  if (typeof value !== 'string') return false;
  const m = /^(\[[0-9a-f:.]+\]|[^:/[\]]+)(?::(\d{1,5}))?$/.exec(value);
  if (!m) return false;
  const host = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
  if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535)) return false;
  return m[1].startsWith('[') ? isIP(host) === 6 : (isDns1123Subdomain(host) || isIP(host) === 4);
}
