import type { TableOp } from './trigger';

/**
 * The SQL the table source installs in a PostgreSQL database (docs/events.md): in its own schema,
 * an event log table and a row trigger function that writes each change there and NOTIFYs. Every
 * statement is idempotent; the installation runs in one transaction under an advisory lock, so
 * several gateways may install at once. Names are checked identifiers, quoted.
 */

/** Quotes an identifier that has already been checked to be a plain name. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `schema.table` quoted. */
export function qualified(table: string): string {
  const [schema, name] = table.split('.');
  return `${ident(schema)}.${ident(name)}`;
}

/** The NOTIFY channel of a schema's event log. */
export function channelOf(schema: string): string {
  return `${schema}_events`;
}

/** Serializes the installations of one schema (held until the transaction ends). */
export function installLockSql(schema: string): string {
  return `SELECT pg_advisory_xact_lock(hashtext(${literal(`nest-mesh:${schema}`)}));`;
}

export function installSchemaSql(schema: string): string {
  const s = ident(schema);
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.event_log (
  seq bigserial PRIMARY KEY,
  id text NOT NULL DEFAULT md5(random()::text || clock_timestamp()::text),
  trigger_name text NOT NULL,
  op text NOT NULL,
  table_name text NOT NULL,
  old_row jsonb,
  new_row jsonb,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE INDEX IF NOT EXISTS event_log_trigger ON ${s}.event_log (trigger_name, seq);
CREATE OR REPLACE FUNCTION ${s}.capture() RETURNS trigger LANGUAGE plpgsql AS $body$${captureBody(schema)}$body$;`;
}

/** The body of the capture function; compared with the installed one to skip needless DDL. */
export function captureBody(schema: string): string {
  const s = ident(schema);
  return `
DECLARE
  o jsonb;
  n jsonb;
BEGIN
  IF TG_OP <> 'INSERT' THEN o := to_jsonb(OLD); END IF;
  IF TG_OP <> 'DELETE' THEN n := to_jsonb(NEW); END IF;
  IF TG_OP = 'UPDATE' AND o = n THEN RETURN NULL; END IF;
  INSERT INTO ${s}.event_log (trigger_name, op, table_name, old_row, new_row)
    VALUES (TG_ARGV[0], lower(TG_OP), TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, o, n);
  PERFORM pg_notify(${literal(channelOf(schema))}, TG_ARGV[0]);
  RETURN NULL;
END
`;
}

/** $1 schema: the installed capture function's body and whether the event log exists. */
export const INSTALLED_SCHEMA_SQL = `SELECT
  (SELECT p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.proname = 'capture') AS body,
  to_regclass(quote_ident($1) || '.event_log') IS NOT NULL AS has_log`;

/** $1 table (quoted), $2 trigger name, $3 schema: the installed row trigger's type bits, if it calls that schema's capture(). */
export const INSTALLED_TRIGGER_SQL = `SELECT t.tgtype FROM pg_trigger t
  JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE t.tgrelid = to_regclass($1) AND t.tgname = $2 AND NOT t.tgisinternal AND n.nspname = $3 AND p.proname = 'capture'`;

/** pg_trigger.tgtype of an AFTER ... FOR EACH ROW trigger on `ops`. */
export function triggerType(ops: readonly TableOp[]): number {
  return 1 | (ops.includes('insert') ? 4 : 0) | (ops.includes('delete') ? 8 : 0) | (ops.includes('update') ? 16 : 0);
}

/** (Re)creates the row trigger of one mesh trigger on its table, for its ops. */
export function installTriggerSql(schema: string, trigger: string, table: string, ops: readonly TableOp[]): string {
  const name = ident(`nest_mesh_${trigger}`);
  const events = ops.map((op) => op.toUpperCase()).join(' OR ');
  return `
DROP TRIGGER IF EXISTS ${name} ON ${qualified(table)};
CREATE TRIGGER ${name} AFTER ${events} ON ${qualified(table)}
  FOR EACH ROW EXECUTE FUNCTION ${ident(schema)}.capture(${literal(trigger)});`;
}

/** Takes (locks) up to $2 rows of the triggers in $1, skipping rows another gateway holds. */
export function claimRowsSql(schema: string): string {
  return `SELECT seq, id, trigger_name, op, table_name, old_row, new_row, created_at FROM ${ident(schema)}.event_log
  WHERE trigger_name = ANY($1) ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED`;
}

export function deleteRowsSql(schema: string): string {
  return `DELETE FROM ${ident(schema)}.event_log WHERE seq = ANY($1)`;
}

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
