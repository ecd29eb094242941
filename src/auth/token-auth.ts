import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { AuthBindContext, AuthBinding, IRegistryAuth } from './registry-auth';
import { RegistryFeature } from '../config/registry-version';
import { secretVolume } from '../util/secret-env';
import { propError, requireProp, requireSecretKeyName } from '../util/validation';
import { requireFeature } from '../util/version-check';

/** Where the root certificate bundle is mounted. */
const ROOT_CERT_DIR = '/etc/registry/token-certs';

/** Where the JWKS file is mounted. */
const JWKS_DIR = '/etc/registry/token-jwks';

/**
 * A token signature algorithm the registry accepts (`auth.token.signingalgorithms`, registry 3.x).
 */
export enum TokenSigningAlgorithm {
  /** Ed25519. */
  EDDSA = 'EdDSA',
  /** HMAC with SHA-256. */
  HS256 = 'HS256',
  /** HMAC with SHA-384. */
  HS384 = 'HS384',
  /** HMAC with SHA-512. */
  HS512 = 'HS512',
  /** RSASSA-PKCS1-v1_5 with SHA-256. */
  RS256 = 'RS256',
  /** RSASSA-PKCS1-v1_5 with SHA-384. */
  RS384 = 'RS384',
  /** RSASSA-PKCS1-v1_5 with SHA-512. */
  RS512 = 'RS512',
  /** ECDSA P-256 with SHA-256. */
  ES256 = 'ES256',
  /** ECDSA P-384 with SHA-384. */
  ES384 = 'ES384',
  /** ECDSA P-521 with SHA-512. */
  ES512 = 'ES512',
  /** RSASSA-PSS with SHA-256. */
  PS256 = 'PS256',
  /** RSASSA-PSS with SHA-384. */
  PS384 = 'PS384',
  /** RSASSA-PSS with SHA-512. */
  PS512 = 'PS512',
}

/**
 * A file the token auth method reads (a certificate bundle, a JWKS), mounted read-only from one key
 * of a Secret or a ConfigMap. Both hold public material only, so a ConfigMap is fine.
 */
export abstract class TokenAuthFile {
  /** The file from one key of a Secret. */
  public static fromSecret(secret: kplus.ISecret, key: string): TokenAuthFile {
    return new SecretTokenAuthFile(secret, key);
  }

  /** The file from one key of a ConfigMap. */
  public static fromConfigMap(configMap: kplus.IConfigMap, key: string): TokenAuthFile {
    return new ConfigMapTokenAuthFile(configMap, key);
  }

  protected constructor(
    /** The key holding the file. */
    public readonly key: string) {
  }

  /**
   * The volume that projects `key` as `fileName`.
   * @param scope where the volume is created
   * @param id construct id of the volume
   * @param name the volume's name in the pod
   * @param fileName the file name inside the mount folder
   * @param property the property that gave this file, for errors
   */
  public abstract toVolume(scope: Construct, id: string, name: string, fileName: string, property: string): kplus.Volume;
}

class SecretTokenAuthFile extends TokenAuthFile {
  public constructor(private readonly secret: kplus.ISecret, key: string) {
    super(key);
  }

  public toVolume(scope: Construct, id: string, name: string, fileName: string, property: string): kplus.Volume {
    return secretVolume(scope, id, name, this.secret, [{ key: this.key, path: fileName, property }]);
  }
}

class ConfigMapTokenAuthFile extends TokenAuthFile {
  public constructor(private readonly configMap: kplus.IConfigMap, key: string) {
    super(key);
  }

  public toVolume(scope: Construct, id: string, name: string, fileName: string, property: string): kplus.Volume {
    requireSecretKeyName(scope, property, this.key);
    return kplus.Volume.fromConfigMap(scope, id, this.configMap, { name, items: { [this.key]: { path: fileName } } });
  }
}

/**
 * Properties of `TokenAuth`. Keys as in the `auth.token` section of the distribution
 * configuration reference (2.8.3 and 3.0.0).
 */
export interface TokenAuthProps {
  /** URL of the token server the registry sends clients to (`realm`), such as `https://auth.example.com/token`. */
  readonly realm: string;

  /** The service name the token server puts in its tokens (`service`), usually the registry's host name. */
  readonly service: string;

  /** The issuer the token server puts in its tokens (`issuer`); must match exactly. */
  readonly issuer: string;

  /**
   * The certificates that vouch for the keys signing the tokens (`rootcertbundle`, PEM): the CA of the
   * certificate a token carries in its `x5c` header, or the signing key's own certificate for tokens that name
   * their key by `kid`. Required on 2.8; on 3.x this or `jwks` is required.
   * @default - none (3.x with `jwks` only)
   */
  readonly rootCertBundle?: TokenAuthFile;

  /**
   * A JSON Web Key Set with the keys that sign the tokens (`jwks`). Registry 3.x only.
   * @default - none
   */
  readonly jwks?: TokenAuthFile;

  /**
   * The signature algorithms accepted (`signingalgorithms`). Registry 3.x only.
   * @default - the registry's default list (all of `TokenSigningAlgorithm`)
   */
  readonly signingAlgorithms?: TokenSigningAlgorithm[];

  /**
   * Derive the realm from the request's host (`autoredirect`), for a token server on the registry's own host:
   * the challenge points at `https://<host>/auth/token` on 2.8, and at `<scheme>://<host><autoRedirectPath>` on
   * 3.x, the scheme taken from `X-Forwarded-Proto` (https without it). `realm` is then not used, but required.
   * @default false
   */
  readonly autoRedirect?: boolean;

