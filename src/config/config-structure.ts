/**
 * The structure of the registry's configuration, per registry line, as data: which top-level sections and keys
 * config.yml may hold, and which `REGISTRY_*` environment variables the registry maps onto a key. Both are read
 * from `configuration.Configuration` of each release's source (see tools/config-structure/), because the
 * registry silently ignores what it does not know: a misspelled section or variable is lost without a word.
 *
 * Internal to the library (not part of the jsii API): every part that renders a section or an environment
 * variable checks it here.
 */
import { CONFIG_2_8, CONFIG_3_0, CONFIG_3_1, S3_REGIONS_2_8, S3_REGIONS_3_0, S3_REGIONS_3_1 } from './config-structure-data';
import { RegistryFeature, RegistryVersion } from './registry-version';
import { closest } from '../util/closest';

/** A field of a struct in the configuration. */
export interface ConfigField {
  /** The Go field name, upper-cased: what a `REGISTRY_*` variable segment must equal. */
  readonly go: string;
  /** The key in config.yml. */
  readonly yaml: string;
  /** A struct inlined into its parent (`yaml:",inline"`): its keys are the parent's keys. */
  readonly inline?: boolean;
  /** What the field holds. */
  readonly node: ConfigNode;
}

/**
 * One type of the configuration: a struct with fields, a map with string keys, a list, a free-form value
 * (`any`, such as storage driver parameters), or a single value.
 */
export interface ConfigNode {
  readonly t: string;
  readonly f?: ConfigField[];
  readonly v?: ConfigNode;
}

/** Keys of `storage:` that are options, not drivers (the registry's `Storage.Type()`). */
const STORAGE_OPTION_KEYS_2 = ['maintenance', 'cache', 'delete', 'redirect'];
const STORAGE_OPTION_KEYS_3 = [...STORAGE_OPTION_KEYS_2, 'tag'];

/** How a registry line's parser maps `REGISTRY_*` variables (configuration/parser.go). */
interface ParserRules {
  /** List items can be addressed by index (3.x); 2.8 ignores any variable through a list. */
  readonly lists: boolean;
  /** Keys of inlined structs can be addressed directly (3.1 and later; 3.0 ignores them). */
  readonly inline: boolean;
}

/** The configuration structure of the line `version` belongs to. */
export function configStructure(version: RegistryVersion): ConfigNode {
  return byLine(version, { '2.8': CONFIG_2_8, '3.0': CONFIG_3_0, '3.1': CONFIG_3_1 });
}

/** The row of a table with one row per release line; `RegistryVersion.of` refuses a line without one. */
function byLine<T>(version: RegistryVersion, rows: { readonly [line: string]: T }): T {
  const row = rows[version.line];
  if (row === undefined) throw new Error(`registry ${version}: release line ${version.line} has no row here`);
  return row;
}

/** The regions the s3 driver of `version` accepts without a `regionendpoint` (its AWS SDK's list). */
export function s3Regions(version: RegistryVersion): string[] {
  return byLine(version, { '2.8': S3_REGIONS_2_8, '3.0': S3_REGIONS_3_0, '3.1': S3_REGIONS_3_1 });
}

function parserRules(version: RegistryVersion): ParserRules {
  return { lists: version.supports(RegistryFeature.LIST_ITEM_ENV), inline: version.supports(RegistryFeature.INLINED_STRUCT_ENV) };
}

/** The keys a struct takes in config.yml, inlined structs' keys included. */
function yamlFields(node: ConfigNode): ConfigField[] {
  const out: ConfigField[] = [];
  for (const field of node.f ?? []) {
    if (field.inline) out.push(...yamlFields(field.node));
    else out.push(field);
  }
  return out;
}

/** The top-level sections of config.yml in `version`. */
export function configSections(version: RegistryVersion): string[] {
  return yamlFields(configStructure(version)).map((f) => f.yaml);
}

function suggestion(word: string, candidates: string[]): string {
  const near = closest(word, candidates);
  return near !== undefined ? `Did you mean '${near}'? ` : '';
}

/**
 * Why the registry would not read `value` as config.yml's section `section`, or undefined when it would.
 * Checks the section name and every key below it against the structure of `version`; values themselves
 * (strings, numbers) are not checked.
 */
export function configSectionProblem(version: RegistryVersion, section: string, value: any): string | undefined {
  const sections = yamlFields(configStructure(version));
  const field = sections.find((f) => f.yaml === section);
  if (!field) {
    return `'${section}' is not a section of registry ${version}'s config.yml, which ignores unknown sections. `
      + `${suggestion(section, sections.map((f) => f.yaml))}Its sections are ${sections.map((f) => f.yaml).join(', ')}`;
  }
  return valueProblem(version, field.node, value, section);
}

