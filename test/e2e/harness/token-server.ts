/**
 * A loopback token server speaking the Docker token protocol as the registry and skopeo use it
 * (`GET <realm>?service=...&scope=repository:NAME:pull,push`, HTTP Basic credentials, JSON answer with a
 * signed JWT), for `TokenAuth` scenarios. The registry, skopeo and the protocol are the real thing; only the
 * token server is a fixture.
 */
import * as crypto from 'crypto';
import * as http from 'http';
import { CertifiedKey, ThrowawayCa } from './certificates';
import { freePort, onCleanup, tempDir } from './cleanup';
import { forwardRequest } from './round-robin-proxy';

/** How a token's header names its signing key; each registry version accepts some of them. */
export enum TokenKeyHeader {
  /**
   * `x5c`: the signing certificate and its CA, verified up to a certificate of `rootcertbundle`
   * (2.8, 3.0, 3.1). The bundle then needs only the CA (`caCertificate`).
   */
  X5C = 'x5c',
  /**
   * `kid` = the libtrust fingerprint of the signing key (`ABCD:EFGH:...`), looked up among the keys of the
   * `rootcertbundle` certificates: what registry 2.8 reads. The bundle must hold `signingCertificate`.
   */
  KID_LIBTRUST = 'kid-libtrust',
  /**
   * `kid` = the RFC 7638 JWK thumbprint of the signing key, looked up among the keys of the `rootcertbundle`
   * certificates and the `kid`s of the `jwks`: what registry 3.x reads (`jwks` is the JWKS with that `kid`).
   */
  KID_THUMBPRINT = 'kid-thumbprint',
}

/** A key that signs tokens: an RSA key with a certificate from a throwaway CA. */
export class TokenSigner {
  /** Makes a CA and a signing key with a certificate from it (`openssl`, in a temp folder). */
  public static create(name: string): TokenSigner {
    const ca = ThrowawayCa.create(tempDir(`token-${name}`), `e2e token CA ${name}`);
    return new TokenSigner(ca, ca.issue('signer', `/CN=e2e token signer ${name}`, ['keyUsage=digitalSignature']));
  }

  /** The signing key's public key. */
  public readonly publicKey: crypto.KeyObject;
  private readonly privateKey: crypto.KeyObject;

  private constructor(private readonly ca: ThrowawayCa, private readonly signer: CertifiedKey) {
    this.privateKey = crypto.createPrivateKey(signer.key);
    this.publicKey = crypto.createPublicKey(this.privateKey);
  }

  /** The CA's certificate (PEM): a `rootcertbundle` for `x5c` tokens. */
  public get caCertificate(): string {
    return this.ca.cert;
  }

  /** The signing key's own certificate (PEM): a `rootcertbundle` for `kid` tokens (and `x5c` ones). */
  public get signingCertificate(): string {
    return this.signer.cert;
  }

  /** The libtrust fingerprint of the key (registry 2.8's `kid`): SHA-256 of the SPKI DER, 240 bits, base32 in groups of 4. */
  public get libtrustKeyId(): string {
    const hash = crypto.createHash('sha256').update(this.publicKey.export({ type: 'spki', format: 'der' })).digest().subarray(0, 30);
    return (base32(hash).match(/.{4}/g) as string[]).join(':');
  }

  /** The RFC 7638 JWK thumbprint of the key (registry 3.x's `kid` for `rootcertbundle` keys, and the `kid` in `jwks`). */
  public get thumbprint(): string {
    const jwk = this.publicKey.export({ format: 'jwk' });
    return crypto.createHash('sha256').update(`{"e":"${jwk.e}","kty":"RSA","n":"${jwk.n}"}`).digest('base64url');
  }

  /** A JSON Web Key Set holding the public key, `kid` = `thumbprint`: the file for registry 3.x `jwks`. */
  public get jwks(): string {
    const jwk = this.publicKey.export({ format: 'jwk' });
    return JSON.stringify({ keys: [{ kty: 'RSA', use: 'sig', alg: 'RS256', kid: this.thumbprint, n: jwk.n, e: jwk.e }] });
  }

