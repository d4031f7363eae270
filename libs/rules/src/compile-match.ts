import { ALLOW, Denial, MatchEval, MatchType, RuleArgs, RuleConfigError, forbidden, unauthenticated } from './types';
import { COERCERS, Coercer, Scalar, Variable, compileVariable, isVariableText } from './values';
import { CompiledRule, show } from './compiled-rule';

/** The `match` rule: one comparison between literals and variables, typed when the config loads. */

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

/** A compiled operand: `resolve` gives the coerced value or undefined; `fail` explains an undefined. */
interface ScalarOperand {
  readonly literal: boolean;
  readonly text: string;
  readonly resolve: (args: RuleArgs) => Scalar | undefined;
  readonly fail: (args: RuleArgs) => Denial;
}

export function compileMatch(config: Record<string, unknown>, path: string): CompiledRule {
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