function valueProblem(version: RegistryVersion, node: ConfigNode, value: any, at: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  switch (node.t) {
    case 'struct': {
      if (typeof value !== 'object' || Array.isArray(value)) {
        return `'${at}' must be a map of keys (${yamlFields(node).map((f) => f.yaml).join(', ')}), not ${JSON.stringify(value)}`;
      }
      const fields = yamlFields(node);
      for (const [key, inner] of Object.entries(value)) {
        if (inner === undefined) continue; // not rendered
        const field = fields.find((f) => f.yaml === key);
        if (!field) {
          return `'${at}.${key}' is not a key registry ${version} reads, so it would be ignored. `
            + `${suggestion(key, fields.map((f) => f.yaml))}'${at}' takes ${fields.map((f) => f.yaml).join(', ')}`;
        }
        const problem = valueProblem(version, field.node, inner, `${at}.${key}`);
        if (problem) return problem;
      }
      return undefined;
    }
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) {
        return `'${at}' must be a map, not ${JSON.stringify(value)}`;
      }
      for (const [key, inner] of Object.entries(value)) {
        const problem = valueProblem(version, node.v!, inner, `${at}.${key}`);
        if (problem) return problem;
      }
      return undefined;
    }
    case 'list': {
      if (!Array.isArray(value)) {
        return `'${at}' must be a list, not ${JSON.stringify(value)}`;
      }
      for (let i = 0; i < value.length; i++) {
        const problem = valueProblem(version, node.v!, value[i], `${at}[${i}]`);
        if (problem) return problem;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Why the registry of `version` would not map the environment variable `name` onto its configuration
 * (it ignores such variables, or fails at start), or undefined when it would. Names without the
 * `REGISTRY_` prefix are not the registry's and pass.
 *
 * @param config the rendered config.yml, to check list indexes against the lists it holds (not checked without it)
 * @param driver the storage driver in use: a variable for another driver makes the registry panic
 */
export function registryEnvProblem(version: RegistryVersion, name: string, config?: { [key: string]: any }, driver?: string): string | undefined {
  if (!name.startsWith('REGISTRY_')) return undefined;
  const rules = parserRules(version);
  const path = name.split('_').slice(1);
  if (path[0] === 'STORAGE' && path.length > 2 && driver !== undefined) {
    const key = path[1].toLowerCase();
    const options = version.major === 2 ? STORAGE_OPTION_KEYS_2 : STORAGE_OPTION_KEYS_3;
    if (!options.includes(key) && key !== driver) {
      return `addresses storage driver '${key}', but this registry uses '${driver}': the registry refuses to start with two storage drivers. `
        + `Use REGISTRY_STORAGE_${driver.toUpperCase()}_...`;
    }
  }
  let node: ConfigNode = configStructure(version);
  let yamlValue: any = config;
  let done = 'REGISTRY';
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const rest = path.length - i - 1;
    switch (node.t) {
      case 'struct': {
        let fields = node.f ?? [];
        if (rules.inline) {
          const inlined = fields.find((f) => f.inline && (f.node.f ?? []).some((g) => g.go === segment));
          if (inlined) fields = inlined.node.f ?? [];
        }
        const field = fields.find((f) => f.go === segment);
        const inlinedField = !field && !rules.inline && (node.f ?? []).some((f) => f.inline && (f.node.f ?? []).some((g) => g.go === segment));
        if (inlinedField) {
          return `is ignored by registry ${version}: ${done}_${segment} is a key of an inlined struct, which ${version} cannot set from the environment (3.1.0 can). `
            + (done === 'REGISTRY_REDIS'
              ? `Give it with the RedisBlobDescriptorCache part (its ${segment === 'PASSWORD' ? "'password' takes a Secret reference" : 'props'}), or put registry.secretValue(secret, key) in config.yml`
              : 'Put it in config.yml instead (a credential as registry.secretValue(secret, key))');
        }
        if (!field) {
          const all = node.f ?? [];
          const known = all.map((f) => `${done}_${f.go}`);
          if (rules.inline) {
            for (const f of all.filter((g) => g.inline)) known.push(...(f.node.f ?? []).map((g) => `${done}_${g.go}`));
          }
          return `is ignored by registry ${version}: ${done} has no key '${segment}'. ${suggestion(`${done}_${segment}`, known)}`
            + `Variables it reads there: ${known.slice(0, 40).join(', ')}${known.length > 40 ? ', ...' : ''}`;
        }
        node = field.node;
        yamlValue = yamlValue?.[field.yaml];
        break;
      }
      case 'map':
        node = node.v!;
        yamlValue = yamlValue?.[segment.toLowerCase()];
        break;
      case 'list': {
        if (!rules.lists) {
          return `is ignored by registry ${version}: ${done} is a list, and registry 2.8 cannot set list items from the environment. `
            + 'Put the value in config.yml instead (a credential as registry.secretValue(secret, key)), or use registry 3.x';
        }
        if (!/^\d+$/.test(segment)) {
          return `makes registry ${version} fail at start: ${done} is a list, so the next part must be an item's index (0, 1, ...), not '${segment}'`;
        }
        const length = Array.isArray(yamlValue) ? yamlValue.length : 0;
        if (config !== undefined && Number(segment) > length) {
          return `makes registry ${version} fail at start: ${done} has ${length} item(s) in config.yml, so the index can be 0 to ${length}, not ${segment}`;
        }
        if (rest === 0) {
          return `is ignored by registry ${version}: name a key of item ${segment} of ${done} after the index`;
        }
        node = node.v!;
        yamlValue = Array.isArray(yamlValue) ? yamlValue[Number(segment)] : undefined;
        break;
      }
      case 'any':
        return undefined;
      default:
        return `is ignored by registry ${version}: ${done} is a single value, with no key '${segment}' below it`;
    }
    done = `${done}_${segment}`;
  }
  return undefined;
}
