/**
 * What the API server does with a strategic merge patch (`kubectl patch --type=strategic`), for the shapes
 * that workloads use: maps merge recursively, `null` deletes a key, lists of named items (containers, env,
 * volumes, ports) merge by `name` and an item with `$patch: delete` removes its namesake; other lists are
 * replaced. Used to play a maintenance window (the garbage collection job's patches) on synthesized objects.
 */
type Obj = { [key: string]: any };

const MERGED_BY_NAME = new Set(['containers', 'initContainers', 'env', 'volumes', 'volumeMounts', 'ports']);

function isMap(value: any): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function mergeValue(key: string, target: any, patch: any): any {
  if (isMap(patch)) return mergeMap(isMap(target) ? target : {}, patch);
  if (Array.isArray(patch) && MERGED_BY_NAME.has(key)) {
    const out: Obj[] = [...(Array.isArray(target) ? target : [])];
    for (const item of patch) {
      const index = out.findIndex((x) => x.name === item.name);
      if (item.$patch === 'delete') {
        if (index >= 0) out.splice(index, 1);
      } else if (index >= 0) {
        out[index] = mergeMap(out[index], item);
      } else {
        out.push(item);
      }
    }
    return out;
  }
  return patch;
}

function mergeMap(target: Obj, patch: Obj): Obj {
  const out: Obj = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete out[key];
    } else {
      out[key] = mergeValue(key, out[key], value);
    }
  }
  // A map or list the patch left empty (affinity without podAffinity, env without its one variable) is dropped,
  // as the API server's `omitempty` serializes it.
  for (const key of Object.keys(patch)) {
    const value = out[key];
    if ((isMap(value) && Object.keys(value).length === 0) || (Array.isArray(value) && value.length === 0)) delete out[key];
  }
  return out;
}

/** A copy of `object` with the strategic merge `patch` applied. */
export function strategicMerge(object: Obj, patch: Obj): Obj {
  return mergeMap(JSON.parse(JSON.stringify(object)), patch);
}

/**
 * A copy of `objects` where the workload `kind`/`name` is patched, as `kubectl patch KIND NAME --patch=JSON` does
 * (the `--patch=` argument of a synthesized kubectl command can be passed as is).
 */
export function patchObject(objects: Obj[], kind: string, name: string, patch: Obj | string): Obj[] {
  const parsed: Obj = typeof patch === 'string' ? JSON.parse(patch.replace(/^--patch=/, '')) : patch;
  let found = false;
  const out = objects.map((o) => {
    if (o.kind.toLowerCase() !== kind.toLowerCase() || o.metadata?.name !== name) return o;
    found = true;
    return strategicMerge(o, parsed);
  });
  if (!found) throw new Error(`${kind} ${name} not found in the synth (kubectl patch would fail: NotFound)`);
  return out;
}
