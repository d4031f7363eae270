import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { EVENT_STREAM_CONTENT_TYPE, HttpHeaders, StreamEvents } from '@nest-mesh/wire';

/** What the gateway reads of an adapter's response: express's is the Node response; fastify's reply holds it as `raw`. */
interface AdapterResponse {
  raw?: ServerResponse;
  /** fastify: the reply is written by hand from now on. */
  hijack?(): unknown;
  /** fastify: the headers set on the reply so far (CORS), written by `send` only. */
  getHeaders?(): OutgoingHttpHeaders;
}

/** Headers that keep proxies and compression from holding events back. */
const STREAM_HEADERS: OutgoingHttpHeaders = {
  'Content-Type': EVENT_STREAM_CONTENT_TYPE,
  'Cache-Control': 'no-cache',
  'X-Accel-Buffering': 'no',
};

/**
 * One answer of server-sent events (docs/protocol.md#streams-over-http), written straight to the
 * Node response of either adapter: `open` writes the 200 and its headers, then `item`s, then `end`
 * or `fail`. `item` says, as `res.write` does, whether the client keeps up; `drained` waits until it
 * does (or has gone). `closed` once the client went away before the end.
 */
export class EventStream {
  private readonly raw: ServerResponse;
  private finished = false;
  private gone: boolean;
  private closeListener?: () => void;
  private drainWaiter?: (drained: boolean) => void;

  constructor(private readonly response: unknown) {
    this.raw = (response as AdapterResponse).raw ?? (response as ServerResponse);
    this.gone = this.raw.destroyed;
    this.raw.once('close', () => {
      if (!this.finished) this.gone = true;
      this.drainWaiter?.(false);
      if (this.gone) this.closeListener?.();
    });
  }

  /** The client went away before the answer ended. */
  get closed(): boolean {
    return this.gone;
  }

  /** `listener` runs once when the client goes away before the end. */
  onClose(listener: () => void): void {
    this.closeListener = listener;
  }

  /** Writes the status and the headers (the adapter's too: CORS); they go out with the first event. */
  open(requestId: string): void {
    const reply = this.response as AdapterResponse;
    const headers = reply.raw !== undefined && reply.getHeaders ? { ...reply.getHeaders(), ...STREAM_HEADERS } : STREAM_HEADERS;
    reply.hijack?.();
    this.raw.setHeader(HttpHeaders.requestId, requestId);
    this.raw.writeHead(200, headers);
  }

  /** Writes one item (its JSON text); false when the client does not keep up: wait for `drained`. */
  item(json: string): boolean {
    return this.raw.write(eventText(StreamEvents.item, json));
  }

  /** Resolves to true once what was written has gone out, false if the client went away first. */
  drained(): Promise<boolean> {
    if (this.gone) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (drained: boolean) => {
        this.drainWaiter = undefined;
        this.raw.off('drain', onDrain);
        resolve(drained);
      };
      const onDrain = () => done(true);
      this.drainWaiter = done;
      this.raw.on('drain', onDrain);
    });
  }

  /** The end of a stream of `count` items. */
  end(count: number): void {
    this.finish(eventText(StreamEvents.end, `{"count":${count}}`));
  }

  /** The end of a stream that failed after the answer began. */
  fail(error: { message: string; code: string; status: number }): void {
    this.finish(eventText(StreamEvents.error, JSON.stringify({ error: error.message, code: error.code, status: error.status })));
  }

  private finish(text: string): void {
    this.finished = true;
    this.raw.end(text);
  }
}

/** One event; data of several lines (a JSON text a function sent pretty-printed) as one `data:` line each. */
export function eventText(event: string, data: string): string {
  if (data.indexOf('\n') === -1 && data.indexOf('\r') === -1) return `event: ${event}\ndata: ${data}\n\n`;
  return `event: ${event}\ndata: ${data.split(/\r\n|\r|\n/).join('\ndata: ')}\n\n`;
}
