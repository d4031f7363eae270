/** The rule configuration a user writes under `modules.functions.rules.<service>.<func>`. */
export type MatchEval = '==' | '!=' | '>' | '>=' | '<' | '<=' | 'in' | 'notIn' | 'exists';
export type MatchType = 'string' | 'number' | 'bool';
/** A literal, or a variable: a string starting with `args.auth` or `args.params`. */
export type Operand = string | number | boolean | ReadonlyArray<string | number | boolean>;

export type RuleConfig =
  | { rule: 'allow' }
  | { rule: 'deny' }
  | { rule: 'authenticated' }
  | { rule: 'match'; eval: MatchEval; type?: MatchType; f1: Operand; f2?: Operand }
  | { rule: 'and'; clauses: RuleConfig[] }
  | { rule: 'or'; clauses: RuleConfig[] }
  | { rule: 'func'; service: string; func: string; timeout?: number };

export type RuleKind = RuleConfig['rule'];

/** What a rule sees: the verified JWT claims (undefined when no token was sent) and the call's params. */
export interface RuleArgs {
  auth: Readonly<Record<string, unknown>> | undefined;
  params: unknown;
  /** The call being checked, as its host knows it; no rule reads it, the `func` rule hands it to `RuleCaller.call`. */
  origin?: unknown;
  /** How a `func` rule makes its call; when absent, the caller given to `compileRules` (if any). */
  caller?: RuleCaller;
}

/** Makes a direct mesh call (never through the rules). Used only by the `func` rule. */
export interface RuleCaller {
  /** `origin`: the `RuleArgs.origin` of the call being checked (the gateway's: its request id and trace context). */
  call(service: string, func: string, payload: unknown, timeoutMs: number, origin?: unknown): Promise<unknown>;
}

export type Decision =
  | { allow: true }
  | { allow: false; status: 401 | 403; code: 'UNAUTHENTICATED' | 'FORBIDDEN'; path: string; reason: string };

export type Denial = Extract<Decision, { allow: false }>;

/** A configuration mistake; `path` names the offending key, the message is `${path}: ${what}`. */
export class RuleConfigError extends Error {
  readonly path: string;
  constructor(path: string, what: string) {
    super(`${path}: ${what}`);
    this.name = 'RuleConfigError';
    this.path = path;
  }
}

/** The one allow decision; frozen and shared, so an allow allocates nothing. */
export const ALLOW: Decision = Object.freeze({ allow: true as const });

export function forbidden(path: string, reason: string): Denial {
  return Object.freeze({ allow: false as const, status: 403 as const, code: 'FORBIDDEN' as const, path, reason });
}

export function unauthenticated(path: string, reason: string): Denial {
  return Object.freeze({ allow: false as const, status: 401 as const, code: 'UNAUTHENTICATED' as const, path, reason });
}
