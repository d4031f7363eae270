import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeshError } from 'nest-mesh';
import { TestProcess } from '../support/child';
import { freePort } from '../support/free-port';
import { BROKERS, get, JWT_SECRET, post, startGateway } from '../support/mesh';
import { writeConfig } from '../support/config-file';
import { signToken } from '../support/tokens';
import { NatsServerProcess } from '../support/nats-server';
import { until } from '../support/until';
import { EventService } from './event-service';



/**
 * A claimed delivery is leased for the longest trigger timeout (functions.timeout.default for the
 * triggers without one) plus 5 s: the kill -9 tests wait for it. Short timeouts here make that wait
 * 8 s instead of 15 s; HANG_TIMEOUT still leaves seconds between the `hang` call being seen and the kill.
 */
const DEFAULT_TIMEOUT = 2000;
const HANG_TIMEOUT = 3000;

/**
 * The gateway with eventing, on both brokers: the embedded one (events in the local-disk store) and
 * a nats-server with JetStream given as `conn` (events in JetStream).
 */
describe.each(BROKERS)('eventing through the gateway (%s)', (kind) => {
  let nats: NatsServerProcess | undefined;
  let dir: string;
  let brokerPort: number;
  let configPath: string;
  let gateway: { process: TestProcess; url: string; brokerUrl: string };
  let service: EventService;
  let failNext = 0;
  let admin: string;

  const config = async () => ({
    id: 'demo',
    secret: JWT_SECRET,
    port: await freePort(),
    modules: {
      functions: {
        ...(nats ? { conn: nats.url } : { embedded: { host: '127.0.0.1', port: brokerPort } }),
        timeout: { default: DEFAULT_TIMEOUT, max: 60_000 },
        rules: {},
      },
      eventing: {
        enabled: true,
        store: join(dir, 'events'),
        maxPayload: 1000,
        triggers: {
          welcome: { on: { event: 'user.signup' }, call: { service: 'mail', func: 'welcome' }, retries: 3, backoff: [100, 200] },
          broken: { on: { event: 'always.fails' }, call: { service: 'mail', func: 'broken' }, retries: 2, backoff: [100] },
          refused: { on: { event: 'refused' }, call: { service: 'mail', func: 'refuse' }, retries: 5, backoff: [100] },
          slow: { on: { event: 'slow' }, call: { service: 'mail', func: 'silent' }, retries: 1, backoff: [100], timeout: 400 },
          orphan: { on: { event: 'orphan' }, call: { service: 'mail', func: 'nobody' }, retries: 50, backoff: [200] },
          hang: { on: { event: 'hang' }, call: { service: 'mail', func: 'hang' }, timeout: HANG_TIMEOUT },
          tick: { on: { schedule: '* * * * * *', timezone: 'UTC' }, call: { service: 'mail', func: 'tick' } },
          every2: { on: { schedule: '*/2 * * * * *', timezone: 'UTC' }, call: { service: 'mail', func: 'every2' } },
          'on-x': { on: { event: 'x' }, call: { service: 'mail', func: 'onx' } },
        },
        rules: {
          'user.signup': { rule: 'allow' },
          'always.fails': { rule: 'allow' },
          refused: { rule: 'allow' },
          slow: { rule: 'allow' },
          orphan: { rule: 'allow' },
          hang: { rule: 'allow' },
          'members.only': { rule: 'authenticated' },
          x: { rule: 'authenticated' },
        },
        admin: { rule: 'match', eval: '==', type: 'string', f1: 'args.auth.role', f2: 'admin' },
      },
    },
  });
  const queue = (body: unknown, headers?: Record<string, string>) => post(`${gateway.url}/v1/api/demo/eventing/queue`, body, headers);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nest-mesh-eventing-'));
    brokerPort = await freePort();
    if (kind === 'nats-server') nats = await new NatsServerProcess({ args: ['-js', '-sd', join(dir, 'js')] }).start();
    configPath = writeConfig(await config());
    gateway = await startGateway(configPath);
    service = await new EventService({
      welcome: () => (failNext-- > 0 ? new MeshError(503, 'not yet') : 'ok'),
      broken: (s) => new MeshError(500, `broken on attempt ${s.params.attempt}`),
      refuse: () => new MeshError(422, 'bad address', 'BAD_ADDRESS'),
      silent: () => 'silent',
    }).start(gateway.brokerUrl, ['welcome', 'broken', 'refuse', 'silent', 'tick', 'every2', 'onx']);
    admin = await signToken({ sub: 'ops', role: 'admin' });
  });
  afterAll(async () => {
    await service?.stop();
    await gateway?.process.stop();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 202 {id} once stored and calls the trigger with the envelope and Mesh-Event-Id', async () => {
    const res = await queue({ type: 'user.signup', payload: { email: 'ada@example.com' } }, { 'X-Request-Id': 'q-1' });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-request-id')).toBe('q-1');
    const id = res.body.id;
    expect(typeof id).toBe('string');
    await until(() => service.of('welcome').some((s) => s.params.id === id));
    const seen = service.of('welcome').find((s) => s.params.id === id)!;
    expect(seen.eventId).toBe(id);
    expect(seen.params).toEqual({ id, type: 'user.signup', source: 'event', time: expect.any(String), attempt: 1, payload: { email: 'ada@example.com' } });
    expect(Date.parse(seen.params.time)).not.toBeNaN();
  });

  it('stores an id given twice once', async () => {
    const first = await queue({ type: 'user.signup', id: 'signup-42', payload: 1 });
    const second = await queue({ type: 'user.signup', id: 'signup-42', payload: 2 });
    expect([first.status, first.body, second.status, second.body]).toEqual([202, { id: 'signup-42' }, 202, { id: 'signup-42' }]);
    await until(() => service.of('welcome').some((s) => s.params.id === 'signup-42'));
    await new Promise((r) => setTimeout(r, 500));
    expect(service.of('welcome').filter((s) => s.params.id === 'signup-42').map((s) => s.params.payload)).toEqual([1]);
  });

  it('retries a failing attempt and delivers it', async () => {
    failNext = 2;
    const { body } = await queue({ type: 'user.signup', payload: 'retry me' });
    await until(() => service.of('welcome').filter((s) => s.params.id === body.id).length === 3);
    expect(service.of('welcome').filter((s) => s.params.id === body.id).map((s) => s.params.attempt)).toEqual([1, 2, 3]);
  });

  it.each([
    [[1, 2], 'request body must be a JSON object'],
    [{ payload: 1 }, 'type is required and must be a string'],
    [{ type: 42 }, 'type is required and must be a string'],
    [{ type: 'has space' }, 'type must be 1-128 characters of [A-Za-z0-9._:-]'],
    [{ type: 'user.signup', id: 'x'.repeat(129) }, 'id must be 1-128 characters of [A-Za-z0-9._:@-]'],
    [{ type: 'user.signup', id: '' }, 'id must be 1-128 characters of [A-Za-z0-9._:@-]'],
    [{ type: 'user.signup', delay: -1 }, expect.stringContaining('delay must be an integer')],
    [{ type: 'user.signup', delay: 1e12 }, expect.stringContaining('delay must be an integer')],
    [{ type: 'user.signup', delay: 1.5 }, expect.stringContaining('delay must be an integer')],
  ])('answers 400 BAD_REQUEST to a bad body (%#)', async (body, error) => {
    const res = await queue(body);
    expect(res).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST', error } });
  });

  it('answers 400 to a body that is not JSON, 413 to a payload over maxPayload, 404 to another project', async () => {
    expect(await queue('{not json')).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
    expect(await queue({ type: 'user.signup', payload: 'x'.repeat(2000) })).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
    const other = await post(`${gateway.url}/v1/api/other/eventing/queue`, { type: 'user.signup' });
    expect(other).toMatchObject({ status: 404, body: { code: 'PROJECT_NOT_FOUND' } });
  });

  it('answers 403 to an event type no rule names, 401 when the rule needs a token or the token is bad', async () => {
    expect(await queue({ type: 'nobody.knows' })).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    expect(await queue({ type: 'members.only' })).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
    expect(await queue({ type: 'user.signup' }, { Authorization: 'Bearer not.a.token' })).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
    const user = await signToken({ sub: 'ada' });
    expect(await queue({ type: 'members.only' }, { Authorization: `Bearer ${user}` })).toMatchObject({ status: 202 });
  });

  it('keeps an event whose function always fails as dead after its retries, with the last error; an admin lists and re-drives it', async () => {
    const { body } = await queue({ type: 'always.fails', id: 'doomed-1', payload: { n: 1 } });
    expect(body).toEqual({ id: 'doomed-1' });
    const deadList = () => get(`${gateway.url}/v1/api/demo/eventing/events?status=dead`, { Authorization: `Bearer ${admin}` });
    await until(async () => (await deadList()).body.events?.some((e: any) => e.id === 'doomed-1'));
    expect(service.of('broken').filter((s) => s.params.id === 'doomed-1').map((s) => s.params.attempt)).toEqual([1, 2, 3]);
    const dead = (await deadList()).body.events.find((e: any) => e.id === 'doomed-1');
    expect(dead).toMatchObject({ id: 'doomed-1', type: 'always.fails', trigger: 'broken', status: 'dead', attempts: 3, payload: { n: 1 } });
    expect(dead.lastError).toBe('500 INTERNAL: broken on attempt 3');

    const retry = await post(`${gateway.url}/v1/api/demo/eventing/events/doomed-1/retry`, undefined, { Authorization: `Bearer ${admin}` });
    expect(retry).toMatchObject({ status: 200, body: { id: 'doomed-1', redriven: 1 } });
    await until(() => service.of('broken').filter((s) => s.params.id === 'doomed-1').length === 6);
    const missing = await post(`${gateway.url}/v1/api/demo/eventing/events/no-such/retry`, undefined, { Authorization: `Bearer ${admin}` });
    expect(missing).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
  });

  it('shows the event store in /readyz and the eventing series in /metrics', async () => {
    const ready = await get(`${gateway.url}/readyz`);
    expect(ready).toMatchObject({ status: 200, body: { status: 'ok', info: { events: { status: 'up' } } } });
    await until(async () => /mesh_event_deliveries_total\{trigger="broken",outcome="dead"\} [1-9]/.test(await (await fetch(`${gateway.url}/metrics`)).text()));
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/^mesh_events_queued_total\{type="always\.fails"\} [1-9]/m);
    expect(metrics).toMatch(/^mesh_events_dead \d+$/m);
    expect(metrics).toMatch(/^mesh_events_pending \d+$/m);
  });

  it('guards the admin routes with eventing.admin: no token 401, other claims 403, bad status 400', async () => {
    const url = `${gateway.url}/v1/api/demo/eventing/events?status=dead`;
    expect(await get(url)).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
    expect(await get(url, { Authorization: `Bearer ${await signToken({ sub: 'ada', role: 'user' })}` })).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    expect(await get(`${gateway.url}/v1/api/demo/eventing/events?status=done`, { Authorization: `Bearer ${admin}` })).toMatchObject({ status: 400 });
    expect(await get(`${gateway.url}/v1/api/demo/eventing/events?status=dead&limit=0x10`, { Authorization: `Bearer ${admin}` })).toMatchObject({ status: 400 });
    expect(await post(`${gateway.url}/v1/api/demo/eventing/events/x/retry`)).toMatchObject({ status: 401 });
  });

  it('gives up at once when the function answers a 4xx (not 408/429)', async () => {
    await queue({ type: 'refused', id: 'refused-1' });
    await until(async () => (await get(`${gateway.url}/v1/api/demo/eventing/events?status=dead`, { Authorization: `Bearer ${admin}` })).body.events.some((e: any) => e.id === 'refused-1'));
    expect(service.of('refuse').filter((s) => s.params.id === 'refused-1')).toHaveLength(1);
  });

  it('retries an attempt that times out, then keeps it dead with the timeout as its error', async () => {
    await queue({ type: 'slow', id: 'slow-1' });
    const dead = async () =>
      (await get(`${gateway.url}/v1/api/demo/eventing/events?status=dead`, { Authorization: `Bearer ${admin}` })).body.events.find((e: any) => e.id === 'slow-1');
    await until(async () => (await dead()) !== undefined);
    expect(service.of('silent').filter((s) => s.params.id === 'slow-1')).toHaveLength(2);
    expect((await dead()).lastError).toMatch(/^504 TIMEOUT/);
  });

  it('retries an event no instance serves (not dead at once), and delivers it once one comes', async () => {
    await queue({ type: 'orphan', id: 'orphan-1' });
    await new Promise((r) => setTimeout(r, 1500));
    const pending = await get(`${gateway.url}/v1/api/demo/eventing/events?status=pending`, { Authorization: `Bearer ${admin}` });
    const entry = pending.body.events.find((e: any) => e.id === 'orphan-1');
    expect(entry).toMatchObject({ status: 'pending' });
    expect(service.of('nobody')).toEqual([]);
    if (kind === 'embedded') {
      // the local store keeps the last error and attempts of a pending event; JetStream only of dead ones
      expect(entry).toMatchObject({ lastError: expect.stringMatching(/^503 SERVICE_UNAVAILABLE/) });
      expect(entry.attempts).toBeGreaterThanOrEqual(2);
    }
    const late = await new EventService().start(gateway.brokerUrl, ['nobody']);
    try {
      await until(() => late.of('nobody').some((s) => s.params.id === 'orphan-1'));
    } finally {
      await late.stop();
    }
  });

  it('delivers each occurrence of a schedule once, with the id <trigger>:<ISO time>', async () => {
    await until(() => service.of('tick').length >= 2);
    const ticks = service.of('tick');
    for (const t of ticks) {
      expect(t.params).toMatchObject({ source: 'schedule', type: 'tick', id: `tick:${t.params.time}` });
    }
    expect(new Set(ticks.map((t) => t.params.id)).size).toBe(ticks.length);
  });

  it('runs every occurrence of a schedule exactly once when a user queued their ids first as another type', async () => {
    const user = await signToken({ sub: 'mallory' });
    const period = 2000;
    // The next three occurrences of `*/2 * * * * *` that are at least 1.5 s away: queued before they come.
    const first = Math.ceil((Date.now() + 1500) / period) * period;
    const ids = [0, 1, 2].map((i) => `every2:${new Date(first + i * period).toISOString()}`);
    for (const id of ids) expect(await queue({ type: 'x', id }, { Authorization: `Bearer ${user}` })).toMatchObject({ status: 202, body: { id } });
    await until(
      () => service.of('every2').some((s) => Date.parse(s.params.time) > first + 2 * period) && ids.every((id) => service.of('onx').some((s) => s.params.id === id)),
      30_000,
      'the queued events and an occurrence after the three delivered',
    );
    for (const id of ids) {
      expect(service.of('every2').filter((s) => s.params.id === id).map((s) => s.params.source)).toEqual(['schedule']);
      expect(service.of('onx').filter((s) => s.params.id === id).map((s) => s.params.type)).toEqual(['x']);
    }
  });

  it('delivers after a restart what was stored before kill -9, never losing it', async () => {
    await service.stop(); // nobody serves the functions: the events stay stored
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await queue({ type: 'user.signup', id: `survivor-${i}`, payload: i });
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }
    await gateway.process.stop('SIGKILL');
    gateway = await startGateway(writeConfig({ ...(await config()) }));
    service = await new EventService().start(gateway.brokerUrl, ['welcome', 'tick']);
    await until(() => ids.every((id) => service.of('welcome').some((s) => s.params.id === id)), 60_000, 'all survivors delivered');
  });

  it('delivers again after a restart what was in flight at kill -9 (between delivery and ack)', async () => {
    await service.stop();
    service = await new EventService({ hang: () => 'silent' }).start(gateway.brokerUrl, ['hang']);
    expect((await queue({ type: 'hang', id: 'in-flight-1' })).status).toBe(202);
    await until(() => service.of('hang').length === 1);
    await gateway.process.stop('SIGKILL');
    await service.stop();
    gateway = await startGateway(writeConfig({ ...(await config()) }));
    service = await new EventService().start(gateway.brokerUrl, ['hang']);
    await until(() => service.of('hang').some((s) => s.params.id === 'in-flight-1'), 60_000, 'redelivered after the lease');
    // A further attempt of the same event: 2, or more when the restart outlasted the lease and an
    // attempt went out before this service was back (no instance: retried after backoff).
    expect(service.of('hang')[0].params.attempt).toBeGreaterThanOrEqual(2);
  });
});
