/**
 * The one rule for credentials written as plain text, whatever route they take into the manifests: a config
 * fragment (a part's config, `addConfigSection`), a webhook's header or URL, a hand-written URL, an environment
 * variable of the registry container. Every route refuses with `credentialError`, so the message is the same.
 */
import { IConstruct } from 'constructs';
import { propError } from './validation';

/**
 * Words that name a credential, in a config key, a header name, a URL query parameter or an environment variable
 * (compared lower-case, with `-`, `_` and `.` removed): `X-Auth-Key`, `licensekey`, `REGISTRY_PROXY_PASSWORD`.
 */
const CREDENTIAL_WORDS = 'password|passwd|passphrase|secret|token|credential|apikey|accesskey|secretkey|privatekey|accountkey'
  + '|authkey|licensekey|sessionkey|signature|authorization|cookie';

/** A config key or header name that names a credential (the word anywhere in the key). */
const CREDENTIAL_KEY = new RegExp(`(${CREDENTIAL_WORDS})`);

/**
 * An environment variable that names a credential: its name ends with the word (`REGISTRY_PROXY_PASSWORD`,
 * `OTEL_API_KEY`), since a variable's name joins a whole config path (`REGISTRY_AUTH_TOKEN_REALM` is a URL).
 */
const CREDENTIAL_ENV = new RegExp(`(${CREDENTIAL_WORDS}|apikey|key)$`);

/** Query parameters of a URL that carry a credential (besides the words): `?key=`, `?sig=` (an Azure SAS), `?code=`. */
const CREDENTIAL_QUERY = /^(key|sig|code|auth|pass|pwd)$/;

/**
 * Values that are credentials whatever their key: an HTTP Authorization value, a PEM private key, a JSON web token,
 * a URL with a user or password.
 */
const CREDENTIAL_VALUE = [
  /^(bearer|basic|token)\s+\S{8,}/i,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /(^|[^A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/,
];

/**
 * Keys whose name holds a credential word but that name an auth method of config.yml (`auth.htpasswd`, `auth.token`):
 * their parameters are checked by their own keys (a realm, an issuer, a file path), not all taken for credentials.
 */
const AUTH_METHOD_PATHS = ['auth.htpasswd', 'auth.token'];

/** A value under a credential-named key that is a file path (the cloudfront middleware's `privatekey`): not a credential. */
const FILE_PATH = /^\/[^\s:]*$/;

/** Normalizes a key or name for the word tests. */
function normalized(name: string): string {
  return name.toLowerCase().replace(/[-_.\s]/g, '');
}

/** True when `name` (a config key, header name or query parameter) names a credential. */
export function isCredentialKey(name: string): boolean {
  return CREDENTIAL_KEY.test(normalized(name));
}

/**
 * What in a URL-shaped string is a credential: its user info, or a query parameter that names one
 * (`?token=...`, `?access_token=...`, `?sig=...`). Strings that are not absolute URLs give none.
 */
export function urlCredentials(text: string): string[] {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return [];
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]*@/i.test(text) ? ['user info'] : [];
  }
  const found: string[] = [];
  if (url.username || url.password) found.push(url.password ? 'user and password' : 'user info');
  for (const name of new Set(url.searchParams.keys())) {
    if (url.searchParams.get(name) !== '' && (isCredentialKey(name) || CREDENTIAL_QUERY.test(normalized(name)))) {
      found.push(`query parameter '${name}'`);
    }
  }
  return found;
}

/** Whether a string value is a credential whatever its key (see CREDENTIAL_VALUE, and URLs with credentials). */
function credentialInValue(text: string): string | undefined {
  if (CREDENTIAL_VALUE.some((re) => re.test(text))) return '';
  const inUrl = urlCredentials(text);
  return inUrl.length > 0 ? ` (${inUrl.join(', ')})` : undefined;
}

/**
 * Paths of credential-looking literals in `value`: non-empty strings under a credential-named key (or in a list
 * under one) that are not file paths, and strings shaped like a credential whatever their key (an Authorization
 * value, a private key, a JSON web token, a URL with user info or a token in its query). `isPlaceholder` values pass.
 */
