/** The SQLite schema of the local event store (local-store.ts), its migrations and its statements. */
import Database from 'better-sqlite3';

/**
 * What one waiting event counts against `maxPendingBytes` besides its payload's JSON: its id, type,
 * key, time and deliveries (docs/events.md).
 */
export const EVENT_OVERHEAD_BYTES = 256;

/**
 * Schema 2 (`PRAGMA user_version`): events keyed by their dedupKey, with `size`, what the event
 * counts against `maxPendingBytes` while it has deliveries (0 once it has none). Schema 1 (version 0,
 * events keyed by id alone) is migrated in place when the store opens.
 */
const SCHEMA_VERSION = 2;
const SCHEMA = `
CREATE TABLE events (
  key TEXT PRIMARY KEY, id TEXT NOT NULL, type TEXT NOT NULL, source TEXT NOT NULL, time TEXT NOT NULL,
  payload TEXT NOT NULL, size INTEGER NOT NULL, stored_at INTEGER NOT NULL);
CREATE TABLE deliveries (
  event_key TEXT NOT NULL, trigger TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
  ready_at INTEGER NOT NULL, last_error TEXT, PRIMARY KEY (event_key, trigger));
CREATE INDEX deliveries_ready ON deliveries (status, ready_at);
CREATE INDEX events_stored ON events (stored_at, key);
CREATE INDEX events_id ON events (id);`;

/** Schema 1 to 2: the same events and deliveries, keyed by `<source>|<type>|<id>` (see dedupKey). */
const MIGRATE_FROM_1 = `
ALTER TABLE events RENAME TO events_v1;
ALTER TABLE deliveries RENAME TO deliveries_v1;
DROP INDEX IF EXISTS deliveries_ready;
DROP INDEX IF EXISTS events_stored;
${SCHEMA}
INSERT INTO events (key, id, type, source, time, payload, size, stored_at)
  SELECT source || '|' || type || '|' || id, id, type, source, time, payload,
    CASE WHEN EXISTS (SELECT 1 FROM deliveries_v1 d WHERE d.event_id = e.id)
      THEN length(CAST(payload AS BLOB)) + ${EVENT_OVERHEAD_BYTES} ELSE 0 END,
    stored_at
  FROM events_v1 e;
INSERT INTO deliveries (event_key, trigger, status, attempts, ready_at, last_error)
  SELECT e.source || '|' || e.type || '|' || e.id, d.trigger, d.status, d.attempts, d.ready_at, d.last_error
  FROM deliveries_v1 d JOIN events_v1 e ON e.id = d.event_id;
DROP TABLE deliveries_v1;
DROP TABLE events_v1;`;

/** Brings a store of any earlier schema to SCHEMA_VERSION, in one transaction; refuses a newer one. */
export function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version === SCHEMA_VERSION) return;
  if (version > SCHEMA_VERSION) throw new Error(`the store's schema ${version} is newer than this gateway's (${SCHEMA_VERSION})`);
  db.transaction(() => {
    const hasEvents = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'`).get() !== undefined;
    db.exec(hasEvents ? MIGRATE_FROM_1 : SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

/** The statements of the store, prepared once when it opens. */
export function prepare(db: Database.Database) {
  const row = `d.event_key, d.trigger, d.attempts, d.status, d.last_error, e.id, e.type, e.source, e.time, e.payload, e.stored_at`;
  const keysOfId = `SELECT key FROM events WHERE id = ? AND (? IS NULL OR type = ?)`;
  return {
    seen: db.prepare('SELECT stored_at, size FROM events WHERE key = ?'),
    upsertEvent: db.prepare('INSERT OR REPLACE INTO events (key, id, type, source, time, payload, size, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    upsertDelivery: db.prepare(
      `INSERT OR REPLACE INTO deliveries (event_key, trigger, status, attempts, ready_at, last_error) VALUES (?, ?, 'pending', 0, ?, NULL)`,
    ),
    due: db.prepare(
      `SELECT ${row} FROM deliveries d JOIN events e ON e.key = d.event_key
       WHERE d.status = 'pending' AND d.ready_at <= ? ORDER BY d.ready_at LIMIT ?`,
    ),
    lease: db.prepare('UPDATE deliveries SET attempts = attempts + 1, ready_at = ? WHERE event_key = ? AND trigger = ?'),
    nextReady: db.prepare(`SELECT MIN(ready_at) AS at FROM deliveries WHERE status = 'pending'`),
    remove: db.prepare('DELETE FROM deliveries WHERE event_key = ? AND trigger = ? AND attempts = ?'),
    removeAll: db.prepare('DELETE FROM deliveries WHERE event_key = ?'),
    sizeIfDone: db.prepare('SELECT size FROM events WHERE key = ? AND size > 0 AND NOT EXISTS (SELECT 1 FROM deliveries WHERE event_key = ?)'),
    forgetPayload: db.prepare(`UPDATE events SET payload = 'null', size = 0 WHERE key = ?`),
    heldBytes: db.prepare('SELECT COALESCE(SUM(size), 0) AS n FROM events'),
    retry: db.prepare('UPDATE deliveries SET ready_at = ?, last_error = ? WHERE event_key = ? AND trigger = ? AND attempts = ?'),
    bury: db.prepare(`UPDATE deliveries SET status = 'dead', last_error = ? WHERE event_key = ? AND trigger = ? AND attempts = ?`),
    list: db.prepare(
      `SELECT ${row} FROM events e JOIN deliveries d ON d.event_key = e.key
       WHERE d.status = ? AND e.stored_at >= ? AND (e.stored_at, e.key, d.trigger) > (?, ?, ?)
       ORDER BY e.stored_at, e.key, d.trigger LIMIT ?`,
    ),
    keysOf: db.prepare(keysOfId),
    redrive: db.prepare(`UPDATE deliveries SET status = 'pending', attempts = 0, ready_at = ? WHERE status = 'dead' AND event_key IN (${keysOfId})`),
    counts: db.prepare('SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status'),
    prune: db.prepare(
      'DELETE FROM events WHERE stored_at < ? AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_key = events.key)',
    ),
  };
}
