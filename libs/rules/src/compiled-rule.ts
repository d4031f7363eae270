import type { Decision, RuleArgs, RuleCaller } from './types';

/** A compiled rule: `evaluate` returns a plain Decision unless `async` (a `func` rule is inside). */
export interface CompiledRule {
  readonly async: boolean;
  readonly evaluate: (args: RuleArgs, service: string, func: string) => Decision | Promise<Decision>;
}

export interface CompileContext {
  readonly caller: RuleCaller | undefined;
  readonly funcTimeoutMs: number;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export const show = (value: unknown): string => JSON.stringify(value) ?? String(value);

export function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}
