/**
 * The shapes of events as the store and the dispatcher see them (docs/events.md).
 * An event is stored once per trigger that listens to it; each of those is a delivery.
 */

/** What made an event: a queued custom event, a schedule's occurrence, a database change. */
export type EventSource = 'event' | 'schedule' | 'table';

/** An event to store, with the triggers it goes to (already matched). */
export interface NewEvent {
  id: string;
  type: string;
  source: EventSource;
  /** ISO time the event happened (queued, scheduled for, or changed in the database). */
  time: string;
  payload: unknown;
  /** The triggers that deliver it; none: it is only remembered for deduplication. */
  triggers: readonly string[];
  /** Unix ms before which it is not delivered (a queued `delay`); absent: at once. */
  notBefore?: number;
}

/** One claimed delivery of an event to a trigger's function. */
export interface Delivery {
  id: string;
  type: string;
  source: EventSource;
  time: string;
  payload: unknown;
  trigger: string;
  /** 1 for the first attempt. */
  attempt: number;
}

export type EventStatus = 'pending' | 'dead';

/** An event as the admin routes list it. */
export interface EventRecord {
  id: string;
  type: string;
  source: EventSource;
  time: string;
  trigger: string;
  status: EventStatus;
  /** Attempts made so far. */
  attempts: number;
  /** The error of the last attempt, when there was one. */
  lastError?: string;
  payload: unknown;
  /** Set when the event is too large for a page of the listing: `payload` is then null (docs/events.md). */
  payloadOmitted?: true;
}

/** The longest `delay` of a queued event: 30 days. */
export const MAX_DELAY_MS = 30 * 24 * 3600 * 1000;
/** An id given again within this window is stored once. */
export const DEDUP_WINDOW_MS = 24 * 3600 * 1000;

/**
 * What an event is deduplicated on: `<source>|<type>|<id>`. Queued and emitted events (source
 * `event`) dedupe only against events of the same type and id; schedule occurrences and table
 * changes have key spaces of their own that no queued event can reach. `|` is in neither the id nor
 * the type pattern, so two different events never share a key (docs/events.md).
 */
export function dedupKey(event: Pick<NewEvent, 'source' | 'type' | 'id'>): string {
  return `${event.source}|${event.type}|${event.id}`;
}
