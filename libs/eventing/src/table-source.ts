import { Client } from 'pg';
import { EventLogger, SILENT } from './event-logger';
import { EventMetrics, NO_METRICS } from './event-metrics';
import type { EventStore } from './event-store';
import {
  captureBody,
  channelOf,
  claimRowsSql,
  deleteRowsSql,
  INSTALLED_SCHEMA_SQL,
  INSTALLED_TRIGGER_SQL,
  installLockSql,
  installSchemaSql,
  installTriggerSql,
  qualified,
  triggerType,
} from './table-sql';
import type { TriggerSpec } from './trigger';

export interface TableSourceOptions {
  /** The database of these triggers (a postgres:// URL). */
  db: string;
  /** The table triggers on that database. */
  triggers: readonly TriggerSpec[];
  /** The schema the gateway installs its event log and function in. Default `nest_mesh`. */
  schema?: string;
  /** How often the log is read without a NOTIFY (ms). Default 5000. */
  pollMs?: number;
  /** How long to wait before connecting again after a failure (ms). Default 5000. */
  retryMs?: number;
  metrics?: EventMetrics;
  logger?: EventLogger;
}

export const DEFAULT_TABLE_SCHEMA = 'nest_mesh';
const BATCH = 200;

interface LogRow {
  seq: string;
  id: string;
  trigger_name: string;
  op: string;
  table_name: string;
  old_row: unknown;
  new_row: unknown;
  created_at: Date;
}

/**
 * Database changes as events (docs/events.md), Hasura's way: a row trigger writes each change to
 * an event log table and NOTIFYs; the source takes rows with `FOR UPDATE SKIP LOCKED` (so several
 * gateways share the work), stores them as events (id `<trigger>:<row id>`, so a row stored twice
 * is kept once), and deletes them in the same transaction. A failure (unreachable database, unknown
 * table) is one log line and `ready` false until it works again; it never throws.
 */
export class TableSource {
  private readonly schema: string;
  private readonly names: string[];
  private readonly metrics: EventMetrics;
  private readonly logger: EventLogger;
  private client?: Client;
  private stopped = false;
  private ready = false;
  private failing = false;
  private draining = false;
  private again = false;
  private pollTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private drained?: Promise<void>;

  constructor(
    private readonly store: EventStore,
    private readonly options: TableSourceOptions,
  ) {
    this.schema = options.schema ?? DEFAULT_TABLE_SCHEMA;
    this.names = options.triggers.map((t) => t.name);
    this.metrics = options.metrics ?? NO_METRICS;
    this.logger = options.logger ?? SILENT;
  }

  get isReady(): boolean {
    return this.ready;
  }

  start(): void {
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pollTimer);
    await this.drained?.catch(() => undefined);
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
    this.ready = false;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.options.db, connectionTimeoutMillis: 10_000, application_name: `nest-mesh events (${this.schema})` });
    client.on('error', (error) => this.failed(client, error));
    try {
      await client.connect();
      await this.install(client);
      await client.query(`LISTEN ${channelOf(this.schema)}`);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      return this.failed(client, error as Error);
    }
    if (this.stopped) return void client.end().catch(() => undefined);
    this.client = client;
    this.ready = true;
    if (this.failing) this.logger.log(`table triggers ${this.names.join(', ')}: connected again`);
    this.failing = false;
    client.on('notification', () => this.drain());
    this.pollTimer = setInterval(() => this.drain(), this.options.pollMs ?? 5000);
    this.pollTimer.unref();
    this.drain();
  }

  /** Installs what is missing or different, in one transaction; nothing when all is in place. */
  private async install(client: Client): Promise<void> {
    const installed = (await client.query<{ body: string | null; has_log: boolean }>(INSTALLED_SCHEMA_SQL, [this.schema])).rows[0];
    const schemaMissing = !installed.has_log || installed.body !== captureBody(this.schema);
    const triggersMissing: TriggerSpec[] = [];
    for (const trigger of this.options.triggers) {
      if (trigger.on.kind !== 'table') continue;
      const { rows } = await client.query<{ tgtype: number }>(INSTALLED_TRIGGER_SQL, [qualified(trigger.on.table), `nest_mesh_${trigger.name}`, this.schema]);
      if (rows[0]?.tgtype !== triggerType(trigger.on.ops)) triggersMissing.push(trigger);
    }
    if (!schemaMissing && triggersMissing.length === 0) return;
    await client.query(`BEGIN; SET LOCAL lock_timeout = '10s';${installLockSql(this.schema)}${schemaMissing ? installSchemaSql(this.schema) : ''}`);
    for (const trigger of triggersMissing) {
      if (trigger.on.kind === 'table') await client.query(installTriggerSql(this.schema, trigger.name, trigger.on.table, trigger.on.ops));
    }
    await client.query('COMMIT');
  }

  private failed(client: Client, error: Error): void {
    if (this.client === client) this.client = undefined;
    clearInterval(this.pollTimer);
    this.ready = false;
    void client.end().catch(() => undefined);
    if (this.stopped) return;
    if (!this.failing) {
      this.failing = true;
      this.logger.error(`table triggers ${this.names.join(', ')}: ${error.message}; not ready, retrying every ${this.options.retryMs ?? 5000} ms`);
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), this.options.retryMs ?? 5000);
    this.retryTimer.unref();
  }

  /** Moves the log into the store, one batch per transaction, until it is empty. One drain at a time. */
  private drain(): void {
    if (this.draining) {
      this.again = true;
      return;
    }
    const client = this.client;
    if (!client || this.stopped) return;
    this.draining = true;
    this.drained = (async () => {
      try {
        do {
          this.again = false;
          while ((await this.moveBatch(client)) === BATCH && !this.stopped);
        } while (this.again && !this.stopped);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        this.failed(client, error as Error);
      } finally {
        this.draining = false;
      }
    })();
  }

  private async moveBatch(client: Client): Promise<number> {
    await client.query('BEGIN');
    const { rows } = await client.query<LogRow>(claimRowsSql(this.schema), [this.names, BATCH]);
    if (rows.length === 0) {
      await client.query('COMMIT');
      return 0;
    }
    const stored = await Promise.all(
      rows.map((row) =>
        this.store.enqueue({
          id: `${row.trigger_name}:${row.id}`,
          type: row.trigger_name,
          source: 'table',
          time: row.created_at.toISOString(),
          payload: { op: row.op, table: row.table_name, old: row.old_row, new: row.new_row },
          triggers: [row.trigger_name],
        }),
      ),
    );
    stored.forEach(({ duplicate }, i) => duplicate || this.metrics.queued(rows[i].trigger_name));
    await client.query(deleteRowsSql(this.schema), [rows.map((r) => r.seq)]);
    await client.query('COMMIT');
    return rows.length;
  }
}
