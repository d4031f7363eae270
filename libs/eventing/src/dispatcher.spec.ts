import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeshError } from 'nest-mesh';
import { Dispatcher, EventParams } from './dispatcher';
import { EventCaller } from './event-caller';
import { DeliveryOutcome } from './event-metrics';
import { LocalEventStore } from './local-store';
import { backoffAfter, TriggerSpec } from './trigger';

const trigger = (overrides: Partial<TriggerSpec> = {}): TriggerSpec => ({
  name: 'welcome',
  on: { kind: 'event', event: 'user.signup' },
  call: { service: 'mail', func: 'welcome' },
  retries: 2,
  backoff: [50, 100],
  timeout: 1000,
  ...overrides,
});

describe('Dispatcher', () => {
  let dir: string;
  let store: LocalEventStore;
  let dispatcher: Dispatcher | undefined;
  const outcomes: [string, DeliveryOutcome][] = [];
  const metrics = { queued: () => undefined, delivered: (t: string, o: DeliveryOutcome) => void outcomes.push([t, o]) };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nest-mesh-dispatch-'));
    store = new LocalEventStore({ path: dir, leaseMs: 30_000 });
    await store.open();
    outcomes.length = 0;
  });
  afterEach(async () => {
    await dispatcher?.stop(1000);
    dispatcher = undefined;
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function run(caller: EventCaller, spec = trigger()): void {
    dispatcher = new Dispatcher(store, caller, new Map([[spec.name, spec]]), { pollMs: 100, metrics });
    dispatcher.start();
  }
  const enqueue = (id = 'e1') =>
    store.enqueue({ id, type: 'user.signup', source: 'event', time: '2026-01-01T00:00:00.000Z', payload: { email: 'a@b.c' }, triggers: ['welcome'] });
  async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('calls the trigger function with the event envelope and Mesh-Event-Id, and acks on success', async () => {
    const calls: unknown[][] = [];
    run({ call: async (...args) => void calls.push(args) });
    await enqueue();
    await until(() => outcomes.length === 1);
    expect(calls).toEqual([
      [
        'mail',
        'welcome',
        { id: 'e1', type: 'user.signup', source: 'event', time: '2026-01-01T00:00:00.000Z', attempt: 1, payload: { email: 'a@b.c' } },
        { timeout: 1000, eventId: 'e1' },
      ],
    ]);
    expect(outcomes).toEqual([['welcome', 'ok']]);
    expect(await store.counts()).toEqual({ pending: 0, dead: 0 });
  });

  it('buries an event whose function always fails after its retries, with the last error', async () => {
    const attempts: number[] = [];
    run({
      call: async (_s, _f, params) => {
        attempts.push((params as EventParams).attempt);
        throw new MeshError(500, `failure ${attempts.length}`);
      },
    });
    await enqueue();
    await until(async () => (await store.counts()).dead === 1);
    expect(attempts).toEqual([1, 2, 3]);
    expect(outcomes).toEqual([['welcome', 'retry'], ['welcome', 'retry'], ['welcome', 'dead']]);
    const [dead] = (await store.list({ status: 'dead', limit: 10 })).events;
    expect(dead.lastError).toBe('500 INTERNAL: failure 3');
  });

  it('gives up at once on a 4xx other than 408 and 429', async () => {
    let calls = 0;
    run({ call: async () => { calls++; throw new MeshError(422, 'bad email', 'INVALID_EMAIL'); } });
    await enqueue();
    await until(async () => (await store.counts()).dead === 1);
    expect(calls).toBe(1);
    expect((await store.list({ status: 'dead', limit: 1 })).events[0].lastError).toBe('422 INVALID_EMAIL: bad email');
  });

  it.each([408, 429, 503, 504])('retries a %i (no instance, timeout, busy) instead of giving up', async (status) => {
    let calls = 0;
    run({
      call: async () => {
        if (++calls < 3) throw new MeshError(status, 'not now');
      },
    });
    await enqueue();
    await until(() => outcomes.some(([, o]) => o === 'ok'));
    expect(calls).toBe(3);
    expect(await store.counts()).toEqual({ pending: 0, dead: 0 });
  });

  it('waits for the backoff between attempts', async () => {
    const times: number[] = [];
    run(
      { call: async () => { times.push(Date.now()); if (times.length < 3) throw new Error('down'); } },
      trigger({ backoff: [300, 600] }),
    );
    await enqueue();
    await until(() => times.length === 3);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(280);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(580);
  });

  it('buries an event of a trigger that is no longer configured', async () => {
    run({ call: async () => undefined }, trigger({ name: 'other' }));
    await enqueue();
    await until(async () => (await store.counts()).dead === 1);
    expect((await store.list({ status: 'dead', limit: 1 })).events[0].lastError).toMatch(/no trigger named "welcome"/);
  });

  it('stop() claims nothing more and waits for the call in flight', async () => {
    let finish!: () => void;
    let started = 0;
    run({ call: () => { started++; return new Promise<void>((resolve) => (finish = resolve)); } });
    await enqueue('e1');
    await until(() => started === 1);
    const stopping = dispatcher!.stop(10_000);
    await enqueue('e2');
    await new Promise((r) => setTimeout(r, 300));
    finish();
    await stopping;
    dispatcher = undefined;
    expect(started).toBe(1);
    expect(outcomes).toEqual([['welcome', 'ok']]);
    expect(await store.counts()).toEqual({ pending: 1, dead: 0 });
  });
});

describe('backoffAfter', () => {
  it('takes the delay of the attempt, the last one repeating', () => {
    expect([1, 2, 3, 4, 9].map((n) => backoffAfter([1000, 5000, 30000], n))).toEqual([1000, 5000, 30000, 30000, 30000]);
    expect(backoffAfter([], 3)).toBe(0);
  });
});
