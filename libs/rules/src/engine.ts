import { compileRule } from './compile';
import { describeRules, RuleCatalog, RuleSummary } from './describe';
import { isValidName, NAME_RULE } from '@nest-mesh/wire';
import { CompileContext, CompiledRule, isPlainObject, isPositiveInteger } from './compiled-rule';
import { compileRateLimit, RateLimit } from './rate-limit';
import { Decision, RuleArgs, RuleCaller, RuleConfigError, forbidden } from './types';

export interface CompileRulesOptions {
  /** Makes the direct mesh call of a `func` rule. Without it, `func` rules deny. */
  caller?: RuleCaller;
  /** Timeout of a `func` rule that sets none, in ms. Default 5000. */
  funcTimeoutMs?: number;
  /** The config path of the rules map, used in error messages and decisions. */
  path?: string;
}

export const DEFAULT_FUNC_TIMEOUT_MS = 5000;
export const DEFAULT_RULES_PATH = 'modules.functions.rules';

/** One entry of the rules map (`rules.<service>.<func>`): its compiled rule and its optional rate limit. */
export interface RuleEntry extends CompiledRule {
  readonly rateLimit: RateLimit | undefined;
}

interface ServiceRules {
  readonly funcs: ReadonlyMap<string, RuleEntry>;
  readonly fallback: RuleEntry | undefined;
}

const NO_RULE: Decision = forbidden('(none)', 'no rule applies to the function');

/** Compiled rules. `decide` is one or two map lookups and then the compiled rule. */
export class RuleEngine {
  /** Use compileRules(). */
  constructor(
    private readonly services: ReadonlyMap<string, ServiceRules>,
    private readonly fallback: RuleEntry | undefined,
    /** Every entry's rate limit, in file order: a gateway makes its limiters from these once. */
    readonly rateLimits: readonly RateLimit[] = [],
    private readonly catalog: RuleCatalog = describeRules(undefined, DEFAULT_RULES_PATH),
  ) {}

  /** What the rule of `service.func` says before any call (see describe.ts); undefined: no rule. */
  describe(service: string, func: string): RuleSummary | undefined {
    return this.catalog.describe(service, func);
  }

  /**
   * The decision for calling `service.func` with `args`: `rules.<service>.<func>`, else
   * `rules.<service>.default`, else `rules.default.default`, else 403 with path `(none)`.
   * A plain Decision unless a `func` rule is on the path, then a Promise that never rejects.
   */
  decide(service: string, func: string, args: RuleArgs): Decision | Promise<Decision> {
    return this.decideEntry(this.entryOf(service, func), service, func, args);
  }

  /** The entry that covers `service.func` (see `decide`), or undefined when no rule applies. */
  entryOf(service: string, func: string): RuleEntry | undefined {
    const own = this.services.get(service);
    return (own !== undefined ? (own.funcs.get(func) ?? own.fallback) : undefined) ?? this.fallback;
  }

  /** `decide` for an entry already looked up with `entryOf(service, func)`. */
  decideEntry(entry: RuleEntry | undefined, service: string, func: string, args: RuleArgs): Decision | Promise<Decision> {
    return entry === undefined ? NO_RULE : entry.evaluate(args, service, func);
  }
}

/** Validates and compiles the rules map once; throws RuleConfigError naming the exact path. */
export function compileRules(rules: unknown, options: CompileRulesOptions = {}): RuleEngine {
  const root = options.path ?? DEFAULT_RULES_PATH;
  const funcTimeoutMs = options.funcTimeoutMs ?? DEFAULT_FUNC_TIMEOUT_MS;
  if (!isPositiveInteger(funcTimeoutMs)) {
    throw new RangeError(`funcTimeoutMs must be a whole number of milliseconds >= 1, not ${String(funcTimeoutMs)}`);
  }
  const ctx: CompileContext = { caller: options.caller, funcTimeoutMs };
  const services = new Map<string, ServiceRules>();
  const rateLimits: RateLimit[] = [];
  if (rules === undefined || rules === null) return new RuleEngine(services, undefined);
  if (!isPlainObject(rules)) throw new RuleConfigError(root, 'must be a map of service name to function rules');

  for (const [service, funcs] of Object.entries(rules)) {
    const servicePath = `${root}.${service}`;
    if (!isValidName(service)) {
      throw new RuleConfigError(servicePath, `invalid service name (${NAME_RULE})`);
    }
    if (!isPlainObject(funcs)) throw new RuleConfigError(servicePath, 'must be a map of function name to rule');
    const compiled = new Map<string, RuleEntry>();
    for (const [func, rule] of Object.entries(funcs)) {
      const funcPath = `${servicePath}.${func}`;
      if (!isValidName(func)) {
        throw new RuleConfigError(funcPath, `invalid function name (${NAME_RULE})`);
      }
      const entry = compileRuleEntry(rule, funcPath, ctx);
      if (entry.rateLimit !== undefined) rateLimits.push(entry.rateLimit);
      compiled.set(func, entry);
    }
    services.set(service, { funcs: compiled, fallback: compiled.get('default') });
  }
  return new RuleEngine(services, services.get('default')?.fallback, rateLimits, describeRules(rules, root));
}

/**
 * An entry is a rule plus, at its top level only (not inside clauses), an optional `rateLimit`
 * (the entries of `modules.functions.rules` and `modules.eventing.rules` alike).
 */
export function compileRuleEntry(config: unknown, path: string, ctx: CompileContext): RuleEntry {
  if (!isPlainObject(config) || config.rateLimit === undefined) {
    const { async, evaluate } = compileRule(config, path, ctx);
    return { async, evaluate, rateLimit: undefined };
  }
  const { rateLimit, ...rule } = config;
  const { async, evaluate } = compileRule(rule, path, ctx);
  return { async, evaluate, rateLimit: compileRateLimit(rateLimit, path) };
}
