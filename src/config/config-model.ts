import { createHash } from 'crypto';
import { Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { ConfigFragments, describeConflict } from './config-merge';
import { isSecretToken as isSecretPlaceholder } from './config-secrets';
import { configSectionProblem, registryEnvProblem } from './config-structure';
import { checkRenderedConfig, orderSections, RegistryConfigDocument, renderRegistryConfig } from './registry-config';
import { RegistryVersion } from './registry-version';
import { CONFIG_ROUTE, ENV_ROUTE, envCredentials, findCredentialLiterals, refuseCredentials } from '../util/credential-check';
import { debugAddressProblem } from '../util/listen-address';
import { proxyExpiryProblem } from '../util/proxy-expiry';
import { propError } from '../util/validation';

/** What the config model of one registry is built on. */
export interface ConfigModelContext {
  /** The registry, whose path errors name. */
  readonly scope: IConstruct;
  /** The release, which decides the config structure and the `REGISTRY_*` rules. */
  readonly version: RegistryVersion;
  /** The storage driver. */
  readonly driver: string;
  /** The port the registry listens on (a debug address on it is refused). */
  readonly port: number;
  /** The part of config.yml the registry's props render (a function: the external URL is set later). */
  readonly document: () => RegistryConfigDocument;
  /** What the document depends on besides the constructor's props (the external URL). */
  readonly documentState: () => string;
  /** Values that yield to every part (the storage options' defaults). */
  readonly defaults?: { [key: string]: any };
  /** Checks config.yml as written (no credential outside a placeholder). */
  readonly checkRendered: (yaml: string) => void;
}

interface Derived {
  readonly state: string;
  readonly config: { [key: string]: any };
  yaml?: string;
  checksum?: string;
  problems?: string[];
}

/**
 * The model config.yml is written from: the props' document, the fragments of parts, and the names of the
 * `REGISTRY_*` variables (which override it). The model only grows (fragments, env names) and the external URL is
 * set once, so their sizes and the URL name its state: what is derived from it (the merged config, config.yml, its
 * checksum, its problems) is kept while the state is the same, and every reader goes through the same cache.
 */
export class RegistryConfigModel {
  private readonly parts = new ConfigFragments();
  private readonly fragments: string[] = [];
  private readonly env = new Map<string, string>();
  private derived?: Derived;

  public constructor(private readonly context: ConfigModelContext) {}

  /**
   * Refuses a top-level section the props render, for `RegistryDeployment.addConfigSection` (a whole section the
   * library does not model): a part adds keys inside those instead, merged with the rest.
   */
  public refuseModelledSection(section: string): void {
    const modelled = ['version', 'log', 'storage', 'auth', 'http', 'health'];
    if (modelled.includes(section)) {
      throw propError(this.context.scope, 'addConfigSection', `cannot replace '${section}', which the library renders (${modelled.join(', ')} are rendered from the props): `
        + `to add keys inside it, such as ${section}.headers, add a part whose config holds only them, merged into the rest: `
        + `registry.addPart({ bind: () => ({ name: 'my-${section}', config: { ${section}: { ... } } }) })`);
    }
  }

  /**
   * Adds a contribution's fragment (storage, auth, TLS, metrics, every part's): no credential as a literal, sections
   * known to the release, no key given two different values.
   */
  public addFragment(name: string, config: { [key: string]: any }): void {
    const scope = this.context.scope;
    refuseCredentials(scope, name, findCredentialLiterals(config, (v) => isSecretPlaceholder(v)), CONFIG_ROUTE);
    for (const section of Object.keys(config)) {
      const problem = configSectionProblem(this.context.version, section, config[section]);
      if (problem) throw propError(scope, name, problem);
    }
    const conflicts = this.parts.merge(config, `'${name}'`);
    this.fragments.push(name);
    if (conflicts.length > 0) {
      throw propError(scope, name, `${describeConflict(conflicts[0])}: a key has one value`);
    }
  }

  /** Records an environment variable of the registry container, refusing what the registry would ignore or fail on. */
  public addEnv(name: string, value: kplus.EnvValue, source: string): void {
    const scope = this.context.scope;
    if (typeof name !== 'string' || !/^[A-Z_][A-Z0-9_]*$/.test(name)) {
      throw propError(scope, source, `name ${JSON.stringify(name)} is not a valid environment variable name: upper-case letters, digits and '_'`);
    }
    refuseCredentials(scope, source, envCredentials(name, value.value), ENV_ROUTE);
    const debugProblem = name === 'REGISTRY_HTTP_DEBUG_ADDR' ? debugAddressProblem(value.value, this.context.port, name) : undefined;
    if (debugProblem) throw propError(scope, source, debugProblem);
    const problem = registryEnvProblem(this.context.version, name, undefined, this.context.driver);
    if (problem) {
      throw propError(scope, source, `sets '${name}', which ${problem}`);
    }
    if (this.env.has(name)) {
      throw propError(scope, source, `sets '${name}', which ${this.env.get(name)} already sets: each REGISTRY_* variable may come from one place only`);
    }
    this.env.set(name, `'${source}'`);
  }

  /** The value at a dotted path of the merged config; `undefined` where unset. */
  public value(dottedPath: string): any {
    let value: any = this.model().config;
    for (const key of dottedPath.split('.')) {
      if (value === undefined || value === null || typeof value !== 'object') return undefined;
      value = value[key];
    }
    return value;
  }

  /** config.yml, written once per state of the model. */
  public yaml(): string {
    const model = this.model();
    if (model.yaml === undefined) {
      const yaml = Yaml.stringify(model.config);
      this.context.checkRendered(yaml);
      model.yaml = yaml;
    }
    return model.yaml;
  }

  /** The SHA-256 of config.yml, for the annotation that rolls the pods when it changes. */
  public checksum(): string {
    const yaml = this.yaml();
    const model = this.model();
    model.checksum ??= createHash('sha256').update(yaml).digest('hex');
    return model.checksum;
  }

  /**
   * Checks that need every part added: the rendered config, and list indexes of REGISTRY_* variables.
   * cdk8s validates the whole app once per chart (docs/benchmarks.md), so with a Chart per registry this runs once
   * per chart for every registry: the checks are redone only when the model changed, or synthesis would grow with
   * the square of the charts.
   */
  public problems(): string[] {
    const model = this.model();
    if (model.problems) return model.problems;
    const scope = this.context.scope;
    const config = model.config;
    const errors = checkRenderedConfig(config);
    const debugProblem = debugAddressProblem(config.http?.debug?.addr, this.context.port, 'http.debug.addr');
    if (debugProblem) errors.push(propError(scope, this.parts.ownerOf('http.debug.addr')?.replace(/'/g, '') ?? 'metrics', debugProblem).message);
    const proxyProblem = proxyExpiryProblem(this.context.version, config);
    if (proxyProblem) errors.push(propError(scope, this.parts.ownerOf('proxy.remoteurl')?.replace(/'/g, '') ?? 'proxy', proxyProblem).message);
    for (const [name, source] of this.env) {
      const problem = registryEnvProblem(this.context.version, name, config, this.context.driver);
      if (problem) errors.push(propError(scope, source.replace(/'/g, ''), `sets '${name}', which ${problem}`).message);
    }
    model.problems = errors;
    return errors;
  }

  private model(): Derived {
    const state = `${this.fragments.length}/${this.env.size}/${this.context.documentState()}`;
    if (this.derived?.state !== state) {
      this.derived = { state, config: this.merge() };
    }
    return this.derived;
  }

  private merge(): { [key: string]: any } {
    const merged = new ConfigFragments();
    merged.merge(renderRegistryConfig(this.context.document()), 'the RegistryDeployment props');
    const conflicts = merged.merge(this.parts.document, 'parts');
    if (conflicts.length > 0) {
      const c = conflicts[0];
      throw propError(this.context.scope, 'config', `${describeConflict({ ...c, newSource: this.parts.ownerOf(c.path) ?? c.newSource })}: a key has one value`);
    }
    merged.merge(this.context.defaults ?? {}, 'defaults', true);
    return orderSections(merged.document);
  }
}
