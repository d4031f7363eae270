import type { Delivery, NewEvent } from './event';
import type { EventPage, ListQuery } from './page';

export interface EnqueueResult {
  id: string;
  /** True when an event with this id was already stored within the dedup window (nothing new stored). */
  duplicate: boolean;
}

export interface EnqueueOptions {
  /**
   * Refuse the event (StoreFullError, nothing stored) when it would take what waits in the store
   * (pending and dead events) past this many bytes (docs/events.md). Absent: no bound.
   */
  maxPendingBytes?: number;
}

/** The store holds `maxPendingBytes` already: the event was not stored. */
export class StoreFullError extends Error {
  override name = 'StoreFullError';
  constructor(maxPendingBytes: number) {
    super(`the event store holds its maximum of ${maxPendingBytes} bytes of waiting events`);
  }
}

export interface EventCounts {
  pending: number;
  dead: number;
}

/**
 * Where events wait until their trigger's function took them: durable, shared by the dispatchers
 * that use it, at least once. Two implementations run the same test suite: the local-disk store
 * (SQLite) and the JetStream store. See docs/events.md.
 */
export interface EventStore {
  /** Opens (creates as needed) the storage; rejects when it cannot be reached. */
  open(): Promise<void>;

  /**
   * Stores `event`; resolves only once it is durable. An event whose dedupKey was stored within
   * 24 hours is not stored again. Rejects with StoreFullError at once, storing nothing, past
   * `options.maxPendingBytes`.
   */
  enqueue(event: NewEvent, options?: EnqueueOptions): Promise<EnqueueResult>;

  /**
   * Up to `max` deliveries that are due, each leased to the caller: one that is neither acked,
   * retried nor buried before its lease ends is handed out again (its dispatcher died).
   * Waits up to `waitMs` for one when none is due; resolves `[]` after that or on close.
   */
  claim(max: number, waitMs: number): Promise<Delivery[]>;

  /** The delivery succeeded: it is gone. */
  ack(delivery: Delivery): Promise<void>;

  /** The attempt failed: deliver again in `delayMs`, remembering `error`. */
  retry(delivery: Delivery, delayMs: number, error: string): Promise<void>;

  /** Given up: keep it as dead, with `error`, until an admin re-drives it. */
  bury(delivery: Delivery, error: string): Promise<void>;

  /**
   * One page of the events of a status, oldest first, bounded by `limit` and bytes (see PageBuilder);
   * rejects with InvalidCursorError for a cursor it did not give.
   */
  list(query: ListQuery): Promise<EventPage>;

  /**
   * Makes the dead deliveries of the events with `id` (of every type, or only of `type`) pending
   * again, attempts from 1; resolves how many.
   */
  redrive(id: string, type?: string): Promise<number>;

  /**
   * Removes the pending and dead deliveries of the events with `id` (of every type, or only of
   * `type`); resolves how many. The id stays remembered for deduplication for its 24 hours.
   */
  remove(id: string, type?: string): Promise<number>;

  counts(): Promise<EventCounts>;

  /** True while the storage is reachable (for /readyz). */
  isReady(): Promise<boolean>;

  /** Stops handing out deliveries and closes the storage; leased deliveries are handed out again later. */
  close(): Promise<void>;
}
