import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { EMIT_SUBJECT, MeshHeaders } from '@nest-mesh/wire';
import { encodeJson } from 'nest-mesh/internal';
import { TestProcess } from '../support/child';
import { freePort } from '../support/free-port';
import { ADAPTERS, BROKERS, get, JWT_SECRET, post, startGateway } from '../support/mesh';
import { writeConfig } from '../support/config-file';
import { describeWithNatsServer, NatsServerProcess } from '../support/nats-server';
import { signToken } from '../support/tokens';
import { until } from '../support/until';

const minute = 60_000;
/** Each waiting `big` event: 250 KiB of payload. */
const BIG = 'b'.repeat(250 * 1024);
/** Room for a few `big` events, not for ten. */
const MAX_PENDING_BYTES = 2_000_000;
const PAGE_BYTES = 1024 * 1024;

/**
 * What bounds eventing (docs/events.md): `rateLimit` on an eventing rule (429), `maxPendingBytes`
 * (503 STORE_FULL), listing pages of at most 1 MiB with a cursor, and removing events; on both
 * brokers (local store, JetStream) and both HTTP adapters.
 */
for (const kind of BROKERS) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;
  for (const adapter of ADAPTERS) {
    describeFor(`eventing limits and admin (${kind}, ${adapter})`, () => {
      let dir: string;
      let nats: NatsServerProcess | undefined;
      let gateway: { process: TestProcess; url: string; brokerUrl: string };
      let admin: string;

      beforeAll(async () => {
        dir = mkdtempSync(join(tmpdir(), 'nest-mesh-event-limits-'));
        if (kind === 'nats-server') nats = await new NatsServerProcess({ args: ['-js', '-sd', join(dir, 'js')] }).start();
        gateway = await startGateway(
          writeConfig({
            id: 'demo',
            secret: JWT_SECRET,
            port: await freePort(),
            http: { adapter },
            modules: {
              functions: { ...(nats ? { conn: nats.url } : { embedded: { host: '127.0.0.1', port: await freePort() } }), rules: {} },
              eventing: {
                enabled: true,
                store: join(dir, 'events'),
                maxPayload: 300_000,
                maxPendingBytes: MAX_PENDING_BYTES,
                // Nobody serves these functions: the events wait (or die, for `doomed`).
                triggers: {
                  big: { on: { event: 'big' }, call: { service: 'mail', func: 'big' } },
                  small: { on: { event: 'small' }, call: { service: 'mail', func: 'small' } },
                  doomed: { on: { event: 'doomed' }, call: { service: 'mail', func: 'doomed' }, retries: 0 },
                  'doomed-too': { on: { event: 'doomed.too' }, call: { service: 'mail', func: 'doomed' }, retries: 0 },
                },
                rules: {
                  limited: { rule: 'allow', rateLimit: { limit: 2, window: minute } },
                  'by.sub': { rule: 'authenticated', rateLimit: { limit: 1, window: minute, by: 'sub' } },
                  default: { rule: 'allow' },
                },
                admin: { rule: 'match', eval: '==', type: 'string', f1: 'args.auth.role', f2: 'admin' },
              },
            },
          }),
        );
        admin = await signToken({ sub: 'ops', role: 'admin' });
      });
      afterAll(async () => {
        await gateway?.process.stop();
        await nats?.stop();
        rmSync(dir, { recursive: true, force: true });
      });

      const queue = (body: unknown, headers?: Record<string, string>) => post(`${gateway.url}/v1/api/demo/eventing/queue`, body, headers);
      const events = (query: string, token = admin) => get(`${gateway.url}/v1/api/demo/eventing/events?${query}`, { Authorization: `Bearer ${token}` });
      const remove = (id: string, token: string | null = admin, query = '') =>
        fetch(`${gateway.url}/v1/api/demo/eventing/events/${id}${query}`, {
          method: 'DELETE',
          headers: token ? { Authorization: `Bearer ${token}` } : {},
          signal: AbortSignal.timeout(30_000),
        }).then(async (res) => ({ status: res.status, body: await res.json(), headers: res.headers }));

      it('counts rateLimit on an eventing rule per caller: 429 RATE_LIMITED with Retry-After, after the token check, before the rule', async () => {
        expect(await queue({ type: 'limited' })).toMatchObject({ status: 202 });
        expect(await queue({ type: 'limited' }, { Authorization: 'Bearer not.a.token' })).toMatchObject({ status: 401 });
        const second = await queue({ type: 'limited' });
        expect(second.status).toBe(202);
        expect(second.headers.get('x-ratelimit-remaining')).toBe('0');
        const over = await queue({ type: 'limited' });
        expect(over).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED', error: expect.any(String) } });
        const retryAfter = Number(over.headers.get('retry-after'));
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(60);
        expect(over.headers.get('x-request-id')).toBeTruthy();
        expect(await queue({ type: 'other' })).toMatchObject({ status: 202 }); // another entry: not limited by it

        const [ada, bob] = await Promise.all([signToken({ sub: 'ada' }), signToken({ sub: 'bob' })]);
        expect(await queue({ type: 'by.sub' }, { Authorization: `Bearer ${ada}` })).toMatchObject({ status: 202 });
        expect(await queue({ type: 'by.sub' }, { Authorization: `Bearer ${ada}` })).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED' } });
        expect(await queue({ type: 'by.sub' }, { Authorization: `Bearer ${bob}` })).toMatchObject({ status: 202 });
        // No token: counted by address, then the rule says 401; the next is over the limit.
        expect(await queue({ type: 'by.sub' })).toMatchObject({ status: 401 });
        expect(await queue({ type: 'by.sub' })).toMatchObject({ status: 429 });
      });

      it('answers 503 STORE_FULL at once past maxPendingBytes (HTTP and emit), keeps every event it accepted, lists them in pages of at most 1 MiB, and takes events again once they are removed', async () => {
        const accepted: string[] = [];
        let full: Awaited<ReturnType<typeof queue>> | undefined;
        for (let i = 0; i < 20 && !full; i++) {
          const res = await queue({ type: 'big', id: `big-${i}`, payload: BIG, delay: 10 * minute });
          if (res.status === 202) accepted.push(res.body.id);
          else full = res;
        }
        expect(full).toMatchObject({ status: 503, body: { code: 'STORE_FULL', error: expect.any(String) } });
        expect(accepted.length).toBeGreaterThanOrEqual(5);
        expect(accepted.length).toBeLessThanOrEqual(8);

        const nc = await connect({ servers: gateway.brokerUrl });
        try {
          const reply = await nc.request(EMIT_SUBJECT, encodeJson({ type: 'big', payload: BIG }), { timeout: 10_000 });
          expect(reply.headers?.get('Nats-Service-Error-Code')).toBe('503');
          expect(reply.headers?.get(MeshHeaders.errorCode)).toBe('STORE_FULL');
        } finally {
          await nc.close();
        }

        expect(await queue({ type: 'big', payload: BIG })).toMatchObject({ status: 503, body: { code: 'STORE_FULL' } });
        expect(gateway.process.output.match(/queueing answers 503 STORE_FULL/g)).toHaveLength(1); // one line, not one per event

        // Every accepted event is still there: walk the pending list, page by page.
        const listed: string[] = [];
        let pages = 0;
        let cursor: string | null = null;
        do {
          const res = await events(`status=pending&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
          expect(res.status).toBe(200);
          expect(Buffer.byteLength(res.text)).toBeLessThanOrEqual(PAGE_BYTES);
          listed.push(...res.body.events.filter((e: { type: string }) => e.type === 'big').map((e: { id: string }) => e.id));
          cursor = res.body.next;
          pages++;
        } while (cursor !== null && pages < 20);
        expect(listed).toEqual(accepted);
        expect(pages).toBeGreaterThan(1);

        for (const id of accepted) expect(await remove(id)).toMatchObject({ status: 200, body: { id, removed: 1 } });
        expect(await remove(accepted[0])).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
        // Room again (JetStream: once the gateway has read the streams' bytes again, within a second).
        await until(async () => (await queue({ type: 'big', id: 'big-after', payload: BIG, delay: 10 * minute })).status === 202, 10_000, 'stored again');
        await gateway.process.waitFor(/the event store takes events again/, 5000);
        expect(await remove('big-after', admin, '?type=big')).toMatchObject({ status: 200, body: { id: 'big-after', removed: 1 } });
      });

      it('lists with limit as plain decimal only, and refuses a cursor it did not give', async () => {
        for (const limit of ['0x10', '1e2', '+5', '16.0', '0', '1001', '']) {
          expect(await events(`status=pending&limit=${encodeURIComponent(limit)}`)).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
        }
        expect(await events('status=pending&limit=16')).toMatchObject({ status: 200, body: { events: expect.any(Array), next: null } });
        expect(await events('status=pending&cursor=not-a-cursor')).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
      });

      it('removes a pending or dead event by id (DELETE, admin only): of every type with that id, or of the type given', async () => {
        const user = await signToken({ sub: 'ada', role: 'user' });
        expect(await queue({ type: 'small', id: 'shared', delay: 10 * minute })).toMatchObject({ status: 202 });
        expect(await queue({ type: 'doomed', id: 'shared' })).toMatchObject({ status: 202 });
        expect(await queue({ type: 'doomed.too', id: 'shared' })).toMatchObject({ status: 202 });
        await until(async () => (await events('status=dead')).body.events.filter((e: { id: string }) => e.id === 'shared').length === 2, 20_000, 'two dead');
        expect(await remove('shared', null)).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
        expect(await remove('shared', user)).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
        expect(await remove('shared', admin, '?type=bad%20type')).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });

        // retry and DELETE take ?type=: only that type's event
        const retried = await post(`${gateway.url}/v1/api/demo/eventing/events/shared/retry?type=doomed`, undefined, { Authorization: `Bearer ${admin}` });
        expect(retried).toMatchObject({ status: 200, body: { id: 'shared', redriven: 1 } });
        await until(async () => (await events('status=dead')).body.events.filter((e: { id: string }) => e.id === 'shared').length === 2, 20_000, 'dead again');
        expect(await remove('shared', admin, '?type=small')).toMatchObject({ status: 200, body: { id: 'shared', removed: 1 } });
        expect((await events('status=pending')).body.events.some((e: { id: string }) => e.id === 'shared')).toBe(false);
        expect(await remove('shared')).toMatchObject({ status: 200, body: { id: 'shared', removed: 2 } });
        expect((await events('status=dead')).body.events.some((e: { id: string }) => e.id === 'shared')).toBe(false);
        expect(await remove('shared')).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
        // The id stays remembered: queueing it again within 24 hours stores nothing.
        expect(await queue({ type: 'small', id: 'shared', delay: 10 * minute })).toMatchObject({ status: 202, body: { id: 'shared' } });
        expect((await events('status=pending')).body.events.some((e: { id: string }) => e.id === 'shared')).toBe(false);
      });
    });
  }
}
