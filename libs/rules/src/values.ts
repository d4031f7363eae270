import { MatchType, RuleArgs } from './types';

/**
 * Variables and type coercion. Everything here that takes a rule's text runs once, at compile
 * time; what runs per decision is the returned accessors and the coercers below (no regex, no split).
 */

export type Getter = (args: RuleArgs) => unknown;

export interface Variable {
  /** The text the user wrote, e.g. `args.auth.role`. */
  readonly text: string;
  /** True when the value comes from the token claims (so "no token" can be told apart from "no claim"). */
  readonly fromAuth: boolean;
  readonly get: Getter;
}

interface Segment {
  readonly key: string;
  /** The array index the key denotes, or -1 when it is not a canonical non-negative integer. */
  readonly index: number;
}

export const VARIABLE_PREFIX = 'args.';

export function isVariableText(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(VARIABLE_PREFIX);
}

/** Parses `args.auth[.seg...]` / `args.params[.seg...]`; returns an error text, or the variable. */
export function compileVariable(text: string): Variable | string {
  const parts = text.split('.');
  const root = parts[1];
  if (parts[0] !== 'args' || (root !== 'auth' && root !== 'params')) {
    return `variable "${text}" must start with args.auth or args.params`;
  }
  const segments: Segment[] = [];
  for (let i = 2; i < parts.length; i++) {
    const key = parts[i];
    if (key.length === 0) return `variable "${text}" has an empty segment`;
    segments.push({ key, index: arrayIndex(key) });
  }
  const fromAuth = root === 'auth';
  const base: Getter = fromAuth ? (args) => args.auth : (args) => args.params;
  return { text, fromAuth, get: accessor(base, segments) };
}

function arrayIndex(key: string): number {
  if (key.length > 9) return -1;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
  }
  if (key.length > 1 && key.charCodeAt(0) === 48) return -1; // "01" is a key, not an index
  return Number(key);
}

const hasOwn = Object.prototype.hasOwnProperty;

/** One step down: own properties of plain objects, numeric segments into arrays; anything else is missing. */
function step(current: unknown, segment: Segment): unknown {
  if (current === null || typeof current !== 'object') return undefined;
  if (Array.isArray(current)) {
    return segment.index >= 0 && segment.index < current.length ? current[segment.index] : undefined;
  }
  return hasOwn.call(current, segment.key) ? (current as Record<string, unknown>)[segment.key] : undefined;
}

function accessor(base: Getter, segments: readonly Segment[]): Getter {
  switch (segments.length) {
    case 0:
      return base;
    case 1: {
      const [a] = segments;
      return (args) => step(base(args), a);
    }
    case 2: {
      const [a, b] = segments;
      return (args) => step(step(base(args), a), b);
    }
    default:
      return (args) => {
        let current = base(args);
        for (let i = 0; i < segments.length && current !== undefined; i++) current = step(current, segments[i]);
        return current;
      };
  }
}

export type Scalar = string | number | boolean;
/** Coerces a value to the rule's type; undefined means "does not fit the type" (the rule denies). */
export type Coercer = (value: unknown) => Scalar | undefined;

/** number: finite numbers, and strings written as a plain decimal number ("42", "-1.5", "1e3"). */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') return numericString(value);
  return undefined;
}

function numericString(text: string): number | undefined {
  if (text.length === 0 || text.length > 64) return undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // digits, '+', '-', '.', 'e', 'E' only: no spaces, no hex/octal/binary prefixes, no "Infinity"
    if (!((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46 || c === 101 || c === 69)) return undefined;
  }
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** string: strings; finite numbers and booleans as their JSON text (42 -> "42", true -> "true"). */
export function toStringValue(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return Number.isFinite(value) ? String(value) : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return undefined;
  }
}

/** bool: booleans, and exactly the strings "true" and "false". Numbers are not booleans. */
export function toBool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

export const COERCERS: Readonly<Record<MatchType, Coercer>> = {
  string: toStringValue,
  number: toNumber,
  bool: toBool,
};
