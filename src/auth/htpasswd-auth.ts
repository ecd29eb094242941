import { createHash } from 'crypto';
import * as bcrypt from 'bcryptjs';
import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { AuthBindContext, AuthBinding, IRegistryAuth } from './registry-auth';
import { secretVolume } from '../util/secret-env';
import { propError, requireIntegerInRange } from '../util/validation';

/** Where the htpasswd file is mounted in the registry container. */
const HTPASSWD_DIR = '/etc/registry/auth';

/** File name of the htpasswd file inside `HTPASSWD_DIR`. */
const HTPASSWD_FILE = 'htpasswd';

/** The realm when none is given. */
const DEFAULT_REALM = 'Registry Realm';

/** Default bcrypt cost: see `HtpasswdFromUsersOptions.cost`. */
const DEFAULT_COST = 5;

/** Highest bcrypt cost accepted: above it every request spends seconds in bcrypt. */
const MAX_COST = 14;

/** bcrypt ignores everything after the first 72 bytes of a password. */
const BCRYPT_MAX_PASSWORD_BYTES = 72;

/** Annotation on the pod template holding the checksum of the htpasswd file the chart creates. */
export const HTPASSWD_CHECKSUM_ANNOTATION = 'checksum/htpasswd';

/**
 * One user of `HtpasswdAuth.fromUsers()`.
 */
export interface HtpasswdUser {
  /** The login name: not empty, no ':', no whitespace or control characters. */
  readonly username: string;

  /**
   * The password, known at synth time (for example read from the environment of a CI job).
   * Only its bcrypt hash is written; the password itself appears in no synthesized object.
   * Not empty, at most 72 bytes (bcrypt ignores anything longer).
   */
  readonly password: string;
}

/**
 * Options for `HtpasswdAuth.fromSecret()`.
 */
export interface HtpasswdFromSecretOptions {
  /**
   * Key of the htpasswd file in the Secret.
   * @default 'htpasswd'
   */
  readonly key?: string;

  /**
   * The realm the registry names in its `Www-Authenticate` challenge.
   * @default 'Registry Realm'
   */
  readonly realm?: string;
}

/**
 * Options for `HtpasswdAuth.fromUsers()`.
 */
export interface HtpasswdFromUsersOptions {
  /** The users who may log in. At least one; each username once. */
  readonly users: HtpasswdUser[];

  /**
   * The realm the registry names in its `Www-Authenticate` challenge.
   * @default 'Registry Realm'
   */
  readonly realm?: string;

  /**
   * The bcrypt cost (log2 of the rounds), 4 to 14.
   *
   * The registry checks the password with bcrypt on every request, with no cache, and a single
   * `docker pull` makes one request per layer plus a few more. Measured by `npm run bench` on the real
   * registry (2.8.2, 3.0.0 and 3.1.1 on a 2-CPU machine, see docs/benchmarks.md): 3.7 to 5.7 ms of registry CPU
   * per authenticated request at cost 5 and 81 to 84 ms at cost 10, at most 11 to 12 authenticated requests a
   * second per CPU at cost 10.
   * Cost 5 (also `htpasswd -B`'s default) keeps authentication cheap; the strength of registry
   * credentials should come from long random passwords (robot accounts, CI tokens), for which
   * the cost factor hardly matters. Raise it for short, human-chosen passwords, knowing the CPU price.
   * @default 5
   */
  readonly cost?: number;
}

/**
 * Options for `HtpasswdAuth.fromEntries()`.
 */
export interface HtpasswdFromEntriesOptions {
  /**
   * Lines of an htpasswd file, `username:bcrypt-hash`, as `htpasswd -Bbn -C 5 USER PASSWORD` prints them.
   * Only bcrypt (`$2a$`, `$2b$`, `$2y$`) is accepted: the registry ignores every other format.
   */
  readonly entries: string[];

  /**
   * The realm the registry names in its `Www-Authenticate` challenge.
   * @default 'Registry Realm'
   */
  readonly realm?: string;
}

