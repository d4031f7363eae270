import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestProcess } from '../support/child';
import { freePort } from '../support/free-port';
import { ADAPTERS, post, startGateway } from '../support/mesh';
import { writeConfig } from '../support/config-file';
import { describeWithRedis, REDIS_URL } from '../support/redis';

/**
 * `modules.functions.rateLimitStore: redis://...`: gateways share their counts; while Redis is down
 * calls go on, limited in each gateway's memory, with one warning line. The functions called are
 * served by nobody (503 at once): the limit is counted before the call is made. Eventing rules'
 * rate limits are kept in the same store.
 */

const rules = { test: { ghost: { rule: 'allow', rateLimit: { limit: 3, window: 60_000 } } } };
const eventRules = { shared: { rule: 'allow', rateLimit: { limit: 2, window: 60_000 } } };
const stores = mkdtempSync(join(tmpdir(), 'nest-mesh-rl-events-'));
afterAll(() => rmSync(stores, { recursive: true, force: true }));

async function gateway(project: string, adapter: string, store: string): Promise<{ process: TestProcess; url: string }> {
  return startGateway(
    writeConfig({
      id: project,
      port: await freePort(),
      http: { adapter },
      modules: {
        functions: { embedded: { host: '127.0.0.1', port: await freePort() }, rateLimitStore: store, rules },
        eventing: { enabled: true, store: mkdtempSync(join(stores, 'events-')), rules: eventRules },
      },
    }),
  );
}

for (const adapter of ADAPTERS) {
  describeWithRedis(`the Redis rate limit store (${adapter})`, () => {
    const started: TestProcess[] = [];
    afterAll(async () => {
      for (const proc of started) await proc.stop();
    });

    it('shares the counts of one project between gateways', async () => {
      // A project id of its own: the keys of parallel runs never meet.
      const project = `rl-${randomBytes(6).toString('hex')}`;
      const [one, two] = await Promise.all([gateway(project, adapter, REDIS_URL), gateway(project, adapter, REDIS_URL)]);
      started.push(one.process, two.process);
      const call = (url: string) => post(`${url}/v1/api/${project}/functions/test/ghost`, {}, {}, 15_000);
      // Until a gateway is connected to Redis it counts in memory: wait (bounded) for both.
      await Promise.all([one.process.waitFor(/rate limit store \S+ connected/, 15_000), two.process.waitFor(/rate limit store \S+ connected/, 15_000)]);
      const statuses = [await call(one.url), await call(two.url), await call(one.url)].map((res) => res.status);
      expect(statuses).toEqual([503, 503, 503]);
      const over = await call(two.url);
      expect(over.status).toBe(429);
      expect(over.body.code).toBe('RATE_LIMITED');
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await call(one.url)).status).toBe(429);
      // An eventing rule's limit is shared the same way.
      const queue = (url: string) => post(`${url}/v1/api/${project}/eventing/queue`, { type: 'shared' }, {}, 15_000);
      expect([(await queue(one.url)).status, (await queue(two.url)).status]).toEqual([202, 202]);
      expect(await queue(one.url)).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED' } });
      // Another project on the same Redis has counts of its own.
      const otherProject = `rl-${randomBytes(6).toString('hex')}`;
      const other = await gateway(otherProject, adapter, REDIS_URL);
      started.push(other.process);
      await other.process.waitFor(/rate limit store \S+ connected/, 15_000);
      expect((await post(`${other.url}/v1/api/${otherProject}/functions/test/ghost`, {}, {}, 15_000)).status).toBe(503);
    });

    it('while Redis is down: calls go on, limited in memory, with one warning line', async () => {
      const project = `rl-${randomBytes(6).toString('hex')}`;
      const down = `redis://127.0.0.1:${await freePort()}`;
      const g = await gateway(project, adapter, down);
      started.push(g.process);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const begun = Date.now();
        statuses.push((await post(`${g.url}/v1/api/${project}/functions/test/ghost`, {}, {}, 15_000)).status);
        expect(Date.now() - begun).toBeLessThan(3000);
      }
      expect(statuses).toEqual([503, 503, 503, 429, 429, 429]);
      // ioredis keeps retrying in the background; the log says it once.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(g.process.output.match(/rate limit store .* unreachable/g)).toHaveLength(1);
      expect(g.process.running).toBe(true);
      // Readiness does not depend on the rate-limit store: the gateway still serves.
      const ready = await fetch(`${g.url}/readyz`, { signal: AbortSignal.timeout(10_000) });
      expect(ready.status).toBe(200);
    });
  });
}
