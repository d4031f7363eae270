import { RuleConfigError, compileRules } from './index';

const R = 'modules.functions.rules';
const limited = (rateLimit: unknown, rule: Record<string, unknown> = { rule: 'allow' }) => ({ users: { create: { ...rule, rateLimit } } });

describe('rateLimit on a rule entry', () => {
  it('is compiled with the entry and found by entryOf, also through default entries', () => {
    const engine = compileRules({
      users: { create: { rule: 'allow', rateLimit: { limit: 10, window: 60000, by: 'sub' } }, list: { rule: 'allow' } },
      orders: { default: { rule: 'authenticated', rateLimit: { limit: 5, window: 1000 } } },
      default: { default: { rule: 'deny', rateLimit: { limit: 1, window: 2000, by: 'ip' } } },
    });
    expect(engine.entryOf('users', 'create')?.rateLimit).toEqual({ limit: 10, window: 60000, by: 'sub', path: `${R}.users.create` });
    expect(engine.entryOf('users', 'list')?.rateLimit).toBeUndefined();
    expect(engine.entryOf('orders', 'any')?.rateLimit).toEqual({ limit: 5, window: 1000, by: 'ip', path: `${R}.orders.default` });
    expect(engine.entryOf('other', 'x')?.rateLimit?.path).toBe(`${R}.default.default`);
    expect(engine.rateLimits.map((limit) => limit.path)).toEqual([`${R}.users.create`, `${R}.orders.default`, `${R}.default.default`]);
    // The same frozen object on every lookup: a gateway keys its limiter by it.
    expect(engine.entryOf('orders', 'a')?.rateLimit).toBe(engine.entryOf('orders', 'b')?.rateLimit);
    expect(Object.isFrozen(engine.rateLimits[0])).toBe(true);
  });

  it('leaves the decision alone', () => {
    const engine = compileRules(limited({ limit: 1, window: 1000 }, { rule: 'authenticated' }));
    const entry = engine.entryOf('users', 'create');
    expect(engine.decideEntry(entry, 'users', 'create', { auth: { sub: 'a' }, params: null })).toEqual({ allow: true });
    expect(engine.decide('users', 'create', { auth: undefined, params: null })).toMatchObject({ allow: false, status: 401 });
    expect(engine.decideEntry(undefined, 'x', 'y', { auth: undefined, params: null })).toMatchObject({ allow: false, status: 403, path: '(none)' });
  });

  const bad: [string, unknown, string][] = [
    ['not an object', 10, `${R}.users.create.rateLimit: must be an object {limit, window, by}`],
    ['limit zero', { limit: 0, window: 1000 }, `${R}.users.create.rateLimit.limit: must be a whole number of calls >= 1, not 0`],
    ['limit negative', { limit: -5, window: 1000 }, `${R}.users.create.rateLimit.limit: must be a whole number of calls >= 1, not -5`],
    ['limit not an integer', { limit: 2.5, window: 1000 }, `${R}.users.create.rateLimit.limit: must be a whole number of calls >= 1, not 2.5`],
    ['limit a string', { limit: '10', window: 1000 }, `${R}.users.create.rateLimit.limit: must be a whole number of calls >= 1, not "10"`],
    ['limit missing', { window: 1000 }, `${R}.users.create.rateLimit.limit: required`],
    ['window zero', { limit: 1, window: 0 }, `${R}.users.create.rateLimit.window: must be milliseconds in whole seconds (1000, 60000, ...), not 0`],
    ['window negative', { limit: 1, window: -1000 }, `${R}.users.create.rateLimit.window: must be milliseconds in whole seconds (1000, 60000, ...), not -1000`],
    ['window not an integer', { limit: 1, window: 1000.5 }, `${R}.users.create.rateLimit.window: must be milliseconds in whole seconds (1000, 60000, ...), not 1000.5`],
    ['window not whole seconds', { limit: 1, window: 1500 }, `${R}.users.create.rateLimit.window: must be milliseconds in whole seconds (1000, 60000, ...), not 1500`],
    ['window missing', { limit: 1 }, `${R}.users.create.rateLimit.window: required`],
    ['unknown by', { limit: 1, window: 1000, by: 'user' }, `${R}.users.create.rateLimit.by: must be "ip" or "sub", not "user"`],
    ['unknown key', { limit: 1, window: 1000, burst: 2 }, `${R}.users.create.rateLimit.burst: unknown key in a rateLimit`],
  ];
  it.each(bad)('%s is a config error naming the path', (_, rateLimit, message) => {
    expect(() => compileRules(limited(rateLimit))).toThrow(RuleConfigError);
    expect(() => compileRules(limited(rateLimit))).toThrow(message);
  });

  it('is not allowed inside clauses', () => {
    const rules = { users: { create: { rule: 'and', clauses: [{ rule: 'allow', rateLimit: { limit: 1, window: 1000 } }] } } };
    expect(() => compileRules(rules)).toThrow(`${R}.users.create.clauses.0.rateLimit: unknown key in a "allow" rule`);
  });
});
