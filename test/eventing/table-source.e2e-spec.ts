import { Delivery, EventLogger, EventStore, LocalEventStore, NewEvent, TableSource, TriggerSpec } from '@nest-mesh/eventing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from '../support/free-port';
import { until } from '../support/until';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function reachable(): Promise<boolean> {
  const client = new Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Database changes as events: against the PostgreSQL of this machine (CI has one too; there it must be reachable). */
describe('TableSource (PostgreSQL)', () => {
  const run = `${process.pid}_${Date.now().toString(36)}`;
  const logSchema = `nest_mesh_t${run}`;
  const appSchema = `app_t${run}`;
  const table = `${appSchema}.orders`;
  let available = false;
  let sql: Client;
  let dir: string;
  let store: LocalEventStore;
  const sources: TableSource[] = [];
  const lines: string[] = [];
  const logger: EventLogger = { log: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(`ERROR ${m}`) };

  const trigger = (name: string, ops: TriggerSpec['on'] extends infer T ? (T extends { ops: infer O } ? O : never) : never, t = table, db = PG_URL): TriggerSpec => ({
    name,
    on: { kind: 'table', table: t, ops, db },
    call: { service: 'orders', func: name },
    retries: 0,
    backoff: [],
    timeout: 1000,
  });
  const source = (s: EventStore, triggers: TriggerSpec[], db = PG_URL) => {
    const made = new TableSource(s, { db, triggers, schema: logSchema, pollMs: 500, retryMs: 300, logger });
    sources.push(made);
    made.start();
    return made;
  };
  async function drainStore(count: number, ms = 15_000): Promise<Delivery[]> {
    const all: Delivery[] = [];
    const deadline = Date.now() + ms;
    while (all.length < count && Date.now() < deadline) {
      const got = await store.claim(count - all.length, 200);
      for (const d of got) await store.ack(d);
      all.push(...got);
    }
    return all;
  }

  beforeAll(async () => {
    available = await reachable();
    if (!available) return;
    sql = new Client({ connectionString: PG_URL });
    await sql.connect();
    await sql.query(`CREATE SCHEMA ${appSchema}; CREATE TABLE ${table} (id serial PRIMARY KEY, item text NOT NULL, qty int NOT NULL)`);
    dir = mkdtempSync(join(tmpdir(), 'nest-mesh-table-'));
    store = new LocalEventStore({ path: dir, leaseMs: 30_000 });
    await store.open();
  });
  afterEach(async () => {
    for (const s of sources.splice(0)) await s.stop();
  });
  afterAll(async () => {
    if (!available) return;
    await store.close();
    await sql.query(`DROP SCHEMA IF EXISTS ${appSchema} CASCADE; DROP SCHEMA IF EXISTS ${logSchema} CASCADE`).catch(() => undefined);
    await sql.end();
    rmSync(dir, { recursive: true, force: true });
  });

  const guard = (fn: () => Promise<void>) => async () => {
    if (!available) {
      if (process.env.CI === 'true') throw new Error(`PostgreSQL at ${PG_URL} is unreachable; CI must have it`);
      console.warn(`skipped: PostgreSQL at ${PG_URL} is unreachable`);
      return;
    }
    await fn();
  };

  it('turns inserts, updates and deletes into events with {op, table, old, new}; an update that changes nothing is none', guard(async () => {
    const s = source(store, [trigger('order-changed', ['insert', 'update', 'delete'])]);
    await until(() => s.isReady, 15_000, 'source ready');
    await sql.query(`INSERT INTO ${table} (item, qty) VALUES ('tea', 1)`);
    await sql.query(`UPDATE ${table} SET qty = 1 WHERE item = 'tea'`); // no change
    await sql.query(`UPDATE ${table} SET qty = 2 WHERE item = 'tea'`);
    await sql.query(`DELETE FROM ${table} WHERE item = 'tea'`);
    const events = await drainStore(3);
    await new Promise((r) => setTimeout(r, 700));
    expect(await store.claim(10, 200)).toEqual([]);
    expect(events.map((e) => e.payload)).toEqual([
      { op: 'insert', table, old: null, new: { id: expect.any(Number), item: 'tea', qty: 1 } },
      { op: 'update', table, old: expect.objectContaining({ qty: 1 }), new: expect.objectContaining({ qty: 2 }) },
      { op: 'delete', table, old: expect.objectContaining({ item: 'tea', qty: 2 }), new: null },
    ]);
    for (const e of events) expect(e).toMatchObject({ source: 'table', type: 'order-changed', trigger: 'order-changed', id: expect.stringMatching(/^order-changed:/) });
    const left = await sql.query(`SELECT count(*)::int AS n FROM ${logSchema}.event_log`);
    expect(left.rows[0].n).toBe(0);
  }));

  it('installs idempotently and only for the ops asked', guard(async () => {
    source(store, [trigger('order-created', ['insert'])]);
    const second = source(store, [trigger('order-created', ['insert'])]);
    await until(() => sources.every((x) => x.isReady), 15_000, 'sources ready');
    expect(second.isReady).toBe(true);
    await sql.query(`INSERT INTO ${table} (item, qty) VALUES ('milk', 3)`);
    await sql.query(`UPDATE ${table} SET qty = 4 WHERE item = 'milk'`);
    const events = await drainStore(1);
    await new Promise((r) => setTimeout(r, 700));
    expect(await store.claim(10, 200)).toEqual([]);
    expect(events.map((e) => (e.payload as { op: string }).op)).toEqual(['insert']);
  }));

  it('does no DDL when all is installed already, so a restart never waits for (or blocks) the writers of the table', guard(async () => {
    const first = source(store, [trigger('order-created', ['insert'])]);
    await until(() => first.isReady, 15_000, 'first ready');
    const writer = new Client({ connectionString: PG_URL });
    await writer.connect();
    try {
      await writer.query(`BEGIN; INSERT INTO ${table} (item, qty) VALUES ('open', 1)`); // holds the table's write lock
      const second = source(store, [trigger('order-created', ['insert'])]);
      await until(() => second.isReady, 5_000, 'second ready while a writer holds the table');
      await writer.query('COMMIT');
    } finally {
      await writer.query('ROLLBACK').catch(() => undefined);
      await writer.end();
    }
    expect((await drainStore(1)).map((e) => (e.payload as { new: { item: string } }).new.item)).toEqual(['open']);
  }));

  it('shares the log between several gateways: every change is stored once', guard(async () => {
    const seen = new Map<string, number>();
    const counting: EventStore = Object.create(store);
    counting.enqueue = async (event: NewEvent) => {
      seen.set(event.id, (seen.get(event.id) ?? 0) + 1);
      return store.enqueue(event);
    };
    await sql.query(`DROP TRIGGER IF EXISTS "nest_mesh_order-created" ON ${table}`);
    const triggers = [trigger('bulk', ['insert'])];
    const a = source(counting, triggers);
    const b = source(counting, triggers);
    await until(() => a.isReady && b.isReady, 15_000, 'sources ready');
    for (let i = 0; i < 10; i++) {
      await sql.query(`INSERT INTO ${table} (item, qty) SELECT 'bulk', g FROM generate_series(1, 50) g`);
    }
    await until(() => seen.size === 500, 20_000, '500 changes stored');
    await new Promise((r) => setTimeout(r, 700));
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect((await drainStore(500)).length).toBe(500);
  }));

  it('loses no change when its connection is cut under a stream of inserts', guard(async () => {
    const triggers = [trigger('stream', ['insert'])];
    await sql.query(`DROP TRIGGER IF EXISTS "nest_mesh_bulk" ON ${table}`);
    const s = source(store, triggers);
    await until(() => s.isReady, 15_000, 'source ready');
    const inserting = (async () => {
      for (let i = 0; i < 60; i++) {
        await sql.query(`INSERT INTO ${table} (item, qty) VALUES ('stream', $1)`, [i]);
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    for (let cut = 0; cut < 3; cut++) {
      await new Promise((r) => setTimeout(r, 400));
      await sql.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [`nest-mesh events (${logSchema})`]);
    }
    await inserting;
    const events = await drainStore(60, 30_000);
    expect(events.map((e) => (e.payload as { new: { qty: number } }).new.qty).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(lines.some((l) => l.startsWith('ERROR') && l.includes('stream'))).toBe(true);
    await until(() => s.isReady, 15_000, 'ready again');
  }));

  it('an unknown table or an unreachable database is one error line and not ready, never a crash', guard(async () => {
    lines.length = 0;
    const unknown = source(store, [trigger('ghost', ['insert'], `${appSchema}.no_such_table`)]);
    const port = await freePort();
    const down = source(store, [trigger('down', ['insert'], table, `postgres://postgres@127.0.0.1:${port}/test`)], `postgres://postgres@127.0.0.1:${port}/test`);
    await new Promise((r) => setTimeout(r, 2000)); // several retries
    expect(unknown.isReady).toBe(false);
    expect(down.isReady).toBe(false);
    const errors = lines.filter((l) => l.startsWith('ERROR'));
    expect(errors.filter((l) => l.includes('ghost'))).toEqual([expect.stringMatching(/ghost: .*no_such_table.* does not exist; not ready/)]);
    expect(errors.filter((l) => l.includes('down'))).toHaveLength(1);
  }));
});
