import {
  ALLOW,
  Decision,
  Denial,
  MatchEval,
  MatchType,
  RuleArgs,
  RuleCaller,
  RuleConfigError,
  RuleKind,
  forbidden,
  unauthenticated,
} from './types';
import { COERCERS, Coercer, Scalar, Variable, compileVariable, isVariableText } from './values';

/** A compiled rule: `evaluate` returns a plain Decision unless `async` (a `func` rule is inside). */
export interface CompiledRule {
  readonly async: boolean;
  readonly evaluate: (args: RuleArgs, service: string, func: string) => Decision | Promise<Decision>;
}

export interface CompileContext {
  readonly caller: RuleCaller | undefined;
  readonly funcTimeoutMs: number;
}

export const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const RULE_KEYS: Readonly<Record<RuleKind, readonly string[]>> = {
  allow: ['rule'],
  deny: ['rule'],
  authenticated: ['rule'],
  match: ['rule', 'eval', 'type', 'f1', 'f2'],
  and: ['rule', 'clauses'],
  or: ['rule', 'clauses'],
  func: ['rule', 'service', 'func', 'timeout'],
};

const EVALS: readonly MatchEval[] = ['==', '!=', '>', '>=', '<', '<=', 'in', 'notIn', 'exists'];
const TYPES: readonly MatchType[] = ['string', 'number', 'bool'];

type Comparator = (a: Scalar, b: Scalar) => boolean;
const COMPARATORS: Readonly<Record<'==' | '!=' | '>' | '>=' | '<' | '<=', Comparator>> = {
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
};

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const show = (value: unknown): string => JSON.stringify(value) ?? String(value);

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

// ---- match -------------------------------------------------------------------------------------

/** A compiled operand: `resolve` gives the coerced value or undefined; `fail` explains an undefined. */
interface ScalarOperand {
  readonly literal: boolean;
  readonly text: string;
  readonly resolve: (args: RuleArgs) => Scalar | undefined;
  readonly fail: (args: RuleArgs) => Denial;
}

function compileMatch(config: Record<string, unknown>, path: string): CompiledRule {
  const op = config.eval;
  if (op === undefined) throw new RuleConfigError(`${path}.eval`, 'required');
  if (typeof op !== 'string' || !EVALS.includes(op as MatchEval)) {
    throw new RuleConfigError(`${path}.eval`, `unknown eval ${show(op)}`);
  }
  const type = config.type;
  if (type !== undefined && (typeof type !== 'string' || !TYPES.includes(type as MatchType))) {
    throw new RuleConfigError(`${path}.type`, `unknown type ${show(type)} (string, number or bool)`);
  }
  if (!('f1' in config)) throw new RuleConfigError(`${path}.f1`, 'required');

  if (op === 'exists') return compileExists(config.f1, path);

  if (type === undefined) throw new RuleConfigError(`${path}.type`, 'required (string, number or bool)');
  if (!('f2' in config)) throw new RuleConfigError(`${path}.f2`, 'required');
  const matchType = type as MatchType;
  const coerce = COERCERS[matchType];
  const f1 = compileScalarOperand(config.f1, `${path}.f1`, path, matchType, coerce);

  if (op === 'in' || op === 'notIn') return compileMembership(op, f1, config.f2, path, matchType, coerce);

  if (matchType === 'bool' && op !== '==' && op !== '!=') {
    throw new RuleConfigError(`${path}.eval`, `"${op}" needs type number or string`);
  }
  const f2 = compileScalarOperand(config.f2, `${path}.f2`, path, matchType, coerce);
  const compare = COMPARATORS[op as keyof typeof COMPARATORS];
  const falsehood = forbidden(path, `${f1.text} ${op} ${f2.text} does not hold`);
  if (f1.literal && f2.literal) {
    const constant = compare(f1.resolve(EMPTY_ARGS)!, f2.resolve(EMPTY_ARGS)!) ? ALLOW : falsehood;
    return { async: false, evaluate: () => constant };
  }
  return {
    async: false,
    evaluate: (args) => {
      const a = f1.resolve(args);
      if (a === undefined) return f1.fail(args);
      const b = f2.resolve(args);
      if (b === undefined) return f2.fail(args);
      return compare(a, b) ? ALLOW : falsehood;
    },
  };
}

const EMPTY_ARGS: RuleArgs = { auth: undefined, params: undefined };

function compileExists(f1: unknown, path: string): CompiledRule {
  if (!isVariableText(f1)) {
    throw new RuleConfigError(`${path}.f1`, 'exists needs a variable (args.auth... or args.params...)');
  }
  const variable = variableOrThrow(f1, `${path}.f1`);
  const fail = missingDenials(variable, path, 'exists');
  return {
    async: false,
    evaluate: (args) => {
      const value = variable.get(args);
      return value !== undefined && value !== null ? ALLOW : fail(args);
    },
  };
}

function variableOrThrow(text: string, path: string): Variable {
  const variable = compileVariable(text);
  if (typeof variable === 'string') throw new RuleConfigError(path, variable);
  return variable;
}

/** The denial for an unresolvable variable: 401 when it reads the token and none was sent, else 403. */
function missingDenials(variable: Variable, path: string, expected: string): (args: RuleArgs) => Denial {
  const noToken = unauthenticated(path, `no token was sent for ${variable.text}`);
  const missing = forbidden(path, `${variable.text} is missing`);
  const mismatch = forbidden(path, `${variable.text} is not ${expected}`);
  return (args) => {
    if (variable.fromAuth && args.auth === undefined) return noToken;
    const value = variable.get(args);
    return value === undefined || value === null ? missing : mismatch;
  };
}

