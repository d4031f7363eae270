/** A trigger as the eventing library runs it: validated config (docs/events.md, docs/config.md). */
export interface TriggerSpec {
  name: string;
  on: TriggerOn;
  call: { service: string; func: string };
  /** Attempts after the first. */
  retries: number;
  /** Milliseconds before retry n (the last one repeats). */
  backoff: readonly number[];
  /** Milliseconds one attempt may take. */
  timeout: number;
}

export type TriggerOn =
  | { kind: 'event'; event: string }
  | { kind: 'schedule'; schedule: string; timezone: string; tolerance: number }
  | { kind: 'table'; table: string; ops: readonly TableOp[]; db: string };

export type TableOp = 'insert' | 'update' | 'delete';

export const DEFAULT_RETRIES = 3;
export const DEFAULT_BACKOFF: readonly number[] = [1000, 5000, 30000];
/** How old a missed schedule occurrence may be and still be delivered at start-up (ms). */
export const DEFAULT_TOLERANCE = 3_600_000;

/** Milliseconds to wait before the retry that follows failed attempt `attempt` (1-based). */
export function backoffAfter(backoff: readonly number[], attempt: number): number {
  if (backoff.length === 0) return 0;
  return backoff[Math.min(attempt, backoff.length) - 1];
}
