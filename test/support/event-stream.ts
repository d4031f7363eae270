/** Reading a gateway's server-sent events (docs/protocol.md#streams-over-http) in end-to-end suites. */
import { EventStreamParser, ServerSentEvent } from '../../libs/client/src/event-stream-parser';

export type { ServerSentEvent };


export interface EventStreamAnswer {
  status: number;
  headers: Headers;
  /** The whole body as it came. */
  text: string;
  /** The events, in order (empty for a JSON answer). */
  events: ServerSentEvent[];
  /** The JSON body of an answer that is not a stream. */
  body?: any;
  /** When the reader went away (`stopAfter`), unix ms. */
  abortedAt?: number;
}

export interface EventStreamOptions {
  headers?: Record<string, string>;
  /** Goes away (aborts the request) once this many `item` events came. */
  stopAfter?: number;
  /** Goes away after this many ms (when no item came yet: before the answer began). */
  stopAfterMs?: number;
  /** Called with each event as it comes. */
  onEvent?: (event: ServerSentEvent) => void;
  timeoutMs?: number;
}

/** POSTs `body` with `Accept: text/event-stream` and reads the answer's events, each as it comes. */
export async function postEventStream(url: string, body: unknown, options: EventStreamOptions = {}): Promise<EventStreamAnswer> {
  const controller = new AbortController();
  const bound = setTimeout(() => controller.abort(new Error(`no end of the stream within ${options.timeoutMs ?? 20_000} ms`)), options.timeoutMs ?? 20_000);
  let abortedAt: number | undefined;
  const goAway = () => {
    abortedAt = Date.now();
    controller.abort();
  };
  const early = options.stopAfterMs === undefined ? undefined : setTimeout(goAway, options.stopAfterMs);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...options.headers },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    const answer: EventStreamAnswer = { status: response.status, headers: response.headers, text: '', events: [] };
    if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      answer.text = await response.text();
      answer.body = JSON.parse(answer.text);
      return answer;
    }
    const decoder = new TextDecoder();
    const parser = new EventStreamParser();
    let items = 0;
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        const text = decoder.decode(chunk, { stream: true });
        answer.text += text;
        for (const event of parser.push(text)) {
          answer.events.push(event);
          options.onEvent?.(event);
          if (event.event === 'item' && ++items === options.stopAfter) goAway();
        }
      }
    } catch (error) {
      if (abortedAt === undefined) throw error;
    }
    answer.abortedAt = abortedAt;
    return answer;
  } catch (error) {
    if (abortedAt !== undefined) return { status: 0, headers: new Headers(), text: '', events: [], abortedAt };
    throw error;
  } finally {
    clearTimeout(bound);
    clearTimeout(early);
  }
}

/** The data of the `item` events, as JSON. */
export function itemsOf(answer: EventStreamAnswer): unknown[] {
  return answer.events.filter((e) => e.event === 'item').map((e) => JSON.parse(e.data));
}
