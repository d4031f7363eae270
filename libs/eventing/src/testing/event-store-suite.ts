import { EventStore, InvalidCursorError, NewEvent, StoreFullError } from '../index';

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

  it('dedupes an id only against events of the same source and type: a schedule occurrence or another type with that id is stored too', async () => {
    const store = await make();
    // A queued event may carry the id of a schedule's next occurrence: it must not take its place.
    const id = `tick:${new Date(Date.now() + 2000).toISOString()}`;
    const asOtherType = event({ id, type: 'x', triggers: ['on-x'] });
    const asTriggerName = event({ id, type: 'tick', triggers: ['tick'] });
    const occurrence = event({ id, type: 'tick', source: 'schedule', payload: null, triggers: ['tick'] });
    expect(await store.enqueue(asOtherType)).toEqual({ id, duplicate: false });
    expect(await store.enqueue(asTriggerName)).toEqual({ id, duplicate: false });
    expect(await store.enqueue(occurrence)).toEqual({ id, duplicate: false });
    expect(await store.enqueue({ ...occurrence })).toEqual({ id, duplicate: true });
    expect(await store.enqueue({ ...asOtherType, payload: 'again' })).toEqual({ id, duplicate: true });
    const claimed = await claimUntil(store, 4, 1500);
    expect(claimed.map((d) => `${d.source} ${d.type} ${d.trigger} ${JSON.stringify(d.payload)}`).sort()).toEqual([
      `event tick tick ${JSON.stringify(asTriggerName.payload)}`,
      `event x on-x ${JSON.stringify(asOtherType.payload)}`,
      'schedule tick tick null',
    ]);
  });

  it('re-drives the dead events with an id: of every type, or of the type given', async () => {
    const store = await make();
    await store.enqueue(event({ id: 'shared', type: 'a', triggers: ['ta'] }));
    await store.enqueue(event({ id: 'shared', type: 'b', triggers: ['tb'] }));
    for (const d of await claimUntil(store, 2)) await store.bury(d, 'failed');
    expect(await store.counts()).toEqual({ pending: 0, dead: 2 });
    expect(await store.redrive('shared', 'a')).toBe(1);
    const [a] = await claimUntil(store, 1);
    expect(a).toMatchObject({ id: 'shared', type: 'a', attempt: 1 });
    await store.bury(a, 'failed again');
    expect(await store.redrive('shared', 'c')).toBe(0);
    expect(await store.redrive('shared')).toBe(2);
    const again = await claimUntil(store, 2);
    expect(again.map((d) => d.type).sort()).toEqual(['a', 'b']);
  });

  it('removes the pending and dead deliveries of an event (of every type, or of the type given); the id stays remembered', async () => {
    const store = await make();
    const later = Date.now() + 60_000;
    const pending = event({ notBefore: later });
    const dead = event({ triggers: ['a', 'b'] });
    const sameIdOtherType = event({ id: dead.id, type: 'other.type', notBefore: later });
    for (const e of [pending, dead, sameIdOtherType]) await store.enqueue(e);
    for (const d of await claimUntil(store, 2)) await store.bury(d, 'failed');
    expect(await store.counts()).toEqual({ pending: 2, dead: 2 });
    expect(await store.remove(dead.id, dead.type)).toBe(2);
    expect(await store.counts()).toEqual({ pending: 2, dead: 0 });
    expect(await store.remove(pending.id)).toBe(1);
    expect(await store.remove(dead.id)).toBe(1);
    expect(await store.remove('no-such-event')).toBe(0);
    expect(await store.counts()).toEqual({ pending: 0, dead: 0 });
    expect((await store.list({ status: 'pending', limit: 10 })).events).toEqual([]);
    expect(await store.enqueue(pending)).toEqual({ id: pending.id, duplicate: true });
    expect(await store.claim(5, 300)).toEqual([]);
  });

  it('lists in pages bounded by limit and by bytes of JSON, oldest first, walking on with the cursor', async () => {
    const store = await make();
    const later = Date.now() + 60_000;
    const big = 'x'.repeat(3000);
    const stored: NewEvent[] = [];
    for (let i = 0; i < 7; i++) {
      const e = event({ id: `page-${i}`, payload: { i, big }, notBefore: later });
      stored.push(e);
      await store.enqueue(e);
    }
    const walk = async (limit: number, maxBytes?: number) => {
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list({ status: 'pending', limit, cursor, maxBytes });
        if (maxBytes !== undefined) expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThanOrEqual(maxBytes);
        pages.push(page.events.map((e) => e.id));
        cursor = page.next ?? undefined;
      } while (cursor !== undefined && pages.length < 20);
      return pages;
    };
    const ids = stored.map((e) => e.id);
    expect(await walk(3)).toEqual([ids.slice(0, 3), ids.slice(3, 6), ids.slice(6)]);
    const byBytes = await walk(100, 10_000);
    expect(byBytes.flat()).toEqual(ids);
    expect(byBytes.length).toBeGreaterThan(2);
    expect(await store.list({ status: 'pending', limit: 7 })).toMatchObject({ next: null });
    // An event too large for a page on its own is listed without its payload.
    const omitted = await store.list({ status: 'pending', limit: 5, maxBytes: 2000 });
    expect(omitted.events[0]).toMatchObject({ id: 'page-0', type: 'user.signup', trigger: 'welcome', payload: null, payloadOmitted: true });
    expect(omitted.events.every((e) => e.payloadOmitted && e.payload === null)).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(omitted))).toBeLessThanOrEqual(2000);
    const first = await store.list({ status: 'pending', limit: 1 });
    await expect(store.list({ status: 'pending', limit: 1, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(store.list({ status: 'dead', limit: 1, cursor: first.next! })).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('refuses an event past maxPendingBytes at once, keeping all it stored before; room comes back as events are delivered', async () => {
    const store = await make();
    const max = 20_000;
    const payload = 'y'.repeat(1000);
    const accepted: string[] = [];
    let refused: unknown;
    for (let i = 0; i < 40 && refused === undefined; i++) {
      const e = event({ payload });
      await store.enqueue(e, { maxPendingBytes: max }).then(
        () => accepted.push(e.id),
        (error) => (refused = error),
      );
    }
    expect(refused).toBeInstanceOf(StoreFullError);
    // Each event counts at least its payload, and not more than a few hundred bytes besides.
    expect(accepted.length).toBeLessThan(20);
    expect(accepted.length).toBeGreaterThanOrEqual(10);
    await expect(store.enqueue(event({ payload }), { maxPendingBytes: max })).rejects.toBeInstanceOf(StoreFullError);
    // Without the bound (schedule occurrences, table changes) an event is still stored.
    const occurrence = event({ source: 'schedule', type: 'tick', payload: null, triggers: ['tick'] });
    expect(await store.enqueue(occurrence)).toMatchObject({ duplicate: false });
    const listed = (await store.list({ status: 'pending', limit: 100 })).events.map((e) => e.id);
    expect(listed.sort()).toEqual([...accepted, occurrence.id].sort());
    // Delivered events no longer count.
    for (const d of await claimUntil(store, accepted.length + 1)) await store.ack(d);
    const deadline = Date.now() + 10_000;
    let stored: unknown;
    while (stored === undefined && Date.now() < deadline) {
      stored = await store.enqueue(event({ payload }), { maxPendingBytes: max }).catch(() => new Promise((r) => setTimeout(r, 200)).then(() => undefined));
    }
    expect(stored).toMatchObject({ duplicate: false });
  });

  it('keeps counting what waits across a restart', async () => {
    const store = await make();
    const max = 10_000;
    let full = false;
    for (let i = 0; i < 20 && !full; i++) full = (await store.enqueue(event({ payload: 'z'.repeat(2000) }), { maxPendingBytes: max }).catch(() => 'full')) === 'full';
    expect(full).toBe(true);
    await store.close();
    const reopened = await harness.reopen(store, 30_000);
    open.push(reopened);
    await expect(reopened.enqueue(event({ payload: 'z'.repeat(2000) }), { maxPendingBytes: max })).rejects.toBeInstanceOf(StoreFullError);
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
    const { events: dead } = await store.list({ status: 'dead', limit: 10 });
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
    const { events: pending } = await store.list({ status: 'pending', limit: 10 });
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
