/** Server-sent events of a streamed call over HTTP (docs/protocol.md#streams-over-http). */

/** The `Accept` that asks for a stream, and the `Content-Type` of its answer. */
export const EVENT_STREAM_CONTENT_TYPE = 'text/event-stream';

/**
 * The events of a streamed call's answer: `item` (data: the item's JSON), then `end`
 * (data: `{"count": <items>}`) or `error` (data: `{"error", "code", "status"}`).
 */
export const StreamEvents = {
  item: 'item',
  end: 'end',
  error: 'error',
} as const;

/** Whether an `Accept` header asks for server-sent events. */
export function acceptsEventStream(accept: string | string[] | undefined): boolean {
  return typeof accept === 'string' && accept.includes(EVENT_STREAM_CONTENT_TYPE);
}
