/**
 * Deep merge of config.yml fragments, remembering which source set each key so that a conflict names
 * the key's path and both sources. Objects merge key by key; anything else (a string, a number, a list)
 * is one value: setting it again to an equal value is fine, to a different one is a conflict.
 */

/** A conflict found while merging: the key path and both sources. */
export interface ConfigConflict {
  readonly path: string;
  readonly existingSource: string;
  readonly existingValue: any;
  readonly newSource: string;
  readonly newValue: any;
}

function isPlainObject(value: any): value is { [key: string]: any } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function deepEqual(a: any, b: any): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function clone(value: any): any {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/**
 * config.yml as it is assembled from fragments.
 */
export class ConfigFragments {
  /** The merged document. */
  public readonly document: { [key: string]: any } = {};
  private readonly owners = new Map<string, string>();

  /**
   * Merges `fragment` in, as set by `source`. Returns the conflicts (and leaves conflicting keys as they
   * were); with `fillOnly`, keys already set are kept silently (defaults).
   */
  public merge(fragment: { [key: string]: any }, source: string, fillOnly = false): ConfigConflict[] {
    const conflicts: ConfigConflict[] = [];
    this.mergeInto(this.document, fragment, source, '', fillOnly, conflicts);
    return conflicts;
  }

  /** The source that set the value at `path` (or at the closest enclosing key). */
  public ownerOf(path: string): string | undefined {
    let p = path;
    while (p !== '') {
      const owner = this.owners.get(p);
      if (owner) return owner;
      p = p.includes('.') ? p.substring(0, p.lastIndexOf('.')) : '';
    }
    return undefined;
  }

  private mergeInto(target: { [key: string]: any }, fragment: { [key: string]: any }, source: string, base: string,
    fillOnly: boolean, conflicts: ConfigConflict[]): void {
    for (const key of Object.keys(fragment)) {
      const value = fragment[key];
      if (value === undefined) continue;
      const path = base ? `${base}.${key}` : key;
      const existing = target[key];
      if (isPlainObject(value) && (existing === undefined || isPlainObject(existing))) {
        if (existing === undefined) {
          target[key] = {};
          this.owners.set(path, source);
        }
        this.mergeInto(target[key], value, source, path, fillOnly, conflicts);
        continue;
      }
      if (existing === undefined) {
        target[key] = clone(value);
        this.owners.set(path, source);
        continue;
      }
      if (fillOnly || deepEqual(existing, value)) continue;
      conflicts.push({ path, existingSource: this.ownerOf(path) ?? 'unknown', existingValue: existing, newSource: source, newValue: value });
    }
  }
}

/** One line describing a conflict, for error messages. */
export function describeConflict(c: ConfigConflict): string {
  return `config key '${c.path}' is set to ${JSON.stringify(c.existingValue)} by ${c.existingSource} and to ${JSON.stringify(c.newValue)} by ${c.newSource}`;
}
