import { Decision, RuleArgs, compileRules } from './index';

/** Table of sync rule cases: each compiles `rules.users.create` and decides one call. */
type Expect = 'allow' | 401 | 403;
interface Case {
  name: string;
  rule: unknown;
  auth?: Record<string, unknown>;
  params?: unknown;
  expect: Expect;
  /** Path of the deciding rule, relative to modules.functions.rules.users.create (default: the rule itself). */
  at?: string;
}

const P = 'modules.functions.rules.users.create';
const m = (evalOp: string, type: string | undefined, f1: unknown, f2?: unknown) =>
  type === undefined ? { rule: 'match', eval: evalOp, f1, f2 } : { rule: 'match', eval: evalOp, type, f1, f2 };
const user = { sub: 'u1', role: 'admin', level: 3, levelText: '3', verified: true, verifiedText: 'true', roles: ['a', 'b'] };

const cases: Case[] = [
  // allow / deny / authenticated
  { name: 'allow without a token', rule: { rule: 'allow' }, expect: 'allow' },
  { name: 'allow with a token', rule: { rule: 'allow' }, auth: user, expect: 'allow' },
  { name: 'deny without a token', rule: { rule: 'deny' }, expect: 403 },
  { name: 'deny with a token', rule: { rule: 'deny' }, auth: user, expect: 403 },
  { name: 'authenticated with a token', rule: { rule: 'authenticated' }, auth: user, expect: 'allow' },
  { name: 'authenticated with a token without claims', rule: { rule: 'authenticated' }, auth: {}, expect: 'allow' },
  { name: 'authenticated without a token is 401', rule: { rule: 'authenticated' }, expect: 401 },

  // == / != with strings
  { name: '== string claim equals literal', rule: m('==', 'string', 'args.auth.role', 'admin'), auth: user, expect: 'allow' },
  { name: '== string claim differs', rule: m('==', 'string', 'args.auth.role', 'root'), auth: user, expect: 403 },
  { name: '== claim missing', rule: m('==', 'string', 'args.auth.nope', 'admin'), auth: user, expect: 403 },
  { name: '== claim with no token is 401', rule: m('==', 'string', 'args.auth.role', 'admin'), expect: 401 },
  { name: '== param vs claim', rule: m('==', 'string', 'args.params.owner', 'args.auth.sub'), auth: user, params: { owner: 'u1' }, expect: 'allow' },
  { name: '== param vs claim differs', rule: m('==', 'string', 'args.params.owner', 'args.auth.sub'), auth: user, params: { owner: 'u2' }, expect: 403 },
  { name: '== string: number param as its text', rule: m('==', 'string', 'args.params.id', '42'), params: { id: 42 }, expect: 'allow' },
  { name: '== string: object is a type mismatch', rule: m('==', 'string', 'args.params.id', '42'), params: { id: { v: 42 } }, expect: 403 },
  { name: '== string: null is missing', rule: m('==', 'string', 'args.params.id', 'x'), params: { id: null }, expect: 403 },
  { name: '!= string differs', rule: m('!=', 'string', 'args.params.name', 'root'), params: { name: 'bob' }, expect: 'allow' },
  { name: '!= string equal', rule: m('!=', 'string', 'args.params.name', 'root'), params: { name: 'root' }, expect: 403 },
  { name: '!= with the value missing denies', rule: m('!=', 'string', 'args.params.name', 'root'), params: {}, expect: 403 },
  { name: '== two literals, true', rule: m('==', 'string', 'a', 'a'), expect: 'allow' },
  { name: '== two literals, false', rule: m('==', 'string', 'a', 'b'), expect: 403 },

  // numbers
  { name: '== number', rule: m('==', 'number', 'args.auth.level', 3), auth: user, expect: 'allow' },
  { name: '== number from a numeric string claim', rule: m('==', 'number', 'args.auth.levelText', 3), auth: user, expect: 'allow' },
  { name: '== number literal written as a string', rule: m('==', 'number', 'args.auth.level', '3'), auth: user, expect: 'allow' },
  { name: '== number: "3.0" equals 3', rule: m('==', 'number', 'args.params.n', 3), params: { n: '3.0' }, expect: 'allow' },
  { name: 'number: non-numeric string is a mismatch', rule: m('==', 'number', 'args.params.n', 3), params: { n: 'three' }, expect: 403 },
  { name: 'number: string with spaces is a mismatch', rule: m('==', 'number', 'args.params.n', 3), params: { n: ' 3' }, expect: 403 },
  { name: 'number: hex string is a mismatch', rule: m('==', 'number', 'args.params.n', 16), params: { n: '0x10' }, expect: 403 },
  { name: 'number: empty string is a mismatch', rule: m('==', 'number', 'args.params.n', 0), params: { n: '' }, expect: 403 },
  { name: 'number: boolean is a mismatch', rule: m('==', 'number', 'args.params.n', 1), params: { n: true }, expect: 403 },
  { name: '> number holds', rule: m('>', 'number', 'args.params.n', 10), params: { n: 11 }, expect: 'allow' },
  { name: '> number equal does not hold', rule: m('>', 'number', 'args.params.n', 10), params: { n: 10 }, expect: 403 },
  { name: '>= number equal holds', rule: m('>=', 'number', 'args.params.n', 10), params: { n: '10' }, expect: 'allow' },
  { name: '< number compares numerically, not as text', rule: m('<', 'number', 'args.params.n', 10), params: { n: '9' }, expect: 'allow' },
  { name: '<= number fails', rule: m('<=', 'number', 'args.params.n', 10), params: { n: 10.5 }, expect: 403 },
  { name: '< string compares as text', rule: m('<', 'string', 'args.params.s', '10'), params: { s: '9' }, expect: 403 },
  { name: '> string compares as text', rule: m('>', 'string', 'args.params.s', 'apple'), params: { s: 'banana' }, expect: 'allow' },
  { name: 'number: 1e3 string is 1000', rule: m('==', 'number', 'args.params.n', 1000), params: { n: '1e3' }, expect: 'allow' },

  // bool
  { name: '== bool true', rule: m('==', 'bool', 'args.auth.verified', true), auth: user, expect: 'allow' },
  { name: '== bool from "true" string claim', rule: m('==', 'bool', 'args.auth.verifiedText', true), auth: user, expect: 'allow' },
  { name: '== bool false vs true', rule: m('==', 'bool', 'args.params.b', true), params: { b: false }, expect: 403 },
  { name: 'bool: 1 is not a bool', rule: m('==', 'bool', 'args.params.b', true), params: { b: 1 }, expect: 403 },
  { name: 'bool: "yes" is not a bool', rule: m('==', 'bool', 'args.params.b', true), params: { b: 'yes' }, expect: 403 },
  { name: '!= bool', rule: m('!=', 'bool', 'args.params.b', 'false'), params: { b: true }, expect: 'allow' },

  // nested paths and arrays
  { name: 'nested params path', rule: m('==', 'string', 'args.params.a.b.c', 'x'), params: { a: { b: { c: 'x' } } }, expect: 'allow' },
  { name: 'array index in params', rule: m('==', 'number', 'args.params.items.1.qty', 2), params: { items: [{ qty: 1 }, { qty: 2 }] }, expect: 'allow' },
  { name: 'array index out of range', rule: m('==', 'number', 'args.params.items.5.qty', 2), params: { items: [{ qty: 1 }] }, expect: 403 },
  { name: 'path through a scalar is missing', rule: m('==', 'string', 'args.params.a.b', 'x'), params: { a: 'str' }, expect: 403 },
  { name: 'params null', rule: m('==', 'string', 'args.params.a', 'x'), params: null, expect: 403 },
  { name: 'prototype keys are not values', rule: m('exists', undefined, 'args.params.constructor'), params: {}, expect: 403 },
  { name: 'array length is not a value', rule: m('==', 'number', 'args.params.list.length', 0), params: { list: [] }, expect: 403 },
  { name: 'claim array index', rule: m('==', 'string', 'args.auth.roles.0', 'a'), auth: user, expect: 'allow' },

  // in / notIn
  { name: 'in literal list', rule: m('in', 'string', 'args.auth.role', ['admin', 'owner']), auth: user, expect: 'allow' },
  { name: 'in literal list, absent', rule: m('in', 'string', 'args.auth.role', ['owner']), auth: user, expect: 403 },
  { name: 'in claim list', rule: m('in', 'string', 'b', 'args.auth.roles'), auth: user, expect: 'allow' },
  { name: 'in claim list, absent', rule: m('in', 'string', 'c', 'args.auth.roles'), auth: user, expect: 403 },
  { name: 'in number list with numeric strings', rule: m('in', 'number', 'args.params.n', [1, '2', 3]), params: { n: '2' }, expect: 'allow' },
  { name: 'in params list coerces elements', rule: m('in', 'number', 'args.params.n', 'args.params.allowed'), params: { n: 2, allowed: ['1', '2'] }, expect: 'allow' },
  { name: 'in: f2 variable not a list', rule: m('in', 'string', 'a', 'args.params.list'), params: { list: 'a' }, expect: 403 },
  { name: 'in: f2 variable missing', rule: m('in', 'string', 'a', 'args.params.list'), params: {}, expect: 403 },
  { name: 'in: f1 missing', rule: m('in', 'string', 'args.params.x', ['a']), params: {}, expect: 403 },
  { name: 'in: claim list with no token is 401', rule: m('in', 'string', 'a', 'args.auth.roles'), expect: 401 },
  { name: 'notIn literal list, absent', rule: m('notIn', 'string', 'args.params.name', ['root', 'admin']), params: { name: 'bob' }, expect: 'allow' },
  { name: 'notIn literal list, present', rule: m('notIn', 'string', 'args.params.name', ['root', 'admin']), params: { name: 'root' }, expect: 403 },
  { name: 'notIn variable list, absent', rule: m('notIn', 'string', 'args.auth.sub', 'args.params.banned'), auth: user, params: { banned: ['u9'] }, expect: 'allow' },
  { name: 'notIn variable list, present', rule: m('notIn', 'string', 'args.auth.sub', 'args.params.banned'), auth: user, params: { banned: ['u1'] }, expect: 403 },
  { name: 'notIn: f1 missing denies', rule: m('notIn', 'string', 'args.params.name', ['root']), params: {}, expect: 403 },
  { name: 'notIn: f2 not a list denies', rule: m('notIn', 'string', 'x', 'args.params.banned'), params: { banned: 'y' }, expect: 403 },

  // exists
  { name: 'exists: claim present', rule: m('exists', undefined, 'args.auth.sub'), auth: user, expect: 'allow' },
  { name: 'exists: claim absent', rule: m('exists', undefined, 'args.auth.email'), auth: user, expect: 403 },
  { name: 'exists: no token is 401', rule: m('exists', undefined, 'args.auth.sub'), expect: 401 },
  { name: 'exists: false counts as present', rule: m('exists', 'bool', 'args.params.flag'), params: { flag: false }, expect: 'allow' },
  { name: 'exists: null is absent', rule: m('exists', undefined, 'args.params.flag'), params: { flag: null }, expect: 403 },
  { name: 'exists: whole token', rule: m('exists', undefined, 'args.auth'), auth: {}, expect: 'allow' },

  // and / or nesting
  {
    name: 'and: all allow',
    rule: { rule: 'and', clauses: [{ rule: 'authenticated' }, m('==', 'string', 'args.auth.role', 'admin')] },
    auth: user,
    expect: 'allow',
  },
  {
    name: 'and: second clause denies, its path decides',
    rule: { rule: 'and', clauses: [{ rule: 'authenticated' }, m('==', 'string', 'args.auth.role', 'root')] },
    auth: user,
    expect: 403,
    at: '.clauses.1',
  },
  {
    name: 'and: no token, authenticated clause gives 401',
    rule: { rule: 'and', clauses: [{ rule: 'authenticated' }, { rule: 'allow' }] },
    expect: 401,
    at: '.clauses.0',
  },
  {
    name: 'or: one clause allows',
    rule: { rule: 'or', clauses: [m('==', 'string', 'args.auth.role', 'root'), m('==', 'string', 'args.params.owner', 'args.auth.sub')] },
    auth: user,
    params: { owner: 'u1' },
    expect: 'allow',
  },
  {
    name: 'or: no clause allows',
    rule: { rule: 'or', clauses: [{ rule: 'deny' }, m('==', 'string', 'args.auth.role', 'root')] },
    auth: user,
    expect: 403,
  },
  {
    name: 'or: no clause allows and one needed a token: 401',
    rule: { rule: 'or', clauses: [{ rule: 'authenticated' }, m('==', 'string', 'args.params.public', 'yes')] },
    params: { public: 'no' },
    expect: 401,
  },
  {
    name: 'or: public params allow without a token',
    rule: { rule: 'or', clauses: [{ rule: 'authenticated' }, m('==', 'string', 'args.params.public', 'yes')] },
    params: { public: 'yes' },
    expect: 'allow',
  },
  {
    name: 'deep nesting: and(or(and(match)))',
    rule: {
      rule: 'and',
      clauses: [
        { rule: 'or', clauses: [{ rule: 'deny' }, { rule: 'and', clauses: [m('in', 'string', 'args.auth.role', ['admin']), m('>', 'number', 'args.auth.level', 2)] }] },
        m('exists', undefined, 'args.params.id'),
      ],
    },
    auth: user,
    params: { id: 7 },
    expect: 'allow',
  },
  {
    name: 'deep nesting: the innermost deny decides',
    rule: {
      rule: 'and',
      clauses: [{ rule: 'and', clauses: [{ rule: 'allow' }, { rule: 'and', clauses: [m('>', 'number', 'args.auth.level', 5)] }] }],
    },
    auth: user,
    expect: 403,
    at: '.clauses.0.clauses.1.clauses.0',
  },
];

