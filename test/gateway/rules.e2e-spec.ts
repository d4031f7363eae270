import { decodeJwt } from 'jose';
import { describeWithNatsServer } from '../support/nats-server';
import { BROKERS, Mesh, startMesh } from '../support/mesh';
import { signToken } from '../support/tokens';

/** Rules and tokens at the gateway (docs/rules.md, docs/protocol.md), through real processes. */


const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

// Both brokers, and the fastify adapter too: the guards read the same request on both adapters.
const variants = [...BROKERS.map((kind) => ({ kind, adapter: 'express' as const })), { kind: 'embedded' as const, adapter: 'fastify' as const }];

for (const { kind, adapter } of variants) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;

  describeFor(`rules and tokens at the gateway (${kind}, ${adapter})`, () => {
    let mesh: Mesh;
    let adminToken: string;
    let userToken: string;

    beforeAll(async () => {
      adminToken = await signToken({ sub: 'ada', role: 'admin', teams: ['red'] });
      userToken = await signToken({ sub: 'bob', role: 'user', teams: ['red', 'blue'] });
      const guard = { rule: 'func', service: 'guard', func: 'check' };
      const isAdmin = { rule: 'match', eval: '==', type: 'string', f1: 'args.auth.role', f2: 'admin' };
      mesh = await startMesh(kind, {
        adapter,
        rules: {
          test: { echo: { rule: 'allow' }, whoami: { rule: 'authenticated' }, relay: { rule: 'authenticated' } },
          guard: { seen: { rule: 'allow' }, check: { rule: 'deny' } },
          gated: {
            checked: guard,
            quick: { ...guard, timeout: 200 },
            orphan: { rule: 'func', service: 'nobody', func: 'check' },
            admin: isAdmin,
            amount: { rule: 'match', eval: '>=', type: 'number', f1: 'args.params.order.amount', f2: 100 },
            member: { rule: 'match', eval: 'in', type: 'string', f1: 'args.params.team', f2: 'args.auth.teams' },
            layered: { rule: 'and', clauses: [{ rule: 'authenticated' }, { rule: 'or', clauses: [isAdmin, guard] }] },
          },
        },
        functions: { ruleTimeout: 1000 },
      });
    });
    afterAll(() => mesh?.stop());

    const fn = (service: string, func: string) => `/v1/api/demo/functions/${service}/${func}`;
    const seen = async (tag: string) => (await mesh.call(fn('guard', 'seen'), { params: { tag } })).body.result;

    describe('func rule', () => {
      it('allows when the guard replies {ack: true}', async () => {
        const res = await mesh.call(fn('gated', 'checked'), { params: { guard: 'yes' } });
        expect(res).toMatchObject({ status: 200, body: { result: { func: 'checked', auth: null } } });
      });

      it('denies with 403 when the guard replies {ack: false} or anything but {ack: true}', async () => {
        for (const params of [{ guard: 'no' }, { guard: 'truthy' }, null]) {
          const res = await mesh.call(fn('gated', 'checked'), { params });
          expect(res).toMatchObject({ status: 403, body: { code: 'FORBIDDEN', error: 'access denied' } });
        }
      });

      it('denies with 403 when the guard throws', async () => {
        const res = await mesh.call(fn('gated', 'checked'), { params: { guard: 'throw' } });
        expect(res).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
        expect(JSON.stringify(res.body)).not.toMatch(/guard failed|GUARD_FAILED/);
      });

      it('denies with 403 at once when no instance serves the guard', async () => {
        const started = Date.now();
        const res = await mesh.call(fn('gated', 'orphan'), {});
        expect(res).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
        expect(Date.now() - started).toBeLessThan(900);
      });

      it('denies with 403 when the guard does not answer within ruleTimeout', async () => {
        const started = Date.now();
        const res = await mesh.call(fn('gated', 'checked'), { params: { guard: 'sleep', ms: 4000 } });
        const elapsed = Date.now() - started;
        expect(res).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
        expect(elapsed).toBeGreaterThanOrEqual(950);
        expect(elapsed).toBeLessThan(3000);
      });

      it('denies with 403 when the guard does not answer within the rule own timeout', async () => {
        const started = Date.now();
        const res = await mesh.call(fn('gated', 'quick'), { params: { guard: 'sleep', ms: 4000 } });
        const elapsed = Date.now() - started;
        expect(res).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
        expect(elapsed).toBeGreaterThanOrEqual(180);
        expect(elapsed).toBeLessThan(900);
      });

      it('sends the guard {params, auth, service, func}', async () => {
        const tag = `payload-${kind}`;
        const params = { guard: 'yes', tag, list: [1, 'two', null], nested: { deep: true } };
        const res = await mesh.call(fn('gated', 'checked'), { params }, bearer(userToken));
        expect(res.status).toBe(200);
        expect(await seen(tag)).toEqual({ params, auth: decodeJwt(userToken), service: 'gated', func: 'checked' });

        const anonymous = `anonymous-${kind}`;
        await mesh.call(fn('gated', 'checked'), { params: { guard: 'no', tag: anonymous } });
        expect(await seen(anonymous)).toEqual({ params: { guard: 'no', tag: anonymous }, auth: null, service: 'gated', func: 'checked' });
      });

      it('cannot be called through the gateway when its own rule denies', async () => {
        const res = await mesh.call(fn('guard', 'check'), { params: { guard: 'yes' } });
        expect(res).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
      });
    });

    describe('authenticated rule and tokens', () => {
      it('allows a valid HS256 token', async () => {
        const res = await mesh.call(fn('test', 'whoami'), {}, bearer(userToken));
        expect(res.status).toBe(200);
        expect(res.body.result.auth).toEqual(decodeJwt(userToken));
      });

      it('answers 401 UNAUTHENTICATED without a token', async () => {
        const res = await mesh.call(fn('test', 'whoami'), {});
        expect(res).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
      });

      const badHeaders: [string, () => Promise<string>][] = [
        ['an expired token', async () => `Bearer ${await signToken({ sub: 'ada' }, { expiresIn: Math.floor(Date.now() / 1000) - 60 })}`],
        ['a bad signature', async () => `Bearer ${await signToken({ sub: 'ada' }, { secret: 'another-secret-of-at-least-32-bytes!!' })}`],
        ['a tampered payload', async () => {
          const [header, , signature] = (await signToken({ sub: 'bob', role: 'user' })).split('.');
          return `Bearer ${header}.${base64url({ sub: 'bob', role: 'admin', exp: Math.floor(Date.now() / 1000) + 600 })}.${signature}`;
        }],
        ['alg none', async () => `Bearer ${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'ada', role: 'admin' })}.`],
        ['garbage', async () => 'Bearer not-a-jwt'],
        ['three garbage parts', async () => 'Bearer aaa.bbb.ccc'],
        ['an empty token', async () => 'Bearer '],
        ['no "Bearer " prefix', async () => await signToken({ sub: 'ada' })],
        ['another scheme', async () => `Basic ${Buffer.from('ada:pw').toString('base64')}`],
      ];

      it.each(badHeaders)('answers 401 for %s', async (_, header) => {
        const authorization = await header();
        const res = await mesh.call(fn('test', 'whoami'), {}, { Authorization: authorization });
        expect(res).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED', error: 'invalid token' } });
        expect(res.headers.get('x-request-id')).toBeTruthy();
      });

      it('verifies a token sent to an allow function: a bad one is 401', async () => {
        expect((await mesh.call(fn('test', 'echo'), { params: 1 })).status).toBe(200);
        expect((await mesh.call(fn('test', 'echo'), { params: 1 }, bearer(userToken))).status).toBe(200);
        for (const [, header] of badHeaders) {
          const res = await mesh.call(fn('test', 'echo'), { params: 1 }, { Authorization: await header() });
          expect(res).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
        }
      });

      it('gives the function the verified claims in ctx.auth, never the token', async () => {
        const res = await mesh.call(fn('test', 'whoami'), {}, bearer(adminToken));
        expect(res.status).toBe(200);
        expect(res.body.result.auth).toEqual(decodeJwt(adminToken));
        expect(res.body.result.auth).toMatchObject({ sub: 'ada', role: 'admin', teams: ['red'] });
        const text = JSON.stringify(res.body);
        for (const part of adminToken.split('.')) expect(text).not.toContain(part);
      });

      it('passes the auth, the request id and the deadline on when a function calls another', async () => {
        const before = Date.now();
        const res = await mesh.call(fn('test', 'relay'), { timeout: 5000 }, { ...bearer(userToken), 'X-Request-Id': `relay-${kind}` });
        expect(res.status).toBe(200);
        const { caller, callee } = res.body.result;
        expect(caller).toMatchObject({ func: 'relay', requestId: `relay-${kind}`, auth: decodeJwt(userToken) });
        expect(callee).toMatchObject({ func: 'whoami', requestId: `relay-${kind}`, auth: decodeJwt(userToken) });
        expect(caller.deadline).toBeLessThanOrEqual(before + 5000 + 50);
        expect(callee.deadline).toBeLessThanOrEqual(caller.deadline);
        expect(callee.deadline).toBeGreaterThan(before);
      });
    });

    describe('match, and, or', () => {
      it('matches on args.auth.role: no token 401, another role 403, the role 200', async () => {
        expect(await mesh.call(fn('gated', 'admin'), {})).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
        expect(await mesh.call(fn('gated', 'admin'), {}, bearer(userToken))).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
        const res = await mesh.call(fn('gated', 'admin'), {}, bearer(adminToken));
        expect(res).toMatchObject({ status: 200, body: { result: { func: 'admin', auth: { sub: 'ada' } } } });
      });

      it('matches on args.params (with number coercion)', async () => {
        const call = (params: unknown) => mesh.call(fn('gated', 'amount'), { params });
        expect((await call({ order: { amount: 150 } })).status).toBe(200);
        expect((await call({ order: { amount: '100' } })).status).toBe(200);
        expect(await call({ order: { amount: 99.5 } })).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
        expect((await call({ order: { amount: 'lots' } })).status).toBe(403);
        expect((await call({ order: {} })).status).toBe(403);
        expect((await call(null)).status).toBe(403);
      });

      it('matches a param against a list claim', async () => {
        expect((await mesh.call(fn('gated', 'member'), { params: { team: 'blue' } }, bearer(userToken))).status).toBe(200);
        expect((await mesh.call(fn('gated', 'member'), { params: { team: 'blue' } }, bearer(adminToken))).status).toBe(403);
        expect((await mesh.call(fn('gated', 'member'), { params: { team: 'blue' } })).status).toBe(401);
      });

      it('nests or inside and: no token 401; admin allowed without asking the guard; others as the guard says', async () => {
        expect(await mesh.call(fn('gated', 'layered'), { params: { guard: 'yes' } })).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });

        const adminTag = `layered-admin-${kind}`;
        const admin = await mesh.call(fn('gated', 'layered'), { params: { guard: 'no', tag: adminTag } }, bearer(adminToken));
        expect(admin.status).toBe(200);
        expect(await seen(adminTag)).toBeNull();

        const userTag = `layered-user-${kind}`;
        const allowed = await mesh.call(fn('gated', 'layered'), { params: { guard: 'yes', tag: userTag } }, bearer(userToken));
        expect(allowed).toMatchObject({ status: 200, body: { result: { func: 'layered', auth: { sub: 'bob' } } } });
        expect(await seen(userTag)).toMatchObject({ service: 'gated', func: 'layered', auth: { sub: 'bob', role: 'user' } });

        const denied = await mesh.call(fn('gated', 'layered'), { params: { guard: 'no' } }, bearer(userToken));
        expect(denied).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
      });
    });
  });
}