  /** A compact JWS (RS256) of `claims`, its header naming the key as `header` says. */
  public sign(claims: TokenClaims, header: TokenKeyHeader): string {
    const head: { [key: string]: unknown } = { typ: 'JWT', alg: 'RS256' };
    if (header === TokenKeyHeader.X5C) {
      head.x5c = [this.signer.cert, this.ca.cert].map((pem) => new crypto.X509Certificate(pem).raw.toString('base64'));
    } else {
      head.kid = header === TokenKeyHeader.KID_LIBTRUST ? this.libtrustKeyId : this.thumbprint;
    }
    const input = `${b64url(JSON.stringify(head))}.${b64url(JSON.stringify(claims))}`;
    return `${input}.${crypto.sign('sha256', Buffer.from(input), this.privateKey).toString('base64url')}`;
  }
}

/** One entry of a token's `access` claim. */
export interface TokenAccess {
  readonly type: string;
  readonly name: string;
  readonly actions: string[];
}

/** The claims of a registry token. */
export interface TokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string;
  readonly exp: number;
  readonly nbf: number;
  readonly iat: number;
  readonly jti: string;
  readonly access: TokenAccess[];
}

/** A user of the token server: a password and the actions it may have on every repository. */
export interface TokenUser {
  readonly password: string;
  /** Such as `['pull', 'push']` or `['pull']`. */
  readonly actions: string[];
}

/** Options of `TokenServer.start`. */
export interface TokenServerOptions {
  /** The `iss` claim. */
  readonly issuer: string;
  /** The service the server signs for (`aud`); a request for another `service` answers 400. */
  readonly service: string;
  /** Users by name. A request with no credentials gets a token granting nothing (an anonymous token). */
  readonly users: { readonly [username: string]: TokenUser };
  /** How tokens name their key. Default `X5C`; `keyHeader` changes it later. */
  readonly keyHeader?: TokenKeyHeader;
}

/** A request the token server answered. */
export interface TokenRequest {
  /** The Basic user, or undefined for an anonymous request. */
  readonly user?: string;
  readonly service: string | null;
  /** The `scope` parameters, as sent. */
  readonly scopes: string[];
  readonly status: number;
  /** What the token granted (requested ∩ allowed), when one was issued. */
  readonly granted?: TokenAccess[];
}

/** A running token server on 127.0.0.1; `cleanupAll()` stops it too. */
export class TokenServer {
  /** Starts the server on a free loopback port; its key and certificates are made by `openssl` first. */
  public static async start(options: TokenServerOptions): Promise<TokenServer> {
    const server = new TokenServer(options, TokenSigner.create('server'), await freePort());
    await new Promise<void>((resolve) => server.http.listen(server.port, '127.0.0.1', resolve));
    onCleanup(() => server.stop());
    return server;
  }

  /** How the tokens name their key (settable between requests). */
  public keyHeader: TokenKeyHeader;
  /** Where requests for other paths than `/token` go (`forwardTo`). */
  private backend: string | undefined;
  /** Every request answered, oldest first. */
  public readonly requests: TokenRequest[] = [];
  private readonly http: http.Server;
  private serial = 0;

  private constructor(
    private readonly options: TokenServerOptions,
    /** The key that signs the tokens. */
    public readonly signer: TokenSigner,
    /** The port on 127.0.0.1. */
    public readonly port: number) {
    this.keyHeader = options.keyHeader ?? TokenKeyHeader.X5C;
    this.http = http.createServer((req, res) => this.handle(req, res));
  }

  /** `http://127.0.0.1:PORT/token`: the `realm`. */
  public get realm(): string {
    return `http://127.0.0.1:${this.port}/token`;
  }

  /** `http://127.0.0.1:PORT`: with `forwardTo`, the registry behind it, on the realm's host. */
  public get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * Sends every request but `/token` on to the registry at `address` (`127.0.0.1:PORT`), Host header unchanged:
   * the registry and its token realm on one host, as an ingress routing `/token` to the token server puts them
   * (Harbor, GitLab). Registry 3.1 sends a proxy's upstream login only to a realm on the upstream's host or its
   * registrable domain (`proxy/proxyauth.go` `realmAllowed`), so a 3.1 pull-through cache of a loopback upstream
   * logs in only through `url`.
   */
  public forwardTo(address: string | undefined): void {
    this.backend = address;
  }

