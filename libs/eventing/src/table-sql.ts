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

export function installSchemaSql(schema: string): string {
  const s = ident(schema);
  return `
SELECT pg_advisory_xact_lock(hashtext(${literal(`nest-mesh:${schema}`)}));
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
CREATE OR REPLACE FUNCTION ${s}.capture() RETURNS trigger LANGUAGE plpgsql AS $body$
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
$body$;`;
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
