import { ALLOW, RuleConfigError, RuleKind, forbidden, unauthenticated } from './types';
import { compileClauses } from './compile-clauses';
import { compileFunc } from './compile-func';
import { compileMatch } from './compile-match';
import { CompileContext, CompiledRule, isPlainObject, show } from './compiled-rule';

const RULE_KEYS: Readonly<Record<RuleKind, readonly string[]>> = {
  allow: ['rule'],
  deny: ['rule'],
  authenticated: ['rule'],
  match: ['rule', 'eval', 'type', 'f1', 'f2'],
  and: ['rule', 'clauses'],
  or: ['rule', 'clauses'],
  func: ['rule', 'service', 'func', 'timeout'],
};

/** The rule dispatcher: checks the keys of a rule, then compiles it by kind (match, and/or and func
 * each have a file of their own). */

/** Validates one rule (recursively) and turns it into an evaluator. Throws RuleConfigError. */
export function compileRule(config: unknown, path: string, ctx: CompileContext): CompiledRule {
  if (!isPlainObject(config)) throw new RuleConfigError(path, 'must be an object with a "rule" key');
  const kind = config.rule;
  if (kind === undefined) throw new RuleConfigError(`${path}.rule`, 'required');
  if (typeof kind !== 'string' || !Object.prototype.hasOwnProperty.call(RULE_KEYS, kind)) {
    throw new RuleConfigError(`${path}.rule`, `unknown rule ${show(kind)}`);
  }
  const allowed = RULE_KEYS[kind as RuleKind];
  for (const key of Object.keys(config)) {
    if (!allowed.includes(key)) throw new RuleConfigError(`${path}.${key}`, `unknown key in a "${kind}" rule`);
  }
  switch (kind as RuleKind) {
    case 'allow':
      return { async: false, evaluate: () => ALLOW };
    case 'deny': {
      const denial = forbidden(path, 'the rule is deny');
      return { async: false, evaluate: () => denial };
    }
    case 'authenticated': {
      const denial = unauthenticated(path, 'the rule needs a token and none was sent');
      return { async: false, evaluate: (args) => (args.auth !== undefined ? ALLOW : denial) };
    }
    case 'match':
      return compileMatch(config, path);
    case 'and':
    case 'or':
      return compileClauses(kind as 'and' | 'or', config, path, ctx);
    case 'func':
      return compileFunc(config, path, ctx);
  }
}
