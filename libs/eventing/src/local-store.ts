import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEDUP_WINDOW_MS, Delivery, EventRecord, EventSource, EventStatus, NewEvent } from './event';
import type { EnqueueResult, EventCounts, EventStore } from './event-store';
import { Wakeup } from './wakeup';

export interface LocalStoreOptions {
  /** The folder of the store; made when missing. The database is `events.sqlite` inside it. */
  path: string;
  /** How long a claimed delivery is leased before it is handed out again (ms). */
  leaseMs: number;
}

/** The database file inside the store's folder. */
export const LOCAL_STORE_FILE = 'events.sqlite';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  id TEXT PRIMARY KEY, type TEXT NOT NULL, source TEXT NOT NULL, time TEXT NOT NULL,
  payload TEXT NOT NULL, stored_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
  event_id TEXT NOT NULL, trigger TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
  ready_at INTEGER NOT NULL, last_error TEXT, PRIMARY KEY (event_id, trigger));
CREATE INDEX IF NOT EXISTS deliveries_ready ON deliveries (status, ready_at);
CREATE INDEX IF NOT EXISTS events_stored ON events (stored_at);`;

interface Write {
  run(): unknown;
  /** Must be on disk before it resolves (an enqueue, a re-drive); others may wait for the next fsync. */
  durable: boolean;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface DeliveryRow {
  event_id: string;
  trigger: string;
  attempts: number;
  type: string;
  source: EventSource;
  time: string;
  payload: string;
  status: EventStatus;
  last_error: string | null;
}

/**
 * The event store on local disk: SQLite (better-sqlite3) in WAL mode; an event is committed with
 * `synchronous=FULL`, so once `enqueue` resolves it survives kill -9 and power loss. Writes made in
 * one event-loop turn share one transaction (one fsync). A delivered event's id is kept 24 hours
 * (for dedup), its payload is not. A claim is a lease:
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

  constructor(private readonly options: LocalStoreOptions) {}

  async open(): Promise<void> {
    mkdirSync(this.options.path, { recursive: true });
    const db = new Database(join(this.options.path, LOCAL_STORE_FILE));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    this.db = db;
    this.statements = prepare(db);
    this.prune();
    this.pruneTimer = setInterval(() => this.write(false, () => this.prune()).catch(() => undefined), 3600_000);
    this.pruneTimer.unref();
  }

  enqueue(event: NewEvent): Promise<EnqueueResult> {
    const payload = JSON.stringify(event.payload ?? null);
    return this.write(true, () => {
      const s = this.statements!;
      const now = Date.now();
      const seen = s.eventStoredAt.get(event.id) as { stored_at: number } | undefined;
      if (seen && seen.stored_at > now - DEDUP_WINDOW_MS) return { id: event.id, duplicate: true };
      s.upsertEvent.run(event.id, event.type, event.source, event.time, event.triggers.length > 0 ? payload : 'null', now);
      const readyAt = Math.max(now, event.notBefore ?? 0);
      for (const trigger of event.triggers) s.upsertDelivery.run(event.id, trigger, readyAt);
      return { id: event.id, duplicate: false };
    }) as Promise<EnqueueResult>;
  }

  async claim(max: number, waitMs: number): Promise<Delivery[]> {
    const until = Date.now() + waitMs;
    for (;;) {
      if (this.closed) return [];
      const now = Date.now();
      this.sync(false);
      const claimed = this.db!.transaction(() => {
        const rows = this.statements!.due.all(now, max) as DeliveryRow[];
        for (const row of rows) this.statements!.lease.run(now + this.options.leaseMs, row.event_id, row.trigger);
        return rows;
      })();
      if (claimed.length > 0) return claimed.map(toDelivery);
      if (now >= until) return [];
      const next = (this.statements!.nextReady.get() as { at: number | null }).at;
      const wakeAt = next === null ? until : Math.min(until, Math.max(next, now + 1));
      await this.wakeup.wait(wakeAt - now);
    }
  }

  ack(delivery: Delivery): Promise<void> {
    return this.write(false, () => {
      this.statements!.remove.run(delivery.id, delivery.trigger, delivery.attempt);
      this.statements!.forgetPayload.run(delivery.id, delivery.id); // only the id is kept, for dedup
    }) as Promise<never>;
  }

  retry(delivery: Delivery, delayMs: number, error: string): Promise<void> {
    return this.write(false, () =>
      this.statements!.retry.run(Date.now() + delayMs, error, delivery.id, delivery.trigger, delivery.attempt),
    ) as Promise<never>;
  }

  bury(delivery: Delivery, error: string): Promise<void> {
    return this.write(false, () => this.statements!.bury.run(error, delivery.id, delivery.trigger, delivery.attempt)) as Promise<never>;
  }

  async list(status: EventStatus, limit: number): Promise<EventRecord[]> {
    const rows = this.statements!.list.all(status, limit) as DeliveryRow[];
    return rows.map((row) => ({
      id: row.event_id,
      type: row.type,
      source: row.source,
      time: row.time,
      trigger: row.trigger,
      status: row.status,
      attempts: row.attempts,
      ...(row.last_error !== null ? { lastError: row.last_error } : {}),
      payload: JSON.parse(row.payload),
    }));
  }

  async redrive(id: string): Promise<number> {
    const changes = (await this.write(true, () => this.statements!.redrive.run(Date.now(), id).changes)) as number;
    if (changes > 0) this.wakeup.wake();
    return changes;
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

  /** Forgets events older than the dedup window that no trigger still has to deliver. */
  private prune(): void {
    this.statements!.prune.run(Date.now() - DEDUP_WINDOW_MS);
  }
}

function prepare(db: Database.Database) {
  const row = `d.event_id, d.trigger, d.attempts, d.status, d.last_error, e.type, e.source, e.time, e.payload`;
  return {
    eventStoredAt: db.prepare('SELECT stored_at FROM events WHERE id = ?'),
    upsertEvent: db.prepare('INSERT OR REPLACE INTO events (id, type, source, time, payload, stored_at) VALUES (?, ?, ?, ?, ?, ?)'),
    upsertDelivery: db.prepare(
      `INSERT OR REPLACE INTO deliveries (event_id, trigger, status, attempts, ready_at, last_error) VALUES (?, ?, 'pending', 0, ?, NULL)`,
    ),
    due: db.prepare(
      `SELECT ${row} FROM deliveries d JOIN events e ON e.id = d.event_id
       WHERE d.status = 'pending' AND d.ready_at <= ? ORDER BY d.ready_at LIMIT ?`,
    ),
    lease: db.prepare('UPDATE deliveries SET attempts = attempts + 1, ready_at = ? WHERE event_id = ? AND trigger = ?'),
    nextReady: db.prepare(`SELECT MIN(ready_at) AS at FROM deliveries WHERE status = 'pending'`),
    remove: db.prepare('DELETE FROM deliveries WHERE event_id = ? AND trigger = ? AND attempts = ?'),
    forgetPayload: db.prepare(`UPDATE events SET payload = 'null' WHERE id = ? AND NOT EXISTS (SELECT 1 FROM deliveries WHERE event_id = ?)`),
    retry: db.prepare('UPDATE deliveries SET ready_at = ?, last_error = ? WHERE event_id = ? AND trigger = ? AND attempts = ?'),
    bury: db.prepare(`UPDATE deliveries SET status = 'dead', last_error = ? WHERE event_id = ? AND trigger = ? AND attempts = ?`),
    list: db.prepare(
      `SELECT ${row} FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.status = ? ORDER BY e.stored_at, d.trigger LIMIT ?`,
    ),
    redrive: db.prepare(`UPDATE deliveries SET status = 'pending', attempts = 0, ready_at = ? WHERE event_id = ? AND status = 'dead'`),
    counts: db.prepare('SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status'),
    prune: db.prepare(
      'DELETE FROM events WHERE stored_at < ? AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id)',
    ),
  };
}

function toDelivery(row: DeliveryRow): Delivery {
  return {
    id: row.event_id,
    type: row.type,
    source: row.source,
    time: row.time,
    payload: JSON.parse(row.payload),
    trigger: row.trigger,
    attempt: row.attempts + 1,
  };
}
