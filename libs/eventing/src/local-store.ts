import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEDUP_WINDOW_MS, dedupKey, Delivery, EventRecord, EventSource, EventStatus, NewEvent } from './event';
import { EnqueueOptions, EnqueueResult, EventCounts, EventStore, StoreFullError } from './event-store';
import { EVENT_OVERHEAD_BYTES, migrate, prepare } from './local-schema';
import { decodeCursor, encodeCursor, EventPage, ListQuery, PageBuilder } from './page';
import { Wakeup } from './wakeup';

export interface LocalStoreOptions {
  /** The folder of the store; made when missing. The database is `events.sqlite` inside it. */
  path: string;
  /** How long a claimed delivery is leased before it is handed out again (ms). */
  leaseMs: number;
}

/** The database file inside the store's folder. */
export const LOCAL_STORE_FILE = 'events.sqlite';

interface Write {
  run(): unknown;
  /** Must be on disk before it resolves (an enqueue, a re-drive); others may wait for the next fsync. */
  durable: boolean;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface DeliveryRow {
  event_key: string;
  trigger: string;
  attempts: number;
  id: string;
  type: string;
  source: EventSource;
  time: string;
  payload: string;
  status: EventStatus;
  last_error: string | null;
  stored_at: number;
}

/**
 * The event store on local disk: SQLite (better-sqlite3) in WAL mode; an event is committed with
 * `synchronous=FULL`, so once `enqueue` resolves it survives kill -9 and power loss. Writes made in
 * one event-loop turn share one transaction (one fsync). A delivered event's key is kept 24 hours
 * (for dedup), its payload is not. The bytes of waiting events are counted in memory (summed once
 * at open), so `maxPendingBytes` costs nothing per enqueue. A claim is a lease:
 * `ready_at` moves to the lease's end, so a delivery whose dispatcher died is handed out again.
 * One gateway owns a store folder.
 */
export class LocalEventStore implements EventStore {
  private db?: Database.Database;
  private statements?: ReturnType<typeof prepare>;
  private writes: Write[] = [];
  private flushScheduled = false;
  private closed = false;
  private readonly wakeup = new Wakeup();
  private pruneTimer?: NodeJS.Timeout;
  private syncFull = true;
  /** What waiting events count against `maxPendingBytes`: SUM(size), plus enqueues not yet committed. */
  private heldBytes = 0;

  constructor(private readonly options: LocalStoreOptions) {}

  async open(): Promise<void> {
    mkdirSync(this.options.path, { recursive: true });
    const db = new Database(join(this.options.path, LOCAL_STORE_FILE));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    try {
      migrate(db);
    } catch (error) {
      db.close();
      throw error;
    }
    this.db = db;
    this.statements = prepare(db);
    this.heldBytes = (this.statements.heldBytes.get() as { n: number }).n;
    this.prune();
    this.pruneTimer = setInterval(() => this.write(false, () => this.prune()).catch(() => undefined), 3600_000);
    this.pruneTimer.unref();
  }

  enqueue(event: NewEvent, options: EnqueueOptions = {}): Promise<EnqueueResult> {
    const delivered = event.triggers.length > 0;
    const payload = delivered ? JSON.stringify(event.payload ?? null) : 'null';
    const size = delivered ? Buffer.byteLength(payload) + EVENT_OVERHEAD_BYTES : 0;
    const max = options.maxPendingBytes;
    if (max !== undefined && size > 0 && this.heldBytes + size > max) return Promise.reject(new StoreFullError(max));
    this.heldBytes += size; // reserved now, so enqueues of the same turn see it
    const key = dedupKey(event);
    const stored = this.write(true, () => {
      const s = this.statements!;
      const now = Date.now();
      const seen = s.seen.get(key) as { stored_at: number; size: number } | undefined;
      if (seen && seen.stored_at > now - DEDUP_WINDOW_MS) return { duplicate: true, freed: size };
      s.upsertEvent.run(key, event.id, event.type, event.source, event.time, payload, size, now);
      const readyAt = Math.max(now, event.notBefore ?? 0);
      for (const trigger of event.triggers) s.upsertDelivery.run(key, trigger, readyAt);
      return { duplicate: false, freed: seen?.size ?? 0 };
    }) as Promise<{ duplicate: boolean; freed: number }>;
    return stored.then(
      ({ duplicate, freed }) => {
        this.heldBytes -= freed;
        return { id: event.id, duplicate };
      },
      (error: Error) => {
        this.heldBytes -= size;
        throw error;
      },
    );
  }

  async claim(max: number, waitMs: number): Promise<Delivery[]> {
    const until = Date.now() + waitMs;
    for (;;) {
      if (this.closed) return [];
      const now = Date.now();
      this.sync(false);
      const claimed = this.db!.transaction(() => {
        const rows = this.statements!.due.all(now, max) as DeliveryRow[];
        for (const row of rows) this.statements!.lease.run(now + this.options.leaseMs, row.event_key, row.trigger);
        return rows;
      })();
      if (claimed.length > 0) return claimed.map(toDelivery);
      if (now >= until) return [];
      const next = (this.statements!.nextReady.get() as { at: number | null }).at;
      const wakeAt = next === null ? until : Math.min(until, Math.max(next, now + 1));
      await this.wakeup.wait(wakeAt - now);
    }
  }

