import type { Delivery, EventRecord, EventStatus, NewEvent } from './event';

export interface EnqueueResult {
  id: string;
  /** True when an event with this id was already stored within the dedup window (nothing new stored). */
  duplicate: boolean;
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

  /** Stores `event`; resolves only once it is durable. An id seen within 24 hours is not stored again. */
  enqueue(event: NewEvent): Promise<EnqueueResult>;

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

  /** Up to `limit` events of a status, oldest first. */
  list(status: EventStatus, limit: number): Promise<EventRecord[]>;

  /** Makes the dead deliveries of event `id` pending again (attempts from 1); resolves how many. */
  redrive(id: string): Promise<number>;

  counts(): Promise<EventCounts>;

  /** True while the storage is reachable (for /readyz). */
  isReady(): Promise<boolean>;

  /** Stops handing out deliveries and closes the storage; leased deliveries are handed out again later. */
  close(): Promise<void>;
}