  /** The issuer it signs as. */
  public get issuer(): string {
    return this.options.issuer;
  }

  /** The service (`aud`) it signs for. */
  public get service(): string {
    return this.options.service;
  }

  /**
   * A token as this server would issue it to `subject` for `access`, with claims overridden by `override`
   * and signed by `signer` (default: the server's key): for tokens the server would never issue.
   */
  public token(subject: string, access: TokenAccess[], override: Partial<TokenClaims> = {}, signer: TokenSigner = this.signer): string {
    const now = Math.floor(Date.now() / 1000);
    const claims: TokenClaims = {
      iss: this.options.issuer,
      sub: subject,
      aud: this.options.service,
      exp: now + 300,
      nbf: now,
      iat: now,
      jti: `e2e-${process.pid}-${++this.serial}`,
      access,
      ...override,
    };
    return signer.sign(claims, this.keyHeader);
  }

  /** Stops listening. */
  public stop(): Promise<void> {
    if (!this.http.listening) return Promise.resolve();
    return new Promise((resolve) => this.http.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const service = url.searchParams.get('service');
    const scopes = url.searchParams.getAll('scope');
    const answer = (status: number, body: object, user?: string, granted?: TokenAccess[]) => {
      this.requests.push({ user, service, scopes, status, granted });
      const headers: http.OutgoingHttpHeaders = { 'Content-Type': 'application/json' };
      if (status === 401) headers['WWW-Authenticate'] = 'Basic realm="e2e token server"';
      res.writeHead(status, headers).end(JSON.stringify(body));
    };
    if (url.pathname !== '/token' && this.backend !== undefined) return forwardRequest(req, res, this.backend);
    if (req.method !== 'GET' || url.pathname !== '/token') return answer(404, { details: 'not found' });

    let user: string | undefined;
    let allowed: string[] = [];
    const authorization = req.headers.authorization ?? '';
    if (authorization !== '') {
      const decoded = /^Basic\s+(.+)$/i.exec(authorization) ? Buffer.from(authorization.split(/\s+/)[1], 'base64').toString('utf-8') : '';
      const colon = decoded.indexOf(':');
      user = colon < 0 ? decoded : decoded.slice(0, colon);
      const entry = Object.prototype.hasOwnProperty.call(this.options.users, user) ? this.options.users[user] : undefined;
      if (colon < 0 || !entry || entry.password !== decoded.slice(colon + 1)) {
        return answer(401, { details: 'invalid username or password' }, user);
      }
      allowed = entry.actions;
    }
    if (service !== null && service !== this.options.service) {
      return answer(400, { details: `unknown service ${JSON.stringify(service)}` }, user);
    }

    // Each scope is TYPE:NAME:ACTIONS (a name may hold a port, so split from both ends).
    const granted: TokenAccess[] = [];
    for (const scope of scopes.flatMap((s) => s.split(' ')).filter(Boolean)) {
      const first = scope.indexOf(':');
      const last = scope.lastIndexOf(':');
      if (first < 0 || last <= first) return answer(400, { details: `malformed scope ${JSON.stringify(scope)}` }, user);
      const type = scope.slice(0, first);
      const name = scope.slice(first + 1, last);
      const actions = type === 'repository' ? scope.slice(last + 1).split(',').filter((a) => allowed.includes(a)) : [];
      if (actions.length > 0) granted.push({ type, name, actions });
    }
    const token = this.token(user ?? '', granted);
    answer(200, { token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }, user, granted);
  }
}

function b64url(text: string): string {
  return Buffer.from(text, 'utf-8').toString('base64url');
}

/** RFC 4648 base32 without padding (libtrust's key IDs). */
function base32(data: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bits = [...data].map((b) => b.toString(2).padStart(8, '0')).join('');
  return (bits.match(/.{1,5}/g) ?? []).map((chunk) => alphabet[parseInt(chunk.padEnd(5, '0'), 2)]).join('');
}
