import { describeWithNatsServer } from '../support/nats-server';
import { TestProcess } from '../support/child';
import { writeConfig } from '../support/config-file';
import { freePort } from '../support/free-port';
import { ADAPTERS, BROKERS, GATEWAY_MAIN, Mesh, startMesh } from '../support/mesh';
import { signToken } from '../support/tokens';

/**
 * Rate limits per rule entry (429 RATE_LIMITED), maxInFlight (503 OVERLOADED) and trustProxy
 * (docs/operations.md), on both adapters and both brokers.
 */

const ALLOWED = 'http://localhost:3000';
const minute = 60_000;
/** How long the calls that fill maxInFlight take: seconds more than it takes them to get under way. */
const SLOW_MS = 2500;

const sign = (sub: string) => signToken({ sub });

const rules = {
  test: {
    echo: { rule: 'allow', rateLimit: { limit: 3, window: minute } },
    whoami: { rule: 'authenticated', rateLimit: { limit: 2, window: minute, by: 'sub' } },
    nothing: { rule: 'deny', rateLimit: { limit: 1, window: minute } },
    relay: { rule: 'allow', rateLimit: { limit: 1, window: minute } },
    sleep: { rule: 'allow' },
    // Functions nobody serves: the call is answered 503 at once, after the limit was counted.
    default: { rule: 'allow', rateLimit: { limit: 2, window: minute } },
  },
};

function expectRateLimited(res: { status: number; body: any; headers: Headers }, limit: number): void {
  expect(res.status).toBe(429);
  expect(res.body).toEqual({ error: expect.any(String), code: 'RATE_LIMITED' });
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(res.headers.get('x-ratelimit-limit')).toBe(String(limit));
  expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
  expect(res.headers.get('x-request-id')).toBeTruthy();
}

