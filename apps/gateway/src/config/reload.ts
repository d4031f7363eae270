import { Type } from 'class-transformer';
import { getMetadataStorage, ValidateNested } from 'class-validator';

/**
 * Which config keys a reload (SIGHUP) applies: a key marked `@Reloads()` beside its declaration
 * does; every other key is read once at start-up, and a reload that changes it is logged and leaves
 * it as it was (docs/config.md#reloading).
 */

const RELOADS = Symbol('nest-mesh:reloads');
const BLOCKS = Symbol('nest-mesh:blocks');

type ConfigClass = Function & { prototype: object };

/** A nested block of the config, of class `type()`: validated as one (class-validator, class-transformer). */
export function Block(type: () => ConfigClass): PropertyDecorator {
  return (target, key) => {
    ValidateNested()(target, key);
    Type(type)(target, key);
    const owner = target.constructor as ConfigClass & { [BLOCKS]?: Map<string | symbol, () => ConfigClass> };
    if (!Object.prototype.hasOwnProperty.call(owner, BLOCKS)) owner[BLOCKS] = new Map();
    owner[BLOCKS]!.set(key, type);
  };
}

/** Marks a config key that a reload applies to the running gateway. */
export function Reloads(): PropertyDecorator {
  return (target, key) => {
    const owner = target.constructor as ConfigClass & { [RELOADS]?: Set<string | symbol> };
    if (!Object.prototype.hasOwnProperty.call(owner, RELOADS)) owner[RELOADS] = new Set();
    owner[RELOADS]!.add(key);
  };
}

/**
 * The paths of the keys that differ between `running` and `next` but need a restart, in the order
 * they are declared. A nested block with no reloadable key inside counts as one key (its path).
 */
export function restartOnlyChanges(running: object, next: object, type: ConfigClass = running.constructor as ConfigClass, path = ''): string[] {
  const changed: string[] = [];
  for (const key of keysOf(type)) {
    if (reloads(type, key)) continue;
    const at = path ? `${path}.${key}` : key;
    const before = (running as Record<string, unknown>)[key];
    const after = (next as Record<string, unknown>)[key];
    const block = blockOf(type, key);
    if (block !== undefined && holdsReloadableKey(block)) {
      // Compared key by key; a block that is added or removed is itself a change too.
      if ((before === undefined) !== (after === undefined)) changed.push(at);
      changed.push(...restartOnlyChanges((before ?? {}) as object, (after ?? {}) as object, block, at));
    } else if (stableJson(before) !== stableJson(after)) {
      changed.push(at);
    }
  }
  return changed;
}

/** The validated keys of a config class, in the order they are declared. */
function keysOf(type: ConfigClass): string[] {
  const keys = getMetadataStorage()
    .getTargetValidationMetadatas(type, '', true, false)
    .map((meta) => meta.propertyName);
  return [...new Set(keys)];
}

function reloads(type: ConfigClass, key: string): boolean {
  return ((type as { [RELOADS]?: Set<string | symbol> })[RELOADS]?.has(key) ?? false);
}

/** The class of the nested block `key` (see `Block`), if it is one. */
function blockOf(type: ConfigClass, key: string): ConfigClass | undefined {
  return (type as { [BLOCKS]?: Map<string | symbol, () => ConfigClass> })[BLOCKS]?.get(key)?.();
}

/** Whether a reload applies some key of this class or of a block inside it (then its keys are compared one by one). */
function holdsReloadableKey(type: ConfigClass): boolean {
  return keysOf(type).some((key) => {
    const block = blockOf(type, key);
    return reloads(type, key) || (block !== undefined && holdsReloadableKey(block));
  });
}

/** JSON with object keys sorted (and Maps as their entries), so that key order in the file does not count as a change. */
function stableJson(value: unknown): string {
  return (
    JSON.stringify(value, (_, inner: unknown) => {
      if (inner instanceof Map) return [...inner];
      return inner !== null && typeof inner === 'object' && !Array.isArray(inner)
        ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : inner;
    }) ?? 'undefined'
  );
}
