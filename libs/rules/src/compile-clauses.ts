import { ALLOW, Decision, RuleArgs, RuleConfigError, forbidden, unauthenticated } from './types';
import { compileRule } from './compile';
import { CompileContext, CompiledRule } from './compiled-rule';

/** The `and` and `or` rules: clauses of any kind, nested to any depth. */

export function compileClauses(
  kind: 'and' | 'or',
  config: Record<string, unknown>,
  path: string,
  ctx: CompileContext,
): CompiledRule {
  const clauses = config.clauses;
  if (clauses === undefined) throw new RuleConfigError(`${path}.clauses`, 'required');
  if (!Array.isArray(clauses) || clauses.length === 0) {
    throw new RuleConfigError(`${path}.clauses`, 'must be a non-empty list of rules');
  }
  const compiled = clauses.map((clause, i) => compileRule(clause, `${path}.clauses.${i}`, ctx));
  // Clauses without a func rule run first: they are cheap and may settle the outcome without a call.
  const syncs = compiled.filter((c) => !c.async).map((c) => c.evaluate as SyncEvaluate);
  const asyncs = compiled.filter((c) => c.async).map((c) => c.evaluate);
  return kind === 'and' ? compileAnd(syncs, asyncs) : compileOr(syncs, asyncs, path);
}

type SyncEvaluate = (args: RuleArgs, service: string, func: string) => Decision;
type AnyEvaluate = CompiledRule['evaluate'];

/** and: every clause allows; the first denying clause is the decision (its path, status, reason). */
function compileAnd(syncs: SyncEvaluate[], asyncs: AnyEvaluate[]): CompiledRule {
  const evaluateSync: SyncEvaluate = (args, service, func) => {
    for (let i = 0; i < syncs.length; i++) {
      const decision = syncs[i](args, service, func);
      if (!decision.allow) return decision;
    }
    return ALLOW;
  };
  if (asyncs.length === 0) return { async: false, evaluate: evaluateSync };
  // A clause that may call a func still answers synchronously when it settles without the call;
  // a Promise is made only once a clause actually returns one.
  const rest = async (pending: Promise<Decision>, next: number, args: RuleArgs, service: string, func: string) => {
    let decision = await pending;
    if (!decision.allow) return decision;
    for (let i = next; i < asyncs.length; i++) {
      decision = await asyncs[i](args, service, func);
      if (!decision.allow) return decision;
    }
    return ALLOW;
  };
  return {
    async: true,
    evaluate: (args, service, func) => {
      const early = evaluateSync(args, service, func);
      if (!early.allow) return early;
      for (let i = 0; i < asyncs.length; i++) {
        const decision = asyncs[i](args, service, func);
        if (decision instanceof Promise) return rest(decision, i + 1, args, service, func);
        if (!decision.allow) return decision;
      }
      return ALLOW;
    },
  };
}

/**
 * or: any clause allows. When none does, the decision is the or's own path, with 401 if some clause
 * denied only for want of a token (sending one might help), else 403.
 */
function compileOr(syncs: SyncEvaluate[], asyncs: AnyEvaluate[], path: string): CompiledRule {
  const denied = forbidden(path, 'no clause allowed');
  const deniedNoToken = unauthenticated(path, 'no clause allowed and no token was sent');
  const verdict = (sawNoToken: boolean): Decision => (sawNoToken ? deniedNoToken : denied);
  /** ALLOW, or whether some clause denied with 401. */
  const evaluateSync = (args: RuleArgs, service: string, func: string): Decision | boolean => {
    let sawNoToken = false;
    for (let i = 0; i < syncs.length; i++) {
      const decision = syncs[i](args, service, func);
      if (decision.allow) return ALLOW;
      if (decision.status === 401) sawNoToken = true;
    }
    return sawNoToken;
  };
  if (asyncs.length === 0) {
    return {
      async: false,
      evaluate: (args, service, func) => {
        const early = evaluateSync(args, service, func);
        return typeof early === 'boolean' ? verdict(early) : early;
      },
    };
  }
  const rest = async (
    pending: Promise<Decision>,
    next: number,
    sawNoToken: boolean,
    args: RuleArgs,
    service: string,
    func: string,
  ) => {
    let decision = await pending;
    for (let i = next; ; i++) {
      if (decision.allow) return ALLOW;
      if (decision.status === 401) sawNoToken = true;
      if (i >= asyncs.length) return verdict(sawNoToken);
      decision = await asyncs[i](args, service, func);
    }
  };
  return {
    async: true,
    evaluate: (args, service, func) => {
      const early = evaluateSync(args, service, func);
      if (typeof early !== 'boolean') return early;
      let sawNoToken = early;
      for (let i = 0; i < asyncs.length; i++) {
        const decision = asyncs[i](args, service, func);
        if (decision instanceof Promise) return rest(decision, i + 1, sawNoToken, args, service, func);
        if (decision.allow) return ALLOW;
        if (decision.status === 401) sawNoToken = true;
      }
      return verdict(sawNoToken);
    },
  };
}
