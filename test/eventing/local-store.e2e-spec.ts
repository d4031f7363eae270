import { LocalEventStore, EventStore } from '@nest-mesh/eventing';
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
