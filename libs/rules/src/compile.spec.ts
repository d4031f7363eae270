import { RuleConfigError, compileRules } from './index';

const R = 'modules.functions.rules';
const one = (rule: unknown) => ({ users: { create: rule } });
const m = (extra: Record<string, unknown>) => ({ rule: 'match', eval: '==', type: 'string', f1: 'args.auth.role', f2: 'admin', ...extra });

const cases: [string, unknown, string][] = [
  ['rules not an object', 'allow', `${R}: must be a map of service name to function rules`],
  ['rules an array', [], `${R}: must be a map of service name to function rules`],
  ['service not an object', { users: 'allow' }, `${R}.users: must be a map of function name to rule`],
  ['bad service name', { 'us.ers': {} }, `${R}.us.ers: invalid service name (must match ^[A-Za-z0-9_-]{1,64}$)`],
  ['bad function name', { users: { 'cre*ate': { rule: 'allow' } } }, `${R}.users.cre*ate: invalid function name (must match ^[A-Za-z0-9_-]{1,64}$)`],
  ['rule not an object', one('allow'), `${R}.users.create: must be an object with a "rule" key`],
  ['rule missing', one({}), `${R}.users.create.rule: required`],
  ['unknown rule', one({ rule: 'alow' }), `${R}.users.create.rule: unknown rule "alow"`],
  ['rule not a string', one({ rule: 1 }), `${R}.users.create.rule: unknown rule 1`],
  ['unknown key', one({ rule: 'allow', clauses: [] }), `${R}.users.create.clauses: unknown key in a "allow" rule`],
  ['unknown key in match', one(m({ f3: 1 })), `${R}.users.create.f3: unknown key in a "match" rule`],
  ['eval missing', one(m({ eval: undefined })), `${R}.users.create.eval: required`],
  ['unknown eval in a clause', one({ rule: 'and', clauses: [{ rule: 'allow' }, m({ eval: '=~' })] }), `${R}.users.create.clauses.1.eval: unknown eval "=~"`],
  ['unknown type', one(m({ type: 'int' })), `${R}.users.create.type: unknown type "int" (string, number or bool)`],
  ['type missing', one(m({ type: undefined })), `${R}.users.create.type: required (string, number or bool)`],
  ['f1 missing', one({ rule: 'match', eval: '==', type: 'string', f2: 'x' }), `${R}.users.create.f1: required`],
  ['f2 missing', one({ rule: 'match', eval: '==', type: 'string', f1: 'x' }), `${R}.users.create.f2: required`],
  ['bad variable root', one(m({ f1: 'args.user.id' })), `${R}.users.create.f1: variable "args.user.id" must start with args.auth or args.params`],
  ['bad variable segment', one(m({ f2: 'args.params..id' })), `${R}.users.create.f2: variable "args.params..id" has an empty segment`],
  ['literal not a number', one(m({ type: 'number', f2: 'abc' })), `${R}.users.create.f2: "abc" is not a number`],
  ['literal not a bool', one(m({ type: 'bool', f2: 'yes' })), `${R}.users.create.f2: "yes" is not a bool`],
  ['object literal', one(m({ f2: { a: 1 } })), `${R}.users.create.f2: must be a string, number, bool or a variable, not {"a":1}`],
  ['null literal', one(m({ f1: null })), `${R}.users.create.f1: must be a string, number, bool or a variable, not null`],
  ['list where a value is needed', one(m({ f2: ['a'] })), `${R}.users.create.f2: must be a string, number, bool or a variable, not ["a"]`],
  ['relational on bool', one(m({ type: 'bool', eval: '<', f2: true })), `${R}.users.create.eval: "<" needs type number or string`],
  ['in with a scalar f2', one(m({ eval: 'in', f2: 'admin' })), `${R}.users.create.f2: in needs a list or a variable`],
  ['in with a bad list element', one(m({ eval: 'in', type: 'number', f1: 'args.auth.n', f2: [1, 'x'] })), `${R}.users.create.f2.1: "x" is not a number`],
  ['exists with a literal', one({ rule: 'match', eval: 'exists', f1: 'sub' }), `${R}.users.create.f1: exists needs a variable (args.auth... or args.params...)`],
  ['clauses missing', one({ rule: 'and' }), `${R}.users.create.clauses: required`],
  ['clauses empty', one({ rule: 'or', clauses: [] }), `${R}.users.create.clauses: must be a non-empty list of rules`],
  ['clauses not a list', one({ rule: 'or', clauses: { rule: 'allow' } }), `${R}.users.create.clauses: must be a non-empty list of rules`],
  ['deep clause error', one({ rule: 'and', clauses: [{ rule: 'or', clauses: [{ rule: 'allow' }, { rule: 'nope' }] }] }), `${R}.users.create.clauses.0.clauses.1.rule: unknown rule "nope"`],
  ['func service missing', one({ rule: 'func', func: 'check' }), `${R}.users.create.service: required`],
  ['func bad service', one({ rule: 'func', service: 'a.b', func: 'check' }), `${R}.users.create.service: invalid name "a.b" (must match ^[A-Za-z0-9_-]{1,64}$)`],
  ['func bad func', one({ rule: 'func', service: 'authz', func: '>' }), `${R}.users.create.func: invalid name ">" (must match ^[A-Za-z0-9_-]{1,64}$)`],
  ['func bad timeout', one({ rule: 'func', service: 'authz', func: 'check', timeout: 0 }), `${R}.users.create.timeout: must be a whole number of milliseconds >= 1, not 0`],
  ['func timeout as text', one({ rule: 'func', service: 'authz', func: 'check', timeout: '5s' }), `${R}.users.create.timeout: must be a whole number of milliseconds >= 1, not "5s"`],
];

describe('compile errors', () => {
  it.each(cases)('%s', (_name, rules, message) => {
    let error: unknown;
    try {
      compileRules(rules);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RuleConfigError);
    expect((error as RuleConfigError).message).toBe(message);
    expect((error as RuleConfigError).path).toBe(message.slice(0, message.indexOf(': ')));
  });

  it('names the path under a custom root', () => {
    expect(() => compileRules({ a: { b: { rule: 'x' } } }, { path: 'rules' })).toThrow('rules.a.b.rule: unknown rule "x"');
  });

  it('rejects a bad default func timeout', () => {
    expect(() => compileRules({}, { funcTimeoutMs: 0 })).toThrow(RangeError);
  });

  it('accepts a full valid config', () => {
    expect(() =>
      compileRules({
        greeter: { hello: { rule: 'allow' }, default: { rule: 'authenticated' } },
        users: {
          create: {
            rule: 'and',
            clauses: [
              { rule: 'match', eval: 'exists', f1: 'args.auth.sub' },
              { rule: 'or', clauses: [{ rule: 'match', eval: 'in', type: 'string', f1: 'args.auth.role', f2: ['admin'] }, { rule: 'func', service: 'authz', func: 'check', timeout: 100 }] },
            ],
          },
        },
        default: { default: { rule: 'deny' } },
      }),
    ).not.toThrow();
  });
});