export function findCredentialLiterals(value: any, isPlaceholder: (v: any) => boolean, path = '', underCredentialKey = false): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item, i) => findCredentialLiterals(item, isPlaceholder, `${path}[${i}]`, underCredentialKey));
  }
  if (value !== null && typeof value === 'object') {
    return Object.keys(value).flatMap((key) => {
      const at = path ? `${path}.${key}` : key;
      return findCredentialLiterals(value[key], isPlaceholder, at, underCredentialKey || (isCredentialKey(key) && !AUTH_METHOD_PATHS.includes(at)));
    });
  }
  if (typeof value !== 'string' || isPlaceholder(value)) return [];
  const inValue = credentialInValue(value);
  if (inValue !== undefined) return [`${path}${inValue}`];
  // A `type` names the kind of a credential (azure's `credentials.type: shared_key`), never the credential itself.
  if (underCredentialKey && value !== '' && !FILE_PATH.test(value) && !/(^|\.)type$/.test(path)) return [path];
  return [];
}

/** A value made only of `$(VARIABLE)` references, which the kubelet fills in from other variables (Secrets). */
const ENV_REFERENCES = /^(\$\([A-Za-z_][A-Za-z0-9_]*\))+$/;

/** OTLP exporter variables that hold `name=value,...` headers. */
const OTLP_HEADERS = /^OTEL_EXPORTER_OTLP(_TRACES|_METRICS|_LOGS)?_HEADERS$/;

/**
 * What is a credential in the literal value of the environment variable `name`: the whole value when the name
 * names a credential (`REGISTRY_PROXY_PASSWORD`, `OTEL_..._API_KEY`) and the value is not a file path; an OTLP
 * header whose name names one (`OTEL_EXPORTER_OTLP_HEADERS=api-key=...`); a value shaped like a credential.
 * References to other variables (`$(NAME)`) pass.
 */
export function envCredentials(name: string, value: string | undefined): string[] {
  if (value === undefined || value === '' || ENV_REFERENCES.test(value)) return [];
  if (OTLP_HEADERS.test(name)) {
    return value.split(',').flatMap((pair) => {
      const separator = pair.indexOf('=');
      const header = pair.substring(0, separator).trim();
      const headerValue = pair.substring(separator + 1).trim();
      if (separator < 0 || headerValue === '' || ENV_REFERENCES.test(headerValue)) return [];
      return isCredentialKey(header) || credentialInValue(decodeSafely(headerValue)) !== undefined ? [`${name} header '${header}'`] : [];
    });
  }
  const inValue = credentialInValue(value);
  if (inValue !== undefined) return [`${name}${inValue}`];
  if (CREDENTIAL_ENV.test(normalized(name)) && !FILE_PATH.test(value)) return [name];
  return [];
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Where a literal lands, and what to do instead, for `credentialError`. */
export interface CredentialRoute {
  /** The object the literal would be written to, such as `config.yml (the ConfigMap)`. */
  readonly lands: string;
  /** What to do instead, after "Store it in a Secret and". */
  readonly advice: string;
}

/** Config fragments: parts' config and `addConfigSection`. */
export const CONFIG_ROUTE: CredentialRoute = {
  lands: 'config.yml (the ConfigMap)',
  advice: 'put registry.secretValue(secret, key) in its place',
};

/** Environment variables of the registry container. */
export const ENV_ROUTE: CredentialRoute = {
  lands: 'the Deployment (an env value)',
  advice: 'reference it with kplus.EnvValue.fromSecretValue() or registry.addSecretEnv(), or put registry.secretValue(secret, key) in config.yml',
};

/** Pod annotations a part contributes. */
export const ANNOTATION_ROUTE: CredentialRoute = {
  lands: 'the Deployment (a pod annotation)',
  advice: 'mount it from the Secret, or reference it from the Secret in an env variable',
};

/**
 * The error every route gives for credentials written as plain text: it names the construct path, the property,
 * what was found, where it would land and what to do instead (a Secret, through `secretValue` or a Secret reference).
 */
export function credentialError(scope: IConstruct, property: string, found: string[], route: CredentialRoute): Error {
  return propError(scope, property, `puts what looks like a credential in ${route.lands} as plain text (${found.join(', ')}): `
    + `anyone who can read the namespace can read it there. Store it in a Secret and ${route.advice}`);
}

/** Throws `credentialError` when `found` is not empty. */
export function refuseCredentials(scope: IConstruct, property: string, found: string[], route: CredentialRoute): void {
  if (found.length > 0) throw credentialError(scope, property, found, route);
}
