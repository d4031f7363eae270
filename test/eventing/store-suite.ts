import type { EventStore, NewEvent } from '@nest-mesh/eventing';

/**
 * The behaviour every event store must have (docs/events.md), run against each implementation.
 * `make(leaseMs)` gives a fresh store (a new, empty storage) that reopens the same storage when
 * `reopen` is called with the store it returns.
 */
export interface StoreHarness {
  make(leaseMs: number): Promise<EventStore>;
  /** A second store over the same storage as `store` (after `store.close()`): what a restart sees. */
  reopen(store: EventStore, leaseMs: number): Promise<EventStore>;
}

let seq = 0;
function event(overrides: Partial<NewEvent> = {}): NewEvent {
  seq++;
  return {
    id: `ev-${Date.now()}-${seq}`,
    type: 'user.signup',
    source: 'event',
    time: new Date().toISOString(),
    payload: { n: seq },
    triggers: ['welcome'],
    ...overrides,
  };
}

async function claimUntil(store: EventStore, count: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  const all = [];
  while (all.length < count && Date.now() < deadline) all.push(...(await store.claim(count - all.length, 200)));
  return all;
}

export function eventStoreSuite(harness: StoreHarness): void {
  const open: EventStore[] = [];
  const make = async (leaseMs = 30_000) => {
    const store = await harness.make(leaseMs);
    open.push(store);
    return store;
  };
  afterEach(async () => {
    for (const store of open.splice(0)) await store.close().catch(() => undefined);
  });

  it('hands out a stored event once, with attempt 1 and its payload; ack removes it', async () => {
    const store = await make();
    const e = event();
    expect(await store.enqueue(e)).toEqual({ id: e.id, duplicate: false });
    const [d, ...rest] = await claimUntil(store, 1);
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ id: e.id, type: 'user.signup', source: 'event', time: e.time, payload: e.payload, trigger: 'welcome', attempt: 1 });
    expect(await store.claim(10, 300)).toEqual([]);
    await store.ack(d);
    expect(await store.counts()).toEqual({ pending: 0, dead: 0 });
  });

  it('stores an id given twice once', async () => {
    const store = await make();
    const e = event();
    await store.enqueue(e);
    expect(await store.enqueue({ ...e, payload: 'other' })).toEqual({ id: e.id, duplicate: true });
    const claimed = await claimUntil(store, 2, 1500);
    expect(claimed).toHaveLength(1);
    expect(claimed[0].payload).toEqual(e.payload);
  });

  it('makes one delivery per trigger', async () => {
    const store = await make();
    const e = event({ triggers: ['a', 'b'] });
    await store.enqueue(e);
    const claimed = await claimUntil(store, 2);
    expect(claimed.map((d) => d.trigger).sort()).toEqual(['a', 'b']);
  });

  it('wakes a waiting claim when an event is stored', async () => {
    const store = await make();
    const started = Date.now();
    const waiting = store.claim(5, 8000);
    await new Promise((r) => setTimeout(r, 100));
    const e = event();
    await store.enqueue(e);
    const claimed = await waiting;
    expect(claimed.map((d) => d.id)).toEqual([e.id]);
    expect(Date.now() - started).toBeLessThan(6000);
  });

  it('delivers a retried event again after the delay, with the next attempt number', async () => {
    const store = await make();
    await store.enqueue(event());
    const [first] = await claimUntil(store, 1);
    await store.retry(first, 700, 'boom');
    expect(await store.claim(5, 200)).toEqual([]);
    const [second] = await claimUntil(store, 1);
    expect(second).toMatchObject({ id: first.id, attempt: 2 });
    await store.ack(second);
    expect(await store.counts()).toEqual({ pending: 0, dead: 0 });
  });

  it('keeps a buried event as dead with its last error, lists it, and re-drives it', async () => {
    const store = await make();
    const e = event();
    await store.enqueue(e);
    const [d] = await claimUntil(store, 1);
    await store.bury(d, '500 INTERNAL: it broke');
    expect(await store.counts()).toEqual({ pending: 0, dead: 1 });
    const dead = await store.list('dead', 10);
    expect(dead).toEqual([expect.objectContaining({ id: e.id, trigger: 'welcome', status: 'dead', lastError: '500 INTERNAL: it broke', payload: e.payload })]);
    expect(await store.claim(5, 200)).toEqual([]);
    expect(await store.redrive(e.id)).toBe(1);
    expect(await store.redrive('no-such-event')).toBe(0);
    const [again] = await claimUntil(store, 1);
    expect(again).toMatchObject({ id: e.id, attempt: 1, payload: e.payload });
    await store.ack(again);
    expect(await store.counts()).toEqual({ pending: 0, dead: 0 });
  });

  it('lists pending events', async () => {
    const store = await make();
    const e = event();
    await store.enqueue(e);
    const pending = await store.list('pending', 10);
    expect(pending).toEqual([expect.objectContaining({ id: e.id, status: 'pending', trigger: 'welcome' })]);
  });

  it('hands a claimed event out again when its lease ends unsettled (a dispatcher died)', async () => {
    const store = await make(1000);
    await store.enqueue(event());
    const [first] = await claimUntil(store, 1);
    expect(await store.claim(5, 300)).toEqual([]);
    const [again] = await claimUntil(store, 1, 15_000);
    expect(again).toMatchObject({ id: first.id, attempt: 2 });
  });

  it('does not hand out a delayed event before its time', async () => {
    const store = await make();
    const e = event({ notBefore: Date.now() + 1200 });
    await store.enqueue(e);
    expect(await store.claim(5, 300)).toEqual([]);
    const [d] = await claimUntil(store, 1);
    expect(d).toMatchObject({ id: e.id, attempt: 1 });
  });

  it('keeps stored events across a restart', async () => {
    const store = await make();
    const e = event();
    await store.enqueue(e);
    await store.close();
    const reopened = await harness.reopen(store, 30_000);
    open.push(reopened);
    const [d] = await claimUntil(reopened, 1);
    expect(d).toMatchObject({ id: e.id, payload: e.payload });
    expect(await reopened.enqueue(e)).toEqual({ id: e.id, duplicate: true });
  });

  it('hands nothing out for an event no trigger listens to', async () => {
    const store = await make();
    expect(await store.enqueue(event({ triggers: [] }))).toMatchObject({ duplicate: false });
    expect(await store.claim(5, 300)).toEqual([]);
  });

  it('is ready while open and not after close', async () => {
    const store = await make();
    expect(await store.isReady()).toBe(true);
    await store.close();
    expect(await store.isReady()).toBe(false);
  });
}