for (const kind of BROKERS) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;
  for (const adapter of ADAPTERS) {
    describeFor(`rate limits and overload (${kind}, ${adapter})`, () => {
      let mesh: Mesh;
      beforeAll(async () => {
        mesh = await startMesh(kind, {
          adapter,
          rules,
          config: { http: { adapter, cors: { origins: [ALLOWED] } } },
          functions: { maxInFlight: 2 },
        });
      });
      afterAll(() => mesh?.stop());

      it('counts calls per client address; X-Forwarded-For without trustProxy does not change the bucket', async () => {
        for (let i = 0; i < 3; i++) {
          const res = await mesh.call('/v1/api/demo/functions/test/echo', { params: i }, { 'X-Forwarded-For': `10.0.0.${i}` });
          expect(res).toMatchObject({ status: 200, body: { result: i } });
          expect(res.headers.get('x-ratelimit-limit')).toBe('3');
          expect(res.headers.get('x-ratelimit-remaining')).toBe(String(2 - i));
        }
        const over = await mesh.call('/v1/api/demo/functions/test/echo', { params: 3 }, { 'X-Forwarded-For': '10.9.9.9', Origin: ALLOWED });
        expectRateLimited(over, 3);
        // The browser may read Retry-After: the 429 carries the CORS headers.
        expect(over.headers.get('access-control-allow-origin')).toBe(ALLOWED);
        expect(over.headers.get('access-control-expose-headers')).toMatch(/retry-after/i);
        // Other functions are not limited by it.
        expect((await mesh.call('/v1/api/demo/functions/test/sleep', { params: { ms: 0 } })).status).toBe(200);
      });

      it('by sub: counts per verified token subject; without a token, per address', async () => {
        const [ada, bob] = await Promise.all([sign('ada'), sign('bob')]);
        for (let i = 0; i < 2; i++) {
          expect((await mesh.call('/v1/api/demo/functions/test/whoami', {}, { Authorization: `Bearer ${ada}` })).status).toBe(200);
        }
        expectRateLimited(await mesh.call('/v1/api/demo/functions/test/whoami', {}, { Authorization: `Bearer ${ada}` }), 2);
        expect((await mesh.call('/v1/api/demo/functions/test/whoami', {}, { Authorization: `Bearer ${bob}` })).status).toBe(200);
        // No token: counted by address before the rule answers 401, so the third is 429.
        expect((await mesh.call('/v1/api/demo/functions/test/whoami', {})).status).toBe(401);
        expect((await mesh.call('/v1/api/demo/functions/test/whoami', {})).status).toBe(401);
        expectRateLimited(await mesh.call('/v1/api/demo/functions/test/whoami', {}), 2);
      });

      it('counts after the token is verified (a bad token is 401 and not counted) and before the rule runs', async () => {
        for (let i = 0; i < 3; i++) {
          const res = await mesh.call('/v1/api/demo/functions/test/relay', {}, { Authorization: 'Bearer not.a.token' });
          expect(res).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
          expect(res.headers.get('x-ratelimit-limit')).toBeNull();
        }
        expect((await mesh.call('/v1/api/demo/functions/test/relay', {})).status).toBe(200);
        expectRateLimited(await mesh.call('/v1/api/demo/functions/test/relay', {}), 1);
        // A deny rule with a limit: the first call is counted and denied, the next is over the limit.
        expect(await mesh.call('/v1/api/demo/functions/test/nothing', {})).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
        expectRateLimited(await mesh.call('/v1/api/demo/functions/test/nothing', {}), 1);
      });

      it('a default entry limits all the functions it covers together', async () => {
        expect((await mesh.call('/v1/api/demo/functions/test/ghost1', {})).body.code).toBe('SERVICE_UNAVAILABLE');
        expect((await mesh.call('/v1/api/demo/functions/test/ghost2', {})).body.code).toBe('SERVICE_UNAVAILABLE');
        expectRateLimited(await mesh.call('/v1/api/demo/functions/test/ghost3', {}), 2);
      });

      it('beyond maxInFlight answers 503 OVERLOADED with Retry-After at once, and serves again when calls finish', async () => {
        const slow = [1, 2].map(() => mesh.call('/v1/api/demo/functions/test/sleep', { params: { ms: SLOW_MS } }));
        // Probe until both slow calls are under way (bounded, and ending well before they do), then
        // check how fast the refusal came.
        let refused: Awaited<ReturnType<Mesh['call']>> | undefined;
        let refusedIn = 0;
        const until = Date.now() + SLOW_MS - 500;
        while (refused === undefined && Date.now() < until) {
          const started = Date.now();
          const res = await mesh.call('/v1/api/demo/functions/test/sleep', { params: { ms: 0 } }, { Origin: ALLOWED });
          if (res.status === 503) {
            refused = res;
            refusedIn = Date.now() - started;
          } else {
            expect(res.status).toBe(200);
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
        expect(refused).toBeDefined();
        expect(refused!.body).toEqual({ error: expect.any(String), code: 'OVERLOADED' });
        expect(refused!.headers.get('retry-after')).toBe('1');
        expect(refused!.headers.get('x-request-id')).toBeTruthy();
        expect(refused!.headers.get('access-control-allow-origin')).toBe(ALLOWED);
        expect(refusedIn).toBeLessThan(2000);
        for (const res of await Promise.all(slow)) expect(res.status).toBe(200);
        // The count went back down: two calls at once are served again.
        const again = await Promise.all([1, 2].map(() => mesh.call('/v1/api/demo/functions/test/sleep', { params: { ms: 10 } })));
        expect(again.map((res) => res.status)).toEqual([200, 200]);
      });
    });
  }
}

for (const adapter of ADAPTERS) {
  describe(`trustProxy (embedded, ${adapter})`, () => {
    const meshes: Mesh[] = [];
    let byHop: Mesh;
    let byHops: Mesh;
    let byList: Mesh;
    const limited = { test: { default: { rule: 'allow', rateLimit: { limit: 1, window: minute } } } };
    beforeAll(async () => {
      [byHop, byHops, byList] = await Promise.all([
        startMesh('embedded', { adapter, rules: limited, services: 0, config: { http: { adapter, trustProxy: 1 } } }),
        startMesh('embedded', { adapter, rules: limited, services: 0, config: { http: { adapter, trustProxy: 2 } } }),
        startMesh('embedded', { adapter, rules: limited, services: 0, config: { http: { adapter, trustProxy: ['127.0.0.1', '::1', '10.0.0.0/8'] } } }),
      ]);
      meshes.push(byHop, byHops, byList);
    });
    afterAll(async () => {
      for (const mesh of meshes) await mesh.stop();
    });

    const call = (mesh: Mesh, forwardedFor: string) => mesh.call('/v1/api/demo/functions/test/ghost', {}, { 'X-Forwarded-For': forwardedFor });

    it('true is refused at start-up, naming http.trustProxy and the fix (the client writes the leftmost entry)', async () => {
      const config = writeConfig({ id: 'demo', port: await freePort(), http: { adapter, trustProxy: true }, modules: { functions: { enabled: false } } });
      const { code, output } = await TestProcess.run('gateway', process.execPath, [GATEWAY_MAIN, '--config', config]);
      expect([code, output.trim().split('\n')]).toEqual([
        1,
        [expect.stringMatching(/^nest-mesh gateway: config: http\.trustProxy: true takes the client address from the leftmost X-Forwarded-For entry, .*give the number of proxies in front of the gateway/)],
      ]);
    });

    it('1: the entry the nearest proxy added (the rightmost); what the client wrote before it does not matter', async () => {
      expect((await call(byHop, '203.0.113.9, 198.51.100.1')).status).toBe(503);
      // Same last hop, another (spoofable) first entry: the same client.
      expect((await call(byHop, '10.1.1.1, 198.51.100.1')).status).toBe(429);
      expect((await call(byHop, '198.51.100.1, 203.0.113.9')).status).toBe(503);
      expect((await call(byHop, '203.0.113.9, 198.51.100.2')).status).toBe(503);
    });

    it('2: the entry added by the proxy behind the nearest one', async () => {
      expect((await call(byHops, '203.0.113.9, 198.51.100.1, 10.0.0.1')).status).toBe(503);
      expect((await call(byHops, '1.2.3.4, 198.51.100.1, 10.0.0.2')).status).toBe(429);
      expect((await call(byHops, '198.51.100.1, 10.0.0.3, 10.0.0.1')).status).toBe(503);
      // Fewer entries than hops: the leftmost one.
      expect((await call(byHops, '198.51.100.9')).status).toBe(503);
      expect((await call(byHops, '198.51.100.9')).status).toBe(429);
    });

    it('a list of proxies: the nearest address that is not one of them', async () => {
      expect((await call(byList, '203.0.113.7, 198.51.100.5, 10.1.2.3')).status).toBe(503);
      // 10.x are trusted proxies: the client is still 198.51.100.5, whatever comes before it.
      expect((await call(byList, '1.2.3.4, 198.51.100.5, 10.9.9.9')).status).toBe(429);
      expect((await call(byList, '198.51.100.6')).status).toBe(503);
    });
  });
}
