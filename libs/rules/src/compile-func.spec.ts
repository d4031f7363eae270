import { Decision, RuleArgs, RuleCaller, compileRules } from './index';

const P = 'modules.functions.rules.users.create';
const args: RuleArgs = { auth: { sub: 'u1', role: 'admin' }, params: { id: 7 } };

function fakeCaller(reply: (service: string, func: string, payload: unknown, timeoutMs: number) => Promise<unknown>) {
  const calls: { service: string; func: string; payload: unknown; timeoutMs: number }[] = [];
  const caller: RuleCaller = {
    call: (service, func, payload, timeoutMs) => {
      calls.push({ service, func, payload, timeoutMs });
      return reply(service, func, payload, timeoutMs);
    },
  };
  return { caller, calls };
}

const guard = (extra: Record<string, unknown> = {}) => ({ rule: 'func', service: 'authz', func: 'check', ...extra });

async function decide(rule: unknown, caller?: RuleCaller, a: RuleArgs = args, funcTimeoutMs?: number): Promise<Decision> {
  const result = compileRules({ users: { create: rule } }, { caller, funcTimeoutMs }).decide('users', 'create', a);
  expect(result).toBeInstanceOf(Promise);
  return result;
}

describe('func rule', () => {
  it('allows on {ack: true}, calling the guard with params, auth, service, func', async () => {
    const { caller, calls } = fakeCaller(async () => ({ ack: true }));
    await expect(decide(guard(), caller)).resolves.toEqual({ allow: true });
    expect(calls).toEqual([
      { service: 'authz', func: 'check', payload: { params: { id: 7 }, auth: { sub: 'u1', role: 'admin' }, service: 'users', func: 'create' }, timeoutMs: 5000 },
    ]);
  });

  it('calls through the caller of the decision when the rules were compiled without one (rules compiled once, with the config)', async () => {
    const { caller, calls } = fakeCaller(async () => ({ ack: true }));
    await expect(decide(guard(), undefined, { ...args, caller })).resolves.toEqual({ allow: true });
    expect(calls).toHaveLength(1);
    await expect(decide(guard(), undefined, args)).resolves.toMatchObject({ allow: false, reason: 'func rule authz.check: no mesh caller configured' });
  });

  it("hands the call's origin to the caller as is, and never puts it in the payload", async () => {
    const origins: unknown[] = [];
    const caller: RuleCaller = { call: async (_s, _f, payload, _t, origin) => (origins.push(origin, payload), { ack: true }) };
    const origin = { requestId: 'r-1' };
    await decide(guard(), caller, { ...args, origin });
    expect(origins[0]).toBe(origin);
    expect(origins[1]).not.toHaveProperty('origin');
  });

  it('sends null for absent params and auth', async () => {
    const { caller, calls } = fakeCaller(async () => ({ ack: true }));
    await decide(guard(), caller, { auth: undefined, params: undefined });
    expect(calls[0].payload).toEqual({ params: null, auth: null, service: 'users', func: 'create' });
  });

  it.each([
    ['ack false', { ack: false }],
    ['ack "true" (not the boolean)', { ack: 'true' }],
    ['no ack', {}],
    ['a string reply', 'ok'],
    ['true itself', true],
    ['null', null],
    ['an array', [{ ack: true }]],
  ])('denies 403 on %s', async (_name, reply) => {
    const { caller } = fakeCaller(async () => reply);
    await expect(decide(guard(), caller)).resolves.toMatchObject({ allow: false, status: 403, code: 'FORBIDDEN', path: P });
  });

  it('denies when the call rejects (e.g. no instance)', async () => {
    const { caller } = fakeCaller(async () => {
      throw new Error('no responders');
    });
    await expect(decide(guard(), caller)).resolves.toMatchObject({ status: 403, path: P, reason: expect.stringContaining('failed') });
  });

  it('denies when the caller throws synchronously', async () => {
    const caller: RuleCaller = {
      call: () => {
        throw new Error('boom');
      },
    };
    await expect(decide(guard(), caller)).resolves.toMatchObject({ status: 403, path: P });
  });

  it('denies after the rule timeout when the guard never answers', async () => {
    const { caller, calls } = fakeCaller(() => new Promise(() => undefined));
    const started = Date.now();
    const decision = await decide(guard({ timeout: 30 }), caller);
    expect(decision).toMatchObject({ status: 403, path: P, reason: expect.stringContaining('30 ms') });
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(calls[0].timeoutMs).toBe(30);
  });

  it('uses the configured default timeout when the rule sets none', async () => {
    const { caller, calls } = fakeCaller(() => new Promise(() => undefined));
    await expect(decide(guard(), caller, args, 20)).resolves.toMatchObject({ status: 403 });
    expect(calls[0].timeoutMs).toBe(20);
  });

  it('a reply before the timeout wins', async () => {
    const { caller } = fakeCaller(() => new Promise((resolve) => setTimeout(() => resolve({ ack: true }), 5)));
    await expect(decide(guard({ timeout: 200 }), caller)).resolves.toEqual({ allow: true });
  });

  it('a late reply after the timeout does not turn into an allow', async () => {
    const { caller } = fakeCaller(() => new Promise((resolve) => setTimeout(() => resolve({ ack: true }), 60)));
    await expect(decide(guard({ timeout: 10 }), caller)).resolves.toMatchObject({ allow: false });
    await new Promise((r) => setTimeout(r, 70));
  });

  it('denies without a caller', async () => {
    await expect(decide(guard(), undefined)).resolves.toMatchObject({ status: 403, reason: expect.stringContaining('no mesh caller') });
  });

  describe('inside and / or', () => {
    const isAdmin = { rule: 'match', eval: '==', type: 'string', f1: 'args.auth.role', f2: 'admin' };
    const isRoot = { rule: 'match', eval: '==', type: 'string', f1: 'args.auth.role', f2: 'root' };

    it('and: sync clauses run first; a sync deny skips the call and answers synchronously', () => {
      const { caller, calls } = fakeCaller(async () => ({ ack: true }));
      const engine = compileRules({ users: { create: { rule: 'and', clauses: [guard(), isRoot] } } }, { caller });
      const decision = engine.decide('users', 'create', args);
      expect(decision).not.toBeInstanceOf(Promise);
      expect(decision).toMatchObject({ status: 403, path: `${P}.clauses.1` });
      expect(calls).toHaveLength(0);
    });

    it('and: match allows, then func decides', async () => {
      const { caller, calls } = fakeCaller(async () => ({ ack: false }));
      const engine = compileRules({ users: { create: { rule: 'and', clauses: [isAdmin, guard()] } } }, { caller });
      await expect(engine.decide('users', 'create', args)).resolves.toMatchObject({ status: 403, path: `${P}.clauses.1` });
      expect(calls).toHaveLength(1);
    });

    it('and: match and func both allow', async () => {
      const { caller } = fakeCaller(async () => ({ ack: true }));
      const engine = compileRules({ users: { create: { rule: 'and', clauses: [isAdmin, guard()] } } }, { caller });
      await expect(engine.decide('users', 'create', args)).resolves.toEqual({ allow: true });
    });

    it('or: a sync allow skips the call and answers synchronously', () => {
      const { caller, calls } = fakeCaller(async () => ({ ack: false }));
      const engine = compileRules({ users: { create: { rule: 'or', clauses: [guard(), isAdmin] } } }, { caller });
      expect(engine.decide('users', 'create', args)).toEqual({ allow: true });
      expect(calls).toHaveLength(0);
    });

    it('or: sync clauses deny, func allows', async () => {
      const { caller } = fakeCaller(async () => ({ ack: true }));
      const engine = compileRules({ users: { create: { rule: 'or', clauses: [isRoot, guard()] } } }, { caller });
      await expect(engine.decide('users', 'create', args)).resolves.toEqual({ allow: true });
    });

    it('or: everything denies (401 when a clause wanted a token)', async () => {
      const { caller } = fakeCaller(async () => ({ ack: false }));
      const engine = compileRules({ users: { create: { rule: 'or', clauses: [{ rule: 'authenticated' }, guard()] } } }, { caller });
      await expect(engine.decide('users', 'create', { auth: undefined, params: null })).resolves.toMatchObject({ status: 401, path: P });
      expect(engine.decide('users', 'create', args)).toEqual({ allow: true }); // the token settles it synchronously
    });

    it('nested: a func-bearing clause that settles without the call answers synchronously', async () => {
      const { caller, calls } = fakeCaller(async () => ({ ack: true }));
      const rule = { rule: 'and', clauses: [{ rule: 'authenticated' }, { rule: 'or', clauses: [isRoot, guard()] }] };
      const engine = compileRules({ users: { create: { rule: 'or', clauses: [isAdmin, rule] } } }, { caller });
      expect(engine.decide('users', 'create', args)).toEqual({ allow: true });
      const inner = compileRules({ users: { create: { rule: 'and', clauses: [{ rule: 'or', clauses: [isAdmin, guard()] }, isAdmin] } } }, { caller });
      expect(inner.decide('users', 'create', args)).toEqual({ allow: true });
      expect(inner.decide('users', 'create', { auth: undefined, params: null })).toMatchObject({ status: 401, path: `${P}.clauses.1` });
      expect(calls).toHaveLength(0);
      const reached = inner.decide('users', 'create', { auth: { role: 'user' }, params: null });
      expect(reached).toMatchObject({ status: 403, path: `${P}.clauses.1` }); // sync clause denies first
      const viaFunc = compileRules({ users: { create: { rule: 'and', clauses: [{ rule: 'or', clauses: [isRoot, guard()] }] } } }, { caller });
      const pending = viaFunc.decide('users', 'create', args);
      expect(pending).toBeInstanceOf(Promise);
      await expect(pending).resolves.toEqual({ allow: true });
      expect(calls).toHaveLength(1);
    });

    it('nested: or(and(match, func), func) with two guards', async () => {
      const { caller, calls } = fakeCaller(async (_s, func) => ({ ack: func === 'second' }));
      const rule = {
        rule: 'or',
        clauses: [{ rule: 'and', clauses: [isAdmin, guard({ func: 'first' })] }, guard({ func: 'second' })],
      };
      const engine = compileRules({ users: { create: rule } }, { caller });
      await expect(engine.decide('users', 'create', args)).resolves.toEqual({ allow: true });
      expect(calls.map((c) => c.func)).toEqual(['first', 'second']);
    });
  });
});
