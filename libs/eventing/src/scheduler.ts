import { Cron } from 'croner';
import { EventLogger, SILENT } from './event-logger';
import { EventMetrics, NO_METRICS } from './event-metrics';
import type { EventStore } from './event-store';
import type { TriggerSpec } from './trigger';

/** Why `pattern` in `timezone` is not a usable schedule, or undefined when it is (5 or 6 fields, seconds first). */
export function scheduleError(pattern: string, timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    return `unknown timezone "${timezone}"`;
  }
  try {
    const cron = new Cron(pattern, { timezone, paused: true });
    if (cron.nextRun() === null) return `"${pattern}" never occurs`;
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^CronPattern: /, '');
  }
}

/** The id of a schedule's occurrence: `<trigger>:<ISO time>`, the same on every gateway. */
export function occurrenceId(trigger: string, at: Date): string {
  return `${trigger}:${at.toISOString()}`;
}

/** The longest wait one timer is given; a later occurrence is re-armed when it ends. */
const MAX_TIMER_MS = 2_147_483_647;
/** Bound on the occurrences walked when looking for the latest missed one. */
const MAX_WALK = 1_000_000;

interface Armed {
  trigger: TriggerSpec;
  cron: Cron;
  timer?: NodeJS.Timeout;
}

/**
 * Turns schedule triggers into events: each occurrence is enqueued with the id
 * `<trigger>:<ISO time>`, so however many gateways run it, the store keeps it once. At start-up
 * only the latest occurrence missed (less than `tolerance` ms old) is enqueued: never a burst.
 */
export class Scheduler {
  private readonly armed: Armed[] = [];
  private stopped = false;
  private readonly metrics: EventMetrics;
  private readonly logger: EventLogger;

  constructor(
    private readonly store: EventStore,
    triggers: readonly TriggerSpec[],
    options: { metrics?: EventMetrics; logger?: EventLogger } = {},
  ) {
    this.metrics = options.metrics ?? NO_METRICS;
    this.logger = options.logger ?? SILENT;
    for (const trigger of triggers) {
      if (trigger.on.kind !== 'schedule') continue;
      this.armed.push({ trigger, cron: new Cron(trigger.on.schedule, { timezone: trigger.on.timezone, paused: true }) });
    }
  }

  async start(now = Date.now()): Promise<void> {
    for (const entry of this.armed) {
      const missed = latestMissed(entry.cron, now, entry.trigger.on.kind === 'schedule' ? entry.trigger.on.tolerance : 0);
      if (missed) await this.enqueue(entry.trigger, missed);
      this.arm(entry, now);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const entry of this.armed) clearTimeout(entry.timer);
  }

  private arm(entry: Armed, from: number): void {
    if (this.stopped) return;
    const next = entry.cron.nextRun(new Date(from));
    if (!next) return;
    const wait = next.getTime() - Date.now();
    entry.timer = setTimeout(() => {
      if (Date.now() < next.getTime() - 5) return this.arm(entry, Date.now()); // a long wait cut short
      void this.enqueue(entry.trigger, next);
      this.arm(entry, Math.max(Date.now(), next.getTime()));
    }, Math.min(Math.max(wait, 0), MAX_TIMER_MS));
    entry.timer.unref?.();
  }

  private async enqueue(trigger: TriggerSpec, at: Date): Promise<void> {
    const id = occurrenceId(trigger.name, at);
    try {
      const { duplicate } = await this.store.enqueue({
        id,
        type: trigger.name,
        source: 'schedule',
        time: at.toISOString(),
        payload: null,
        triggers: [trigger.name],
      });
      if (!duplicate) this.metrics.queued(trigger.name);
    } catch (error) {
      this.logger.error(`schedule ${trigger.name}: cannot store occurrence ${id}: ${(error as Error).message}`);
    }
  }
}

/** The latest occurrence at or before `now` and less than `tolerance` ms old, if any. */
export function latestMissed(cron: Cron, now: number, tolerance: number): Date | undefined {
  if (tolerance <= 0) return undefined;
  let latest: Date | undefined;
  let next = cron.nextRun(new Date(now - tolerance));
  for (let i = 0; next && next.getTime() <= now && i < MAX_WALK; i++) {
    latest = next;
    next = cron.nextRun(next);
  }
  return latest;
}