  /**
   * The path of the token endpoint with `autoRedirect` (`autoredirectpath`). Registry 3.x only.
   * @default '/auth/token' - the registry's default
   */
  readonly autoRedirectPath?: string;

  /**
   * Accept an `http://` realm. Clients then send their credentials to the token server in clear text, so this is
   * for a token server reached over a network you trust (a sidecar, a test) only.
   * @default false - an http:// realm is a synth-time error
   */
  readonly allowInsecureRealm?: boolean;
}

/**
 * Token authentication (`auth.token`): clients fetch a signed token from a separate token server
 * (Harbor core, GitLab, docker_auth, ...) and the registry verifies it with the server's public keys.
 * Nothing secret is mounted: the registry only needs public certificates or a JWKS.
 *
 * Every version accepts a token whose `x5c` header chains up to `rootCertBundle`. A token that names its key
 * by `kid` must use the kid the version computes for the bundle's keys: the libtrust fingerprint
 * (`ABCD:EFGH:...`) on 2.8, the RFC 7638 JWK thumbprint on 3.x (or the `kid` of a `jwks` key).
 */
export class TokenAuth implements IRegistryAuth {
  public constructor(private readonly props: TokenAuthProps) {
  }

  /** Renders `auth.token` for the registry version in use; 3.x-only keys on 2.8 are an error. */
  public bind(scope: Construct, context: AuthBindContext): AuthBinding {
    const props = requireProp(scope, 'auth', this.props, 'give TokenAuth its realm, service, issuer and rootCertBundle or jwks');
    for (const key of ['realm', 'service', 'issuer'] as const) {
      if (typeof props[key] !== 'string' || props[key].trim() === '') {
        throw propError(scope, `auth.${key}`, 'is required and must not be empty');
      }
    }
    if (!props.autoRedirect) {
      let url: URL | undefined;
      try {
        url = new URL(props.realm);
      } catch {
        url = undefined;
      }
      if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
        throw propError(scope, 'auth.realm', `(${JSON.stringify(props.realm)}) must be the token server's http(s) URL, such as "https://auth.example.com/token"`);
      }
      if (url.protocol === 'http:' && !props.allowInsecureRealm) {
        throw propError(scope, 'auth.realm', `(${JSON.stringify(props.realm)}) is http://, so clients would send their credentials to the token server in clear text: `
          + 'use an https:// realm, or acknowledge it with allowInsecureRealm: true');
      }
    }
    const v3 = context.version.supports(RegistryFeature.TOKEN_JWKS);
    const only3 = [
      ['jwks', props.jwks, 'a JWKS of the signing keys'],
      ['signingAlgorithms', props.signingAlgorithms, 'a list of accepted signing algorithms'],
      ['autoRedirectPath', props.autoRedirectPath, 'a token path other than /auth/token'],
    ] as const;
    for (const [key, given, what] of only3) {
      if (given !== undefined) requireFeature(scope, `auth.${key}`, context.version, RegistryFeature.TOKEN_JWKS, what);
    }
    if (!props.rootCertBundle && !props.jwks) {
      throw propError(scope, 'auth.rootCertBundle', v3
        ? 'or \'auth.jwks\' is required: the registry needs the keys that sign the tokens'
        : 'is required on registry 2.8: the registry needs the certificates whose keys sign the tokens');
    }
    if (props.signingAlgorithms !== undefined) {
      const known = Object.values(TokenSigningAlgorithm) as string[];
      if (props.signingAlgorithms.length === 0) {
        throw propError(scope, 'auth.signingAlgorithms', 'must not be empty: leave it out to accept the registry\'s default list');
      }
      for (const alg of props.signingAlgorithms) {
        if (!known.includes(alg)) {
          throw propError(scope, 'auth.signingAlgorithms', `has unknown algorithm ${JSON.stringify(alg)}: use one of ${known.join(', ')}`);
        }
      }
    }
    if (props.autoRedirectPath !== undefined) {
      if (!props.autoRedirect) {
        throw propError(scope, 'auth.autoRedirectPath', 'is only read with autoRedirect: true');
      }
      if (!/^\/[^\s]*$/.test(props.autoRedirectPath)) {
        throw propError(scope, 'auth.autoRedirectPath', `(${JSON.stringify(props.autoRedirectPath)}) must be an absolute path such as "/auth/token"`);
      }
    }

    const mounts = [];
    const parameters: { [key: string]: any } = {
      realm: props.realm,
      service: props.service,
      issuer: props.issuer,
    };
    if (props.rootCertBundle) {
      parameters.rootcertbundle = `${ROOT_CERT_DIR}/bundle.pem`;
      mounts.push({ volume: props.rootCertBundle.toVolume(scope, 'TokenRootCertVolume', 'token-root-certs', 'bundle.pem', 'auth.rootCertBundle.key'), path: ROOT_CERT_DIR, readOnly: true });
    }
    if (props.jwks) {
      parameters.jwks = `${JWKS_DIR}/jwks.json`;
      mounts.push({ volume: props.jwks.toVolume(scope, 'TokenJwksVolume', 'token-jwks', 'jwks.json', 'auth.jwks.key'), path: JWKS_DIR, readOnly: true });
    }
    if (props.autoRedirect !== undefined) parameters.autoredirect = props.autoRedirect;
    if (props.autoRedirectPath !== undefined) parameters.autoredirectpath = props.autoRedirectPath;
    if (props.signingAlgorithms !== undefined) parameters.signingalgorithms = [...props.signingAlgorithms];
    return { method: 'token', parameters, mounts };
  }
}