/**
 * htpasswd authentication (`auth.htpasswd`): HTTP basic auth against a file of bcrypt hashes,
 * the setup of most self-hosted registries. Use it with TLS (in the pod or at the way in):
 * basic auth sends the password with every request.
 */
export abstract class HtpasswdAuth implements IRegistryAuth {
  /**
   * An htpasswd file from a Secret managed outside the chart, the GitOps way (Sealed Secrets,
   * External Secrets). The Secret is mounted read-only; a missing key keeps the pod from starting
   * (rather than letting the registry invent a user). The registry re-reads the file when it changes,
   * so rotating the Secret needs no restart. The registry accepts bcrypt entries only
   * (`htpasswd -Bbn -C 5 USER PASSWORD`); other entries are ignored.
   */
  public static fromSecret(secret: kplus.ISecret, options: HtpasswdFromSecretOptions = {}): HtpasswdAuth {
    return new SecretHtpasswdAuth(secret, options);
  }

  /**
   * Users and passwords known at synth time, hashed with bcrypt into a Secret the chart creates (named
   * `<registry name>-htpasswd` when the registry has a `name`).
   * Only the hashes are written; the password appears in no synthesized object.
   *
   * The output is byte-identical across synths. A random salt would change every hash on every
   * synth (noisy GitOps diffs, a rollout each time), so the salt is derived instead, in two steps:
   * 1. a context salt: SHA-256 over (library tag, the chart's namespace, the registry's `name` (or, for a
   *    registry without one, its construct path), the realm, the username, the cost), truncated to bcrypt's 16
   *    bytes: with a `name`, renaming construct ids or charts changes neither the hashes nor `checksum/htpasswd`;
   * 2. the salt: SHA-256 over (context, bcrypt(password, context salt)), truncated to 16 bytes;
   *    the hash written is bcrypt(password, salt).
   * Why not a fast keyed hash of the password (an HMAC keyed by the password)? The salt is
   * published inside the hash, so that would let anyone test a guess with one HMAC instead of one
   * bcrypt: it would void the cost factor. Here computing the salt for a guess needs a bcrypt at the
   * same cost, so checking a guess costs no less than with a random salt. Different passwords,
   * users, realms, namespaces and registries get different salts, as with random salts; what
   * remains is that the salt of a given context is known in advance, so an attacker could start
   * on one specific context before seeing its hash. That is the price of stable output.
   */
  public static fromUsers(options: HtpasswdFromUsersOptions): HtpasswdAuth {
    return new UsersHtpasswdAuth(options);
  }

  /**
   * Entries hashed beforehand (`htpasswd -Bbn`), written into a Secret the chart creates. For when the
   * hashes may live in the repository but the passwords may not even reach the synth (named
   * `<registry name>-htpasswd` when the registry has a `name`). Entries in another
   * format than bcrypt are a synth-time error, as the registry would silently ignore them.
   */
  public static fromEntries(options: HtpasswdFromEntriesOptions): HtpasswdAuth {
    return new EntriesHtpasswdAuth(options);
  }

  // Not a subclass of RegistryAuth: `HtpasswdAuth.none()` would read as htpasswd without users.
  protected constructor() {
  }

  /** Renders `auth.htpasswd` and the htpasswd file's volume for a registry. */
  public abstract bind(scope: Construct, context: AuthBindContext): AuthBinding;
}

/**
 * Why the registry could never log `username` in, or undefined. The registry reads its htpasswd file line by
 * line: it skips lines starting with '#' as comments, splits each line at the first ':' and trims it.
 */
function usernameProblem(username: string): string | undefined {
  if (typeof username !== 'string' || username === '') return 'is empty';
  if (username.startsWith('#')) return 'starts with \'#\', so the registry reads the line as a comment and the user can never log in';
  if (/[:\s\u0000-\u001f\u007f]/.test(username)) return 'contains \':\', whitespace or a control character';
  return undefined;
}

