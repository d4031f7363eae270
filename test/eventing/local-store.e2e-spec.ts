import { EventStore, LOCAL_STORE_FILE, LocalEventStore } from '@nest-mesh/eventing';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventStoreSuite } from './store-suite';

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
      expect(db.prepare('SELECT payload FROM events WHERE id = ?').get('daily')).toEqual({ payload: 'null' });
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
