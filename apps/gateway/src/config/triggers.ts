import { DEDUP_WINDOW_MS, DEFAULT_BACKOFF, DEFAULT_RETRIES, DEFAULT_TOLERANCE, scheduleError, TableOp, TriggerSpec } from '@nest-mesh/eventing';
import { isValidEventType, isValidName, NAME_RULE } from '@nest-mesh/wire';
import type { GatewayConfig } from './gateway-config';

/** A trigger config mistake; the message starts with the path, e.g. `modules.eventing.triggers.x.call.service: ...`. */
export class TriggerConfigError extends Error {
  override name = 'TriggerConfigError';
}

const ROOT = 'modules.eventing.triggers';
const TRIGGER_KEYS = ['on', 'call', 'retries', 'backoff', 'timeout'];
const ON_KEYS = { event: ['event'], schedule: ['schedule', 'timezone', 'tolerance'], table: ['table', 'ops', 'db'] } as const;
const OPS: readonly TableOp[] = ['insert', 'update', 'delete'];
/** `schema.table` or `table`: plain SQL identifiers. */
const TABLE_NAME = /^([A-Za-z_][A-Za-z0-9_$]{0,62}\.)?[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
const MAX_RETRIES = 100;

/**
 * The triggers of `modules.eventing.triggers`, checked and with their defaults (docs/config.md):
 * throws TriggerConfigError naming the path of the first mistake. `timeout` defaults to
 * `modules.functions.timeout.default` and may not exceed `timeout.max`.
 */
export function triggersOf(config: GatewayConfig): TriggerSpec[] {
  const raw = config.modules.eventing.triggers;
  const { timeout } = config.modules.functions;
  return Object.entries(raw).map(([name, value]) => {
    const path = `${ROOT}.${name}`;
    if (!isValidName(name)) fail(path, `invalid trigger name (${NAME_RULE})`);
    const entry = object(value, path);
    keysOnly(entry, TRIGGER_KEYS, path);
    const call = object(entry.call, `${path}.call`);
    keysOnly(call, ['service', 'func'], `${path}.call`);
    for (const key of ['service', 'func'] as const) {
      if (!isValidName(call[key])) fail(`${path}.call.${key}`, NAME_RULE);
    }
    const retries = integer(entry.retries, `${path}.retries`, 0, MAX_RETRIES) ?? DEFAULT_RETRIES;
    let backoff = DEFAULT_BACKOFF;
    if (entry.backoff !== undefined) {
      if (!Array.isArray(entry.backoff) || entry.backoff.length === 0) fail(`${path}.backoff`, 'must be a non-empty list of milliseconds');
      backoff = (entry.backoff as unknown[]).map((ms, i) => integer(ms, `${path}.backoff.${i}`, 0, 86_400_000)!);
    }
    const callTimeout = integer(entry.timeout, `${path}.timeout`, 1, timeout.max) ?? timeout.default;
    return { name, on: onOf(entry.on, `${path}.on`), call: { service: call.service as string, func: call.func as string }, retries, backoff, timeout: callTimeout };
  });
}

function onOf(value: unknown, path: string): TriggerSpec['on'] {
  const on = object(value, path);
  const kinds = (Object.keys(ON_KEYS) as (keyof typeof ON_KEYS)[]).filter((kind) => on[kind] !== undefined);
  if (kinds.length !== 1) fail(path, 'needs exactly one of event, schedule, table');
  const kind = kinds[0];
  keysOnly(on, ON_KEYS[kind], path);
  if (kind === 'event') {
    if (!isValidEventType(on.event)) fail(`${path}.event`, 'must be an event type (1-128 of [A-Za-z0-9._:-])');
    return { kind, event: on.event as string };
  }
  if (kind === 'schedule') {
    if (typeof on.schedule !== 'string') fail(`${path}.schedule`, 'must be a cron pattern (5 or 6 fields)');
    if (on.timezone !== undefined && typeof on.timezone !== 'string') fail(`${path}.timezone`, 'must be a timezone name');
    const timezone = (on.timezone as string | undefined) ?? 'UTC';
    const problem = scheduleError(on.schedule as string, timezone);
    if (problem) fail(problem.includes('timezone') ? `${path}.timezone` : `${path}.schedule`, problem);
    // At most the dedup window: an older occurrence might have run already and been forgotten.
    const tolerance = integer(on.tolerance, `${path}.tolerance`, 0, DEDUP_WINDOW_MS) ?? DEFAULT_TOLERANCE;
    return { kind, schedule: on.schedule as string, timezone, tolerance };
  }
  if (typeof on.table !== 'string' || !TABLE_NAME.test(on.table)) fail(`${path}.table`, 'must be a table name, schema.table or table');
  const table = (on.table as string).includes('.') ? (on.table as string) : `public.${on.table as string}`;
  let ops: readonly TableOp[] = OPS;
  if (on.ops !== undefined) {
    if (!Array.isArray(on.ops) || on.ops.length === 0) fail(`${path}.ops`, 'must be a non-empty list of insert, update, delete');
    (on.ops as unknown[]).forEach((op, i) => {
      if (!OPS.includes(op as TableOp)) fail(`${path}.ops.${i}`, `must be one of insert, update, delete`);
    });
    ops = [...new Set(on.ops as TableOp[])];
  }
  if (typeof on.db !== 'string' || !/^postgres(ql)?:\/\//.test(on.db)) fail(`${path}.db`, 'must be a postgres:// URL');
  return { kind, table, ops, db: on.db as string };
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, 'must be an object');
  return value as Record<string, unknown>;
}

function keysOnly(value: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) fail(`${path}.${key}`, 'unknown key');
}

function integer(value: unknown, path: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(path, `must be an integer from ${min} to ${max}`);
  }
  return value as number;
}

function fail(path: string, what: string): never {
  throw new TriggerConfigError(`${path}: ${what}`);
}