/** Checks a realm: it is quoted in the `Www-Authenticate` header. */
function checkRealm(scope: Construct, realm: string): void {
  if (realm.trim() === '' || /["\\\u0000-\u001f\u007f]/.test(realm)) {
    throw propError(scope, 'auth.realm', `(${JSON.stringify(realm)}) must be a non-empty string without quotes, backslashes or control characters`);
  }
}

/** The volume and parameters shared by both variants. */
function htpasswdBinding(scope: Construct, secret: kplus.ISecret, key: string, realm: string): AuthBinding {
  // A projected key, not a subPath mount: the kubelet updates it when the Secret changes,
  // and the registry re-reads a changed file. A missing key fails the mount.
  const volume = secretVolume(scope, 'HtpasswdVolume', 'htpasswd', secret, [{ key, path: HTPASSWD_FILE, property: 'auth.key' }]);
  return {
    method: 'htpasswd',
    parameters: { realm, path: `${HTPASSWD_DIR}/${HTPASSWD_FILE}` },
    mounts: [{ volume, path: HTPASSWD_DIR, readOnly: true }],
  };
}

class SecretHtpasswdAuth extends HtpasswdAuth {
  public constructor(private readonly secret: kplus.ISecret, private readonly options: HtpasswdFromSecretOptions) {
    super();
  }

  public bind(scope: Construct, _context: AuthBindContext): AuthBinding {
    const key = this.options.key ?? 'htpasswd';
    const realm = this.options.realm ?? DEFAULT_REALM;
    checkRealm(scope, realm);
    return htpasswdBinding(scope, this.secret, key, realm);
  }
}

/** The Secret, the mount and the checksum annotation for an htpasswd file made in the chart. */
function createdSecretBinding(scope: Construct, lines: string[], realm: string, context: AuthBindContext): AuthBinding {
  const content = lines.join('\n') + '\n';
  const secret = new kplus.Secret(scope, 'HtpasswdSecret', {
    metadata: {
      ...(context.name !== undefined ? { name: `${context.name}-htpasswd` } : {}),
      labels: { ...context.labels, 'app.kubernetes.io/component': 'htpasswd', 'app.kubernetes.io/managed-by': 'cdk8s-registry' },
    },
  });
  secret.addStringData(HTPASSWD_FILE, content);
  return {
    ...htpasswdBinding(scope, secret, HTPASSWD_FILE, realm),
    // A checksum of the hashes (never of passwords), so that a user change rolls the pods.
    podAnnotations: { [HTPASSWD_CHECKSUM_ANNOTATION]: createHash('sha256').update(content).digest('hex') },
  };
}

/** A bcrypt hash as the registry (Go's x/crypto/bcrypt) reads it. */
const BCRYPT_HASH = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;

class EntriesHtpasswdAuth extends HtpasswdAuth {
  public constructor(private readonly options: HtpasswdFromEntriesOptions) {
    super();
  }

  public bind(scope: Construct, context: AuthBindContext): AuthBinding {
    const realm = this.options.realm ?? DEFAULT_REALM;
    checkRealm(scope, realm);
    const entries = this.options.entries ?? [];
    if (entries.length === 0) {
      throw propError(scope, 'auth.entries', 'must list at least one entry: without users nobody can log in. For an open registry use RegistryAuth.none()');
    }
    const seen = new Set<string>();
    const lines = entries.map((raw, i) => {
      const entry = raw.trim();
      const colon = entry.indexOf(':');
      const username = colon > 0 ? entry.substring(0, colon) : '';
      const problem = usernameProblem(username);
      if (problem) {
        throw propError(scope, `auth.entries[${i}]`, `must be "username:bcrypt-hash" with a username the registry reads, but the username ${problem}: `
          + 'use letters, digits and symbols other than \':\' and a leading \'#\'');
      }
      const hash = entry.substring(colon + 1);
      const match = BCRYPT_HASH.exec(hash);
      if (!match) {
        throw propError(scope, `auth.entries[${i}]`, `(user ${JSON.stringify(username)}) is not a bcrypt hash ($2a$, $2b$ or $2y$): `
          + 'the registry accepts bcrypt only and ignores other entries. Make one with `htpasswd -Bbn -C 5 USER PASSWORD`');
      }
      const cost = Number(match[1]);
      if (cost < 4 || cost > 31) {
        throw propError(scope, `auth.entries[${i}]`, `(user ${JSON.stringify(username)}) has bcrypt cost ${cost}: bcrypt allows 4 to 31`);
      }
      if (seen.has(username)) {
        throw propError(scope, `auth.entries[${i}]`, `(user ${JSON.stringify(username)}) is listed twice: give each user once`);
      }
      seen.add(username);
      return `${username}:${hash}`;
    });
    return createdSecretBinding(scope, lines, realm, context);
  }
}

class UsersHtpasswdAuth extends HtpasswdAuth {
  public constructor(private readonly options: HtpasswdFromUsersOptions) {
    super();
  }

  public bind(scope: Construct, context: AuthBindContext): AuthBinding {
    const realm = this.options.realm ?? DEFAULT_REALM;
    checkRealm(scope, realm);
    const cost = this.options.cost ?? DEFAULT_COST;
    requireIntegerInRange(scope, 'auth.cost', cost, 4, MAX_COST);
    const users = this.options.users ?? [];
    if (users.length === 0) {
      throw propError(scope, 'auth.users', 'must list at least one user: without users nobody can log in. For an open registry use RegistryAuth.none()');
    }
    const seen = new Set<string>();
    const lines: string[] = [];
    users.forEach((user, i) => {
      checkUser(scope, `auth.users[${i}]`, user);
      if (seen.has(user.username)) {
        throw propError(scope, `auth.users[${i}].username`, `(${JSON.stringify(user.username)}) is listed twice: give each user once`);
      }
      seen.add(user.username);
      lines.push(`${user.username}:${deterministicHash(scope, context.name, realm, cost, user)}`);
    });
    return createdSecretBinding(scope, lines, realm, context);
  }
}

function checkUser(scope: Construct, at: string, user: HtpasswdUser): void {
  const username = user.username ?? '';
  const problem = usernameProblem(username);
  if (problem) {
    throw propError(scope, `${at}.username`, `(${JSON.stringify(username)}) ${problem}: give a non-empty name without ':', whitespace, `
      + 'control characters or a leading \'#\'');
  }
  const password = user.password ?? '';
  if (password === '') {
    throw propError(scope, `${at}.password`, `of user ${JSON.stringify(username)} must not be empty`);
  }
  if (/[\r\n]/.test(password)) {
    throw propError(scope, `${at}.password`, `of user ${JSON.stringify(username)} must not contain line breaks (docker login cannot send them)`);
  }
  const bytes = Buffer.byteLength(password, 'utf-8');
  if (bytes > BCRYPT_MAX_PASSWORD_BYTES) {
    throw propError(scope, `${at}.password`, `of user ${JSON.stringify(username)} is ${bytes} bytes long: bcrypt ignores everything after ${BCRYPT_MAX_PASSWORD_BYTES} bytes, so use at most ${BCRYPT_MAX_PASSWORD_BYTES}`);
  }
}

/** A bcrypt salt string for `cost` from the first 16 bytes of `digest`. */
function bcryptSalt(cost: number, digest: Buffer): string {
  return `$2b$${String(cost).padStart(2, '0')}$${bcrypt.encodeBase64(digest.subarray(0, 16), 16)}`;
}

/** The bcrypt hash of a user's password with the derived salt described on `HtpasswdAuth.fromUsers`. */
function deterministicHash(scope: Construct, registryName: string | undefined, realm: string, cost: number, user: HtpasswdUser): string {
  // With a name, nothing of the construct path: renaming ids or charts must not change the hash and roll the pods.
  const context = JSON.stringify(registryName !== undefined
    ? ['cdk8s-registry/htpasswd/v2', Chart.of(scope).namespace ?? '', registryName, realm, user.username, cost]
    : ['cdk8s-registry/htpasswd/v1', Chart.of(scope).namespace ?? '', scope.node.path, realm, user.username, cost]);
  const contextSalt = bcryptSalt(cost, createHash('sha256').update(context).digest());
  const slow = bcrypt.hashSync(user.password, contextSalt);
  const salt = bcryptSalt(cost, createHash('sha256').update(context).update('\u0000').update(slow).digest());
  return bcrypt.hashSync(user.password, salt);
}