const TYPE_TEXT: Readonly<Record<MatchType, string>> = { string: 'a string', number: 'a number', bool: 'a bool' };

function compileScalarOperand(
  value: unknown,
  fieldPath: string,
  rulePath: string,
  type: MatchType,
  coerce: Coercer,
): ScalarOperand {
  if (isVariableText(value)) {
    const variable = variableOrThrow(value, fieldPath);
    const get = variable.get;
    return {
      literal: false,
      text: variable.text,
      resolve: (args) => coerce(get(args)),
      fail: missingDenials(variable, rulePath, TYPE_TEXT[type]),
    };
  }
  const literal = coerceLiteral(value, fieldPath, type, coerce);
  const never = forbidden(rulePath, 'unreachable');
  return { literal: true, text: show(literal), resolve: () => literal, fail: () => never };
}

function coerceLiteral(value: unknown, path: string, type: MatchType, coerce: Coercer): Scalar {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new RuleConfigError(path, `must be a string, number, bool or a variable, not ${show(value)}`);
  }
  const coerced = coerce(value);
  if (coerced === undefined) throw new RuleConfigError(path, `${show(value)} is not ${TYPE_TEXT[type]}`);
  return coerced;
}

function compileMembership(
  op: 'in' | 'notIn',
  f1: ScalarOperand,
  f2: unknown,
  path: string,
  type: MatchType,
  coerce: Coercer,
): CompiledRule {
  const wanted = op === 'in';
  const falsehood = forbidden(path, `${f1.text} ${op} ${show(f2)} does not hold`);
  if (Array.isArray(f2)) {
    const set = new Set<Scalar>(f2.map((element, i) => coerceLiteral(element, `${path}.f2.${i}`, type, coerce)));
    return {
      async: false,
      evaluate: (args) => {
        const a = f1.resolve(args);
        if (a === undefined) return f1.fail(args);
        return set.has(a) === wanted ? ALLOW : falsehood;
      },
    };
  }
  if (!isVariableText(f2)) throw new RuleConfigError(`${path}.f2`, `${op} needs a list or a variable`);
  const list = variableOrThrow(f2, `${path}.f2`);
  const get = list.get;
  const listFail = missingDenials(list, path, 'a list');
  return {
    async: false,
    evaluate: (args) => {
      const a = f1.resolve(args);
      if (a === undefined) return f1.fail(args);
      const elements = get(args);
      if (!Array.isArray(elements)) return listFail(args);
      let found = false;
      for (let i = 0; i < elements.length; i++) {
        if (coerce(elements[i]) === a) {
          found = true;
          break;
        }
      }
      return found === wanted ? ALLOW : falsehood;
    },
  };
}

// ---- and / or ----------------------------------------------------------------------------------

function compileClauses(
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

// ---- func --------------------------------------------------------------------------------------

function compileFunc(config: Record<string, unknown>, path: string, ctx: CompileContext): CompiledRule {
  const target = { service: checkName(config.service, `${path}.service`), func: checkName(config.func, `${path}.func`) };
  let timeoutMs = ctx.funcTimeoutMs;
  if (config.timeout !== undefined) {
    if (!isPositiveInteger(config.timeout)) {
      throw new RuleConfigError(`${path}.timeout`, `must be a whole number of milliseconds >= 1, not ${show(config.timeout)}`);
    }
    timeoutMs = config.timeout;
  }
  const called = `${target.service}.${target.func}`;
  const denials: FuncDenials = {
    noCaller: forbidden(path, `func rule ${called}: no mesh caller configured`),
    failed: forbidden(path, `func rule ${called}: the call failed`),
    timedOut: forbidden(path, `func rule ${called}: no reply within ${timeoutMs} ms`),
    noAck: forbidden(path, `func rule ${called}: the reply is not {"ack": true}`),
  };
  const caller = ctx.caller;
  return {
    async: true,
    evaluate: (args, service, func) => callGuard(caller, target, timeoutMs, denials, args, service, func),
  };
}

interface FuncDenials {
  readonly noCaller: Denial;
  readonly failed: Denial;
  readonly timedOut: Denial;
  readonly noAck: Denial;
}

function checkName(value: unknown, path: string): string {
  if (value === undefined) throw new RuleConfigError(path, 'required');
  if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
    throw new RuleConfigError(path, `invalid name ${show(value)} (must match ${NAME_PATTERN.source})`);
  }
  return value;
}

export function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

function isAck(reply: unknown): boolean {
  return isPlainObject(reply) && reply.ack === true;
}

/**
 * Calls the guard function directly on the mesh (the caller never goes through the rules, so a rule
 * cannot loop). Never rejects: a false ack, an error, no instance or the timeout all give a denial.
 */
function callGuard(
  caller: RuleCaller | undefined,
  target: { readonly service: string; readonly func: string },
  timeoutMs: number,
  denials: FuncDenials,
  args: RuleArgs,
  service: string,
  func: string,
): Promise<Decision> {
  if (caller === undefined) return Promise.resolve(denials.noCaller);
  const payload = { params: args.params === undefined ? null : args.params, auth: args.auth ?? null, service, func };
  return new Promise<Decision>((resolve) => {
    let settled = false;
    const settle = (decision: Decision): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(decision);
    };
    const timer = setTimeout(() => settle(denials.timedOut), timeoutMs);
    let reply: Promise<unknown>;
    try {
      reply = Promise.resolve(caller.call(target.service, target.func, payload, timeoutMs));
    } catch {
      settle(denials.failed);
      return;
    }
    reply.then(
      (value) => settle(isAck(value) ? ALLOW : denials.noAck),
      () => settle(denials.failed),
    );
  });
}
