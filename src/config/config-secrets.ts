import { Lazy, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { requireSecretName, secretVolume } from '../util/secret-env';
import { propError, requireSecretKeyName } from '../util/validation';

/**
 * Credentials anywhere in config.yml, on every registry version.
 *
 * The ConfigMap holds config.yml with a placeholder (`__registry_secret_N__`) wherever a credential goes.
 * An init container (the registry image itself, with its busybox `sh` and `awk`) reads each Secret key
 * from a volume mounted into the init container only, writes it as a YAML double-quoted string (so quotes,
 * backslashes, newlines and YAML-special characters arrive intact) in place of its placeholder, and saves
 * the result in an in-memory emptyDir that the registry reads. The ConfigMap, and so the checksum
 * annotation that rolls the pods when the config changes, never contain a credential.
 */

/** Where the init container sees the ConfigMap (the template). */
export const TEMPLATE_DIR = '/etc/registry-template';
/** Where the init container sees each Secret key: `${SECRETS_DIR}/N/value`. */
export const SECRETS_DIR = '/etc/registry-secrets';
/** Where the rendered config lives (an in-memory emptyDir). */
export const RENDERED_DIR = '/run/registry-config';

const TOKEN_PREFIX = '__registry_secret_';
const TOKEN = /__registry_secret_(\d+)__/;

/** The placeholder for the N-th credential. */
export function secretToken(index: number): string {
  return `${TOKEN_PREFIX}${index}__`;
}

/** Whether `value` is a credential placeholder. */
export function isSecretToken(value: any): boolean {
  return typeof value === 'string' && new RegExp(`^${TOKEN.source}$`).test(value);
}

/**
 * The awk program that replaces placeholders, a whole YAML value each (after `: ` or `- `), with the
 * JSON/YAML double-quoted form of `ENVIRON["S<N>"]`. Only POSIX awk: runs with busybox awk in the image.
 */
const AWK_PROGRAM = [
  'function quote(s,  out, i, c) { out = ""; for (i = 1; i <= length(s); i++) { c = substr(s, i, 1); out = out ((c in esc) ? esc[c] : c) } return "\\"" out "\\"" }',
  'BEGIN {',
  '  for (i = 1; i < 32; i++) esc[sprintf("%c", i)] = sprintf("\\\\u%04x", i)',
  '  esc[sprintf("%c", 127)] = "\\\\u007f"',
  '  esc["\\\\"] = "\\\\\\\\"; esc["\\""] = "\\\\\\""; esc["\\n"] = "\\\\n"; esc["\\t"] = "\\\\t"; esc["\\r"] = "\\\\r"',
  `  for (i = 0; i < n; i++) { tok[i] = "${TOKEN_PREFIX}" i "__"; val[i] = quote(ENVIRON["S" i]) }`,
  '}',
  '{',
  '  line = $0; L = length(line)',
  '  for (i = 0; i < n; i++) {',
  '    T = length(tok[i])',
  '    if (L > T + 1 && substr(line, L - T + 1) == tok[i]) {',
  '      pre = substr(line, 1, L - T); sep = substr(pre, length(pre) - 1)',
  '      if (sep == ": " || sep == "- ") { line = pre val[i]; break }',
  '    }',
  '  }',
  '  print line',
  '}',
].join('\n');

/** The init container's shell script for `count` credentials. */
export function renderScript(count: number, configFile: string): string {
  const lines = ['set -eu'];
  for (let i = 0; i < count; i++) {
    // `$(...)` strips trailing newlines; the `x` keeps them, and is removed again.
    lines.push(`v=$(cat ${SECRETS_DIR}/${i}/value && printf x) && S${i}="\${v%x}" && export S${i}`);
  }
  lines.push(`awk -v n=${count} '${AWK_PROGRAM}' ${TEMPLATE_DIR}/${configFile} > ${RENDERED_DIR}/${configFile}`);
  return lines.join('\n');
}

/** What the secret renderer needs from the registry it serves. */
export interface SecretRenderingTarget {
  readonly deployment: kplus.Deployment;
  readonly container: kplus.Container;
  readonly configVolume: kplus.Volume;
  readonly configFile: string;
  readonly image: string;
  readonly securityContext: kplus.ContainerSecurityContextProps;
}

/**
 * The credentials placed in one registry's config, and the init container that renders them.
 */
export class ConfigSecrets {
  private readonly entries: { secretName: string; key: string }[] = [];
  private initContainer?: kplus.Container;

  public constructor(private readonly scope: Construct, private readonly target: () => SecretRenderingTarget) {
  }

  /** Whether any credential is placed in the config (then the registry reads the rendered file). */
  public get used(): boolean {
    return this.entries.length > 0;
  }

  /** The init container, once a credential is placed. */
  public get renderContainer(): kplus.Container | undefined {
    return this.initContainer;
  }

  /** Registers a credential and returns its placeholder; the same Secret key gives the same placeholder. */
  public placeholder(property: string, secret: kplus.ISecret, key: string): string {
    requireSecretName(this.scope, property, secret);
    requireSecretKeyName(this.scope, property, key);
    const found = this.entries.findIndex((e) => e.secretName === secret.name && e.key === key);
    if (found >= 0) return secretToken(found);
    const index = this.entries.length;
    this.entries.push({ secretName: secret.name, key });
    const target = this.target();
    const container = this.initContainer ?? this.createInitContainer(target);
    const volume = secretVolume(this.scope, `ConfigSecret${index}`, `config-secret-${index}`, secret, [{ key, path: 'value', property }]);
    container.mount(`${SECRETS_DIR}/${index}`, volume, { readOnly: true });
    return secretToken(index);
  }

  /**
   * Checks that every placeholder in the rendered YAML stands alone as a value (after `key: ` or `- `),
   * the only place the init container replaces it.
   */
  public checkRendered(yaml: string): void {
    for (const line of yaml.split('\n')) {
      const match = TOKEN.exec(line);
      if (!match) continue;
      const ok = /(: |- )__registry_secret_(\d+)__$/.exec(line);
      if (!ok || Number(ok[2]) >= this.entries.length || line.indexOf(TOKEN_PREFIX) !== line.length - secretToken(Number(ok[2])).length) {
        throw propError(this.scope, 'secretValue', `placeholder in config line ${JSON.stringify(line.trim())} must be a whole value of its own (a map value or a list item), not part of a longer string or a key: store the whole value in the Secret`);
      }
    }
  }

  private createInitContainer(target: SecretRenderingTarget): kplus.Container {
    const rendered = kplus.Volume.fromEmptyDir(this.scope, 'RenderedConfigVolume', 'config-rendered', {
      medium: kplus.EmptyDirMedium.MEMORY,
      sizeLimit: Size.mebibytes(1),
    });
    const container = target.deployment.addInitContainer({
      name: 'render-config',
      image: target.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['/bin/sh', '-c', Lazy.any({ produce: () => renderScript(this.entries.length, target.configFile) }) as any],
      securityContext: target.securityContext,
      resources: {
        cpu: { request: kplus.Cpu.millis(10), limit: kplus.Cpu.millis(100) },
        memory: { request: Size.mebibytes(16), limit: Size.mebibytes(64) },
      },
    });
    container.mount(TEMPLATE_DIR, target.configVolume, { readOnly: true });
    container.mount(RENDERED_DIR, rendered, { readOnly: false });
    target.container.mount(RENDERED_DIR, rendered, { readOnly: true });
    this.initContainer = container;
    return container;
  }
}
