import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { EVENT_STREAM_CONTENT_TYPE, EVENT_STREAM_KEEPALIVE_MS, HttpHeaders, StreamEvents } from '@nest-mesh/wire';

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
 * does (or has gone). `closed` once the client went away before the end. While no item comes for
 * `keepaliveMs`, a comment line keeps the connection from looking idle to proxies.
 */
export class EventStream {
  private readonly raw: ServerResponse;
  private finished = false;
  private gone: boolean;
  private closeListener?: () => void;
  private drainWaiter?: (drained: boolean) => void;
  private keepalive?: NodeJS.Timeout;
  /** Something was written since the keepalive timer last looked. */
  private wrote = false;

  constructor(
    private readonly response: unknown,
    private readonly keepaliveMs = EVENT_STREAM_KEEPALIVE_MS,
  ) {
    this.raw = (response as AdapterResponse).raw ?? (response as ServerResponse);
    this.gone = this.raw.destroyed;
    this.raw.once('close', () => {
      clearInterval(this.keepalive);
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
    this.keepalive = setInterval(this.ping, this.keepaliveMs);
    this.keepalive.unref();
  }

  /** Writes one item (its JSON text); false when the client does not keep up: wait for `drained`. */
  item(json: string): boolean {
    this.wrote = true;
    return this.raw.write(eventText(StreamEvents.item, json));
  }

  private readonly ping = (): void => {
    // A client that does not read (writableNeedDrain) is not sent more, not even a comment.
    if (!this.wrote && !this.raw.writableNeedDrain) this.raw.write(KEEPALIVE);
    this.wrote = false;
  };

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
    clearInterval(this.keepalive);
    this.finished = true;
    this.raw.end(text);
  }
}

/** The comment line written to a silent stream (clients skip comments). */
const KEEPALIVE = ': keepalive\n\n';

/** One event; data of several lines (a JSON text a function sent pretty-printed) as one `data:` line each. */
export function eventText(event: string, data: string): string {
  if (data.indexOf('\n') === -1 && data.indexOf('\r') === -1) return `event: ${event}\ndata: ${data}\n\n`;
  return `event: ${event}\ndata: ${data.split(/\r\n|\r|\n/).join('\ndata: ')}\n\n`;
}