function run(c: Case): Decision {
  const engine = compileRules({ users: { create: c.rule } });
  const args: RuleArgs = { auth: c.auth, params: c.params };
  const decision = engine.decide('users', 'create', args);
  if (decision instanceof Promise) throw new Error('a rule without func must decide synchronously');
  return decision;
}

describe('rule table', () => {
  it('has at least 60 cases', () => expect(cases.length).toBeGreaterThanOrEqual(60));

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const decision = run(c);
    if (c.expect === 'allow') {
      expect(decision).toEqual({ allow: true });
    } else {
      expect(decision).toMatchObject({
        allow: false,
        status: c.expect,
        code: c.expect === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN',
        path: P + (c.at ?? ''),
      });
      if (!decision.allow) expect(decision.reason.length).toBeGreaterThan(0);
    }
  });
});

describe('fallbacks', () => {
  const engine = compileRules({
    greeter: { hello: { rule: 'allow' }, default: { rule: 'authenticated' } },
    open: { ping: { rule: 'allow' } },
    default: { default: { rule: 'deny' } },
  });
  const anon: RuleArgs = { auth: undefined, params: null };

  it('uses the function rule first', () => expect(engine.decide('greeter', 'hello', anon)).toEqual({ allow: true }));
  it('then the service default', () => {
    expect(engine.decide('greeter', 'bye', anon)).toMatchObject({ status: 401, path: 'modules.functions.rules.greeter.default' });
    expect(engine.decide('greeter', 'bye', { auth: { sub: 'x' }, params: null })).toEqual({ allow: true });
  });
  it('then default.default for a service without its own default', () =>
    expect(engine.decide('open', 'other', anon)).toMatchObject({ status: 403, path: 'modules.functions.rules.default.default' }));
  it('then default.default for an unknown service', () =>
    expect(engine.decide('billing', 'pay', anon)).toMatchObject({ status: 403, code: 'FORBIDDEN', path: 'modules.functions.rules.default.default' }));
  it('no rule at all: 403 with path (none)', () => {
    const bare = compileRules({ greeter: { hello: { rule: 'allow' } } });
    expect(bare.decide('greeter', 'bye', anon)).toMatchObject({ allow: false, status: 403, code: 'FORBIDDEN', path: '(none)' });
    expect(bare.decide('x', 'y', anon)).toMatchObject({ status: 403, path: '(none)' });
  });
  it('empty or absent rules deny everything with (none)', () => {
    for (const rules of [undefined, null, {}]) {
      expect(compileRules(rules).decide('a', 'b', anon)).toMatchObject({ status: 403, path: '(none)' });
    }
  });
  it('a custom root path shows in decisions', () => {
    const e = compileRules({ a: { b: { rule: 'deny' } } }, { path: 'rules' });
    expect(e.decide('a', 'b', anon)).toMatchObject({ path: 'rules.a.b' });
  });
  it('decisions are frozen (shared between calls)', () => {
    const d = engine.decide('open', 'other', anon) as Decision;
    expect(Object.isFrozen(d)).toBe(true);
  });
});
