import { MeshError } from 'nest-mesh';
import type { Delivery } from './event';
import { EventCaller } from './event-caller';
import { EventLogger, SILENT } from './event-logger';
import { EventMetrics, NO_METRICS } from './event-metrics';
import type { EventStore } from './event-store';
import { backoffAfter, TriggerSpec } from './trigger';

export interface DispatcherOptions {
  /** Deliveries in flight at once. Default 256. */
  concurrency?: number;
  /** How long one claim waits for work before it looks again (ms). Default 1000. */
  pollMs?: number;
  metrics?: EventMetrics;
  logger?: EventLogger;
}

/** The params a trigger's function receives (docs/events.md). */
export interface EventParams {
  id: string;
  type: string;
  source: Delivery['source'];
  time: string;
  attempt: number;
  payload: unknown;
}

/**
 * Takes due deliveries from the store and calls each one's trigger function: a normal return acks
 * it; a MeshError 400-499 (except 408, 429) buries it at once; anything else (an error, no
 * instance, a timeout) is retried after the trigger's backoff until its retries are spent, then
 * buried with the last error. `stop` claims nothing more and waits for the calls in flight.
 */
export class Dispatcher {
  private readonly concurrency: number;
  private readonly pollMs: number;
  private readonly metrics: EventMetrics;
  private readonly logger: EventLogger;
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  private loop?: Promise<void>;
  private slotFreed?: () => void;

  constructor(
    private readonly store: EventStore,
    private readonly caller: EventCaller,
    private readonly triggers: ReadonlyMap<string, TriggerSpec>,
    options: DispatcherOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 256;
    this.pollMs = options.pollMs ?? 1000;
    this.metrics = options.metrics ?? NO_METRICS;
    this.logger = options.logger ?? SILENT;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Claims nothing more; waits up to `graceMs` for the deliveries in flight (the rest are redelivered later). */
  async stop(graceMs = 10_000): Promise<void> {
    this.running = false;
    this.slotFreed?.();
    await this.loop;
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timer);
  }

  private async run(): Promise<void> {
    while (this.running) {
      const free = this.concurrency - this.inFlight.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      let claimed: Delivery[];
      try {
        claimed = await this.store.claim(free, this.pollMs);
      } catch (error) {
        if (!this.running) break;
        this.logger.error(`cannot claim events: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, this.pollMs));
        continue;
      }
      // Claimed while stopping: not delivered here; their leases run out and they are handed out again.
      if (!this.running) break;
      for (const delivery of claimed) {
        const done: Promise<void> = this.deliver(delivery).finally(() => {
          this.inFlight.delete(done);
          const freed = this.slotFreed;
          this.slotFreed = undefined;
          freed?.();
        });
        this.inFlight.add(done);
      }
    }
  }

  private async deliver(delivery: Delivery): Promise<void> {
    const trigger = this.triggers.get(delivery.trigger);
    try {
      if (!trigger) {
        await this.store.bury(delivery, `no trigger named "${delivery.trigger}" is configured`);
        this.metrics.delivered(delivery.trigger, 'dead');
        return;
      }
      const params: EventParams = {
        id: delivery.id,
        type: delivery.type,
        source: delivery.source,
        time: delivery.time,
        attempt: delivery.attempt,
        payload: delivery.payload,
      };
      let failure: unknown;
      try {
        await this.caller.call(trigger.call.service, trigger.call.func, params, { timeout: trigger.timeout, eventId: delivery.id });
      } catch (error) {
        failure = error ?? new Error('failed');
      }
      if (failure === undefined) {
        await this.store.ack(delivery);
        this.metrics.delivered(trigger.name, 'ok');
        return;
      }
      const message = describe(failure);
      if (isFinal(failure) || delivery.attempt > trigger.retries) {
        await this.store.bury(delivery, message);
        this.metrics.delivered(trigger.name, 'dead');
        this.logger.warn(`event ${delivery.id} is dead for trigger ${trigger.name} after ${delivery.attempt} attempt(s): ${message}`);
        return;
      }
      await this.store.retry(delivery, backoffAfter(trigger.backoff, delivery.attempt), message);
      this.metrics.delivered(trigger.name, 'retry');
    } catch (error) {
      // The store failed: the lease runs out and the delivery is handed out again.
      this.logger.error(`cannot settle event ${delivery.id} for trigger ${delivery.trigger}: ${(error as Error).message}`);
    }
  }
}

/** A MeshError 400-499 other than 408 and 429 is the function refusing the event: no retry helps. */
export function isFinal(error: unknown): boolean {
  return error instanceof MeshError && error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429;
}

function describe(error: unknown): string {
  if (error instanceof MeshError) return `${error.status} ${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