  async ack(delivery: Delivery): Promise<void> {
    const key = dedupKey(delivery);
    const freed = (await this.write(false, () => {
      this.statements!.remove.run(key, delivery.trigger, delivery.attempt);
      return this.forgetIfDone(key);
    })) as number;
    this.heldBytes -= freed;
  }

  retry(delivery: Delivery, delayMs: number, error: string): Promise<void> {
    return this.write(false, () =>
      this.statements!.retry.run(Date.now() + delayMs, error, dedupKey(delivery), delivery.trigger, delivery.attempt),
    ) as Promise<never>;
  }

  bury(delivery: Delivery, error: string): Promise<void> {
    return this.write(false, () => this.statements!.bury.run(error, dedupKey(delivery), delivery.trigger, delivery.attempt)) as Promise<never>;
  }

  async list(query: ListQuery): Promise<EventPage> {
    const { status, limit } = query;
    const [storedAt, key, trigger] = query.cursor === undefined ? [-1, '', ''] : decodeCursor(query.cursor, status, ['number', 'string', 'string']);
    const page = new PageBuilder(limit, query.maxBytes);
    let last: DeliveryRow | undefined;
    let more = false;
    // Synchronous from the first row to the last: no other statement runs on the connection meanwhile.
    for (const row of this.statements!.list.iterate(status, storedAt, storedAt, key, trigger, limit + 1) as IterableIterator<DeliveryRow>) {
      if (!page.add(toRecord(row))) {
        more = true;
        break;
      }
      last = row;
    }
    return { events: page.events, next: more && last ? encodeCursor(status, [last.stored_at, last.event_key, last.trigger]) : null };
  }

  async redrive(id: string, type?: string): Promise<number> {
    const changes = (await this.write(true, () => this.statements!.redrive.run(Date.now(), id, type ?? null, type ?? null).changes)) as number;
    if (changes > 0) this.wakeup.wake();
    return changes;
  }

  async remove(id: string, type?: string): Promise<number> {
    const { removed, freed } = (await this.write(true, () => {
      const s = this.statements!;
      let removed = 0;
      let freed = 0;
      for (const { key } of s.keysOf.all(id, type ?? null, type ?? null) as { key: string }[]) {
        removed += s.removeAll.run(key).changes;
        freed += this.forgetIfDone(key);
      }
      return { removed, freed };
    })) as { removed: number; freed: number };
    this.heldBytes -= freed;
    return removed;
  }

  async counts(): Promise<EventCounts> {
    const rows = this.statements!.counts.all() as { status: EventStatus; n: number }[];
    const counts = { pending: 0, dead: 0 };
    for (const row of rows) counts[row.status] = row.n;
    return counts;
  }

  async isReady(): Promise<boolean> {
    if (!this.db || this.closed) return false;
    try {
      this.db.prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pruneTimer);
    this.wakeup.wake();
    this.flush();
    this.db?.close();
  }

  /**
   * Queues a write; the writes of one event-loop turn commit in one transaction, with one fsync when
   * one of them is `durable`. The others (leases, acks, retries) are safe from kill -9 without it (the
   * OS has them); after a power loss they could be lost, and the event is then delivered again.
   */
  private write(durable: boolean, run: () => unknown): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the event store is closed'));
    return new Promise((resolve, reject) => {
      this.writes.push({ run, durable, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const writes = this.writes;
    if (writes.length === 0) return;
    this.writes = [];
    let results: unknown[];
    try {
      this.sync(writes.some((w) => w.durable));
      results = this.db!.transaction(() => writes.map((w) => w.run()))();
    } catch (error) {
      for (const w of writes) w.reject(error as Error);
      return;
    }
    writes.forEach((w, i) => w.resolve(results[i]));
    this.wakeup.wake();
  }

  /** `synchronous=FULL` (fsync the WAL at commit) or `OFF`; in WAL mode a later FULL commit syncs earlier ones too. */
  private sync(full: boolean): void {
    if (this.syncFull === full) return;
    this.db!.pragma(`synchronous = ${full ? 'FULL' : 'OFF'}`);
    this.syncFull = full;
  }

  /**
   * Forgets the payload of event `key` once it has no delivery left (only the key is kept, for dedup);
   * returns the bytes it stops counting. Runs inside a write.
   */
  private forgetIfDone(key: string): number {
    const done = this.statements!.sizeIfDone.get(key, key) as { size: number } | undefined;
    if (done === undefined) return 0;
    this.statements!.forgetPayload.run(key);
    return done.size;
  }

  /** Forgets events older than the dedup window that no trigger still has to deliver. */
  private prune(): void {
    this.statements!.prune.run(Date.now() - DEDUP_WINDOW_MS);
  }
}

function toRecord(row: DeliveryRow): EventRecord {
  return {
    id: row.id,
    type: row.type,
    source: row.source,
    time: row.time,
    trigger: row.trigger,
    status: row.status,
    attempts: row.attempts,
    ...(row.last_error !== null ? { lastError: row.last_error } : {}),
    payload: JSON.parse(row.payload),
  };
}

function toDelivery(row: DeliveryRow): Delivery {
  return {
    id: row.id,
    type: row.type,
    source: row.source,
    time: row.time,
    payload: JSON.parse(row.payload),
    trigger: row.trigger,
    attempt: row.attempts + 1,
  };
}
