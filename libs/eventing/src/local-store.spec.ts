import { EventStore, LOCAL_STORE_FILE, LocalEventStore, StoreFullError } from './index';
import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventStoreSuite } from './testing/event-store-suite';

describe('LocalEventStore (SQLite on local disk)', () => {
  const folders = new Map<EventStore, string>();
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });
  eventStoreSuite({
    async make(leaseMs) {
      const dir = mkdtempSync(join(tmpdir(), 'nest-mesh-events-'));
      made.push(dir);
      const store = new LocalEventStore({ path: join(dir, 'events'), leaseMs });
      await store.open();
      folders.set(store, dir);
      return store;
    },
    async reopen(previous, leaseMs) {
      const dir = folders.get(previous)!;
      const store = new LocalEventStore({ path: join(dir, 'events'), leaseMs });
      await store.open();
      folders.set(store, dir);
      return store;
    },
  });
});

describe('LocalEventStore dedup window', () => {
  it('stores an id again once 24 hours have passed, and forgets delivered payloads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nest-mesh-events-window-'));
    const store = new LocalEventStore({ path: dir, leaseMs: 30_000 });
    const realNow = Date.now;
    try {
      await store.open();
      const event = { id: 'daily', type: 't', source: 'event' as const, time: new Date().toISOString(), payload: { big: 'x' }, triggers: ['w'] };
      await store.enqueue(event);
      const [d] = await store.claim(1, 1000);
      await store.ack(d);
      const db = new Database(join(dir, LOCAL_STORE_FILE), { readonly: true });
      expect(db.prepare('SELECT payload, size FROM events WHERE id = ?').get('daily')).toEqual({ payload: 'null', size: 0 });
      db.close();
      expect(await store.enqueue(event)).toEqual({ id: 'daily', duplicate: true });
      const start = realNow();
      jest.spyOn(Date, 'now').mockImplementation(() => start + 24 * 3600_000 + 1000);
      expect(await store.enqueue(event)).toEqual({ id: 'daily', duplicate: false });
    } finally {
      (Date.now as jest.Mock).mockRestore?.();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The schema of stores written before events were keyed by source and type (user_version 0). */
const SCHEMA_1 = `
CREATE TABLE IF NOT EXISTS events (
  id TEXT PRIMARY KEY, type TEXT NOT NULL, source TEXT NOT NULL, time TEXT NOT NULL,
  payload TEXT NOT NULL, stored_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
  event_id TEXT NOT NULL, trigger TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
  ready_at INTEGER NOT NULL, last_error TEXT, PRIMARY KEY (event_id, trigger));
CREATE INDEX IF NOT EXISTS deliveries_ready ON deliveries (status, ready_at);
CREATE INDEX IF NOT EXISTS events_stored ON events (stored_at);`;

describe('LocalEventStore opening a store written by the previous version', () => {
  let dir: string;
  let store: LocalEventStore | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nest-mesh-events-v1-'));
    mkdirSync(join(dir, 'events'));
    const db = new Database(join(dir, 'events', LOCAL_STORE_FILE));
    db.pragma('journal_mode = WAL');
    db.exec(SCHEMA_1);
    const now = Date.now();
    const time = new Date(now).toISOString();
    const event = db.prepare('INSERT INTO events (id, type, source, time, payload, stored_at) VALUES (?, ?, ?, ?, ?, ?)');
    const delivery = db.prepare('INSERT INTO deliveries (event_id, trigger, status, attempts, ready_at, last_error) VALUES (?, ?, ?, ?, ?, ?)');
    event.run('waiting', 'user.signup', 'event', time, JSON.stringify({ email: 'ada@example.com', pad: 'p'.repeat(3000) }), now - 2000);
    delivery.run('waiting', 'welcome', 'pending', 1, now - 1000, '503 SERVICE_UNAVAILABLE: no instance');
    event.run('given-up', 'always.fails', 'event', time, JSON.stringify({ n: 1 }), now - 1000);
    delivery.run('given-up', 'broken', 'dead', 4, now, '500 INTERNAL: broken');
    event.run('tick:2026-01-02T03:00:00.000Z', 'tick', 'schedule', '2026-01-02T03:00:00.000Z', 'null', now - 500);
    delivery.run('tick:2026-01-02T03:00:00.000Z', 'tick', 'pending', 0, now, null);
    event.run('delivered', 'user.signup', 'event', time, 'null', now - 100); // its id remembered for dedup
    db.close();
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const open = async () => {
    store = new LocalEventStore({ path: join(dir, 'events'), leaseMs: 30_000 });
    await store.open();
    return store;
  };

  it('migrates it in place: every pending and dead event is kept, with its attempts, error and payload, and remembered ids stay deduplicated', async () => {
    const s = await open();
    expect(await s.counts()).toEqual({ pending: 2, dead: 1 });
    const { events: dead } = await s.list({ status: 'dead', limit: 10 });
    expect(dead).toEqual([{ id: 'given-up', type: 'always.fails', source: 'event', time: expect.any(String), trigger: 'broken', status: 'dead', attempts: 4, lastError: '500 INTERNAL: broken', payload: { n: 1 } }]);
    expect(await s.enqueue({ id: 'delivered', type: 'user.signup', source: 'event', time: new Date().toISOString(), payload: 1, triggers: ['welcome'] })).toEqual({ id: 'delivered', duplicate: true });
    expect(await s.enqueue({ id: 'delivered', type: 'other', source: 'event', time: new Date().toISOString(), payload: 1, triggers: [] })).toEqual({ id: 'delivered', duplicate: false });
    const claimed = await s.claim(10, 1000);
    expect(claimed.map((d) => [d.id, d.trigger, d.attempt, d.source]).sort()).toEqual([
      ['tick:2026-01-02T03:00:00.000Z', 'tick', 1, 'schedule'],
      ['waiting', 'welcome', 2, 'event'],
    ]);
    expect(claimed.find((d) => d.id === 'waiting')!.payload).toMatchObject({ email: 'ada@example.com' });
    expect(await s.redrive('given-up')).toBe(1);
    await s.close();
    // Opened again (already migrated): the same events, and the migrated ones count against maxPendingBytes.
    const again = await open();
    expect(await again.counts()).toEqual({ pending: 3, dead: 0 });
    await expect(again.enqueue({ id: 'n', type: 't', source: 'event', time: new Date().toISOString(), payload: null, triggers: ['w'] }, { maxPendingBytes: 3000 })).rejects.toBeInstanceOf(
      StoreFullError,
    );
    const db = new Database(join(dir, 'events', LOCAL_STORE_FILE), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    db.close();
  });

  it('refuses a store of a newer schema than it knows, leaving it untouched', async () => {
    const db = new Database(join(dir, 'events', LOCAL_STORE_FILE));
    db.pragma('user_version = 99');
    db.close();
    await expect(open()).rejects.toThrow(/schema 99 is newer/);
    store = undefined;
  });
});
