import { isPlainObject } from './compiled-rule';
import { compileVariable, isVariableText } from './values';
import type { RuleKind } from './types';

/**
 * What a rule says about a function before any call is made: whether it can ever allow one, and
 * whether a caller needs a token for it. Discovery lists only the functions that can be called,
 * and OpenAPI declares bearer security from `token`. Read from a rules map `compileRules` accepted.
 */

/** `required`: no call is allowed without a token; `optional`: a token may change the decision; `none`: it never does. */
export type TokenUse = 'required' | 'optional' | 'none';

export interface RuleSummary {
  /** The config path of the rule that applies, e.g. `modules.functions.rules.users.default`. */
  readonly path: string;
  readonly kind: RuleKind;
  /** False when no call can pass (deny, or and/or clauses that all deny). */
  readonly canAllow: boolean;
  readonly token: TokenUse;
}

interface Shape {
  canAllow: boolean;
  token: TokenUse;
}

/** The summaries of a (valid) rules map, looked up the way the engine picks a rule. */
export class RuleCatalog {
  constructor(
    private readonly services: ReadonlyMap<string, ReadonlyMap<string, RuleSummary>>,
    private readonly fallback: RuleSummary | undefined,
  ) {}

  /** The summary of the rule for `service.func`, or undefined when no rule applies (every call: 403). */
  describe(service: string, func: string): RuleSummary | undefined {
    const own = this.services.get(service);
    return own?.get(func) ?? own?.get('default') ?? this.fallback;
  }
}

/** Summarizes a rules map that has already been validated (by `compileRules`). */
export function describeRules(rules: unknown, root: string): RuleCatalog {
  const services = new Map<string, Map<string, RuleSummary>>();
  if (!isPlainObject(rules)) return new RuleCatalog(services, undefined);
  for (const [service, funcs] of Object.entries(rules)) {
    const summaries = new Map<string, RuleSummary>();
    for (const [func, rule] of Object.entries(funcs as Record<string, unknown>)) {
      const { canAllow, token } = shapeOf(rule);
      summaries.set(func, { path: `${root}.${service}.${func}`, kind: (rule as { rule: RuleKind }).rule, canAllow, token });
    }
    services.set(service, summaries);
  }
  return new RuleCatalog(services, services.get('default')?.get('default'));
}

function shapeOf(rule: unknown): Shape {
  const config = rule as Record<string, unknown>;
  switch (config.rule as RuleKind) {
    case 'allow':
      return { canAllow: true, token: 'none' };
    case 'deny':
      return { canAllow: false, token: 'none' };
    case 'authenticated':
      return { canAllow: true, token: 'required' };
    case 'match':
      // A variable of the token that is missing denies (401), whatever the comparison.
      return { canAllow: true, token: readsAuth(config.f1) || readsAuth(config.f2) ? 'required' : 'none' };
    case 'func':
      return { canAllow: true, token: 'optional' };
    case 'and': {
      const clauses = (config.clauses as unknown[]).map(shapeOf);
      return { canAllow: clauses.every((c) => c.canAllow), token: strongest(clauses) };
    }
    case 'or': {
      const allowing = (config.clauses as unknown[]).map(shapeOf).filter((c) => c.canAllow);
      if (allowing.length === 0) return { canAllow: false, token: 'none' };
      if (allowing.every((c) => c.token === 'required')) return { canAllow: true, token: 'required' };
      return { canAllow: true, token: allowing.some((c) => c.token !== 'none') ? 'optional' : 'none' };
    }
    default:
      return { canAllow: true, token: 'optional' };
  }
}

function readsAuth(operand: unknown): boolean {
  if (!isVariableText(operand)) return false;
  const variable = compileVariable(operand);
  return typeof variable !== 'string' && variable.fromAuth;
}

function strongest(shapes: Shape[]): TokenUse {
  if (shapes.some((s) => s.token === 'required')) return 'required';
  return shapes.some((s) => s.token === 'optional') ? 'optional' : 'none';
}
