import type { EventRecord, EventStatus } from './event';

/** The most bytes of JSON one page of the events listing holds, with its envelope (docs/events.md). */
export const LIST_PAGE_BYTES = 1024 * 1024;

/** A page of the events listing to read: `cursor` is the `next` of the page before. */
export interface ListQuery {
  status: EventStatus;
  /** At most this many events. */
  limit: number;
  cursor?: string;
  /** At most this many bytes of JSON in the whole page; default LIST_PAGE_BYTES. */
  maxBytes?: number;
}

/** One page of the listing; `next` reads the following page, null when there is none. */
export interface EventPage {
  events: EventRecord[];
  next: string | null;
}

/** A cursor this store did not make for this status. */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
  constructor() {
    super('cursor is not one this listing gave');
  }
}

/** Room kept in a page for `{"events":[...],"next":"<cursor>"}` around the events (a cursor is well under it). */
const ENVELOPE_BYTES = 1024;
/** How much of `lastError` an event too large for a page keeps. */
const OMITTED_ERROR_CHARS = 1024;

/**
 * Fills a page, in order, up to `limit` events and `maxBytes` bytes of JSON. An event too large
 * for an empty page on its own is listed without its payload (`payloadOmitted`), so every page
 * holds at least one event and a walk through the pages always ends.
 */
export class PageBuilder {
  readonly events: EventRecord[] = [];
  private room: number;
  private readonly budget: number;

  constructor(
    private readonly limit: number,
    maxBytes = LIST_PAGE_BYTES,
  ) {
    this.budget = Math.max(1, maxBytes - ENVELOPE_BYTES);
    this.room = this.budget;
  }

  /** Adds `record` if the page has room for it; false when it is full (`record` starts the next page). */
  add(record: EventRecord): boolean {
    if (this.events.length >= this.limit) return false;
    let bytes = jsonBytes(record) + 1; // and a comma
    if (bytes > this.budget) {
      record = omitPayload(record);
      bytes = jsonBytes(record) + 1;
    }
    if (bytes > this.room && this.events.length > 0) return false;
    this.events.push(record);
    this.room -= bytes;
    return true;
  }
}

function omitPayload(record: EventRecord): EventRecord {
  const lastError = record.lastError !== undefined ? { lastError: record.lastError.slice(0, OMITTED_ERROR_CHARS) } : {};
  return { ...record, ...lastError, payload: null, payloadOmitted: true };
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/** An opaque cursor: the status and the position of the last event listed, as base64url JSON. */
export function encodeCursor(status: EventStatus, position: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([status, ...position])).toString('base64url');
}

/**
 * The position in a cursor made by `encodeCursor` for `status`, checked against `shape` (the type
 * of each part); throws InvalidCursorError for anything else.
 */
export function decodeCursor(cursor: string, status: EventStatus, shape: readonly ('string' | 'number')[]): (string | number)[] {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    throw new InvalidCursorError();
  }
  if (!Array.isArray(parts) || parts.length !== shape.length + 1 || parts[0] !== status) throw new InvalidCursorError();
  const position = parts.slice(1);
  position.forEach((part, i) => {
    if (typeof part !== shape[i] || (typeof part === 'number' && !Number.isSafeInteger(part))) throw new InvalidCursorError();
  });
  return position as (string | number)[];
}
