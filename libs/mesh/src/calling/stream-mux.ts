import { Empty, headers as natsHeaders, Msg, MsgHdrs, NatsConnection, NatsError, ServiceErrorCodeHeader, Subscription } from 'nats';
import { MeshHeaders, STREAM_HIGH_WATER_MARK, STREAM_KEEPALIVE_MS, STREAM_OPEN, STREAM_WINDOW, StreamInbox } from '@nest-mesh/wire';
import { streamInboxPrefix, streamToken } from '../stream-inbox';
import type { RequestFailureKind } from './request-mux';

/** How often the mux looks for streams that need a keepalive: each gets one at most `STREAM_KEEPALIVE_MS` after it last sent something. */
const KEEPALIVE_TICK_MS = STREAM_KEEPALIVE_MS / 5;

/** Why a stream failed on the caller's side (see `StreamMux`). */
export type StreamFailureKind =
  | RequestFailureKind
  /** The stream passed its deadline (the whole-stream bound). */
  | 'deadline'
  /** The responder ended the stream with an error reply (`reply`: the message, with the ADR-32 error headers). */
  | 'reply'
  /** A responder without flow control got more than the high-water mark ahead of the reader. */
  | 'overflow'
  /** Items went missing: a `Mesh-Stream-Seq` or the `Mesh-Stream-End` count does not follow (`detail` says which). */
  | 'broken';

/** What a failed stream was and why it failed; the mux's owner turns it into its own error. */
export interface StreamFailure {
  kind: StreamFailureKind;
  subject: string;
  /** The wait allowed for each item, in ms. */
  timeout: number;
  /** The error behind `publish` and `refused`; the reason given to `failAll` for `lost`. */
  cause?: unknown;
  /** The error reply of a `reply` failure. */
  reply?: Msg;
  /** The inbox subscription of a `refused` failure. */
  inbox?: string;
  /** The high-water mark of an `overflow` failure. */
  highWaterMark?: number;
  /** What a `broken` stream missed. */
  detail?: string;
  nc: NatsConnection;
}

export interface StreamRequestOptions {
  /** The longest wait for each item (the first included), in ms; it counts only while credits are out. */
  timeout: number;
  /** Unix ms at which the whole stream fails (`deadline`); Infinity: none. */
  deadline: number;
  /** Credits granted at first and kept out as items are read. Default `STREAM_WINDOW`. */
  window?: number;
  /** Items a responder without flow control may get ahead of the reader. Default `STREAM_HIGH_WATER_MARK`. */
  highWaterMark?: number;
}

/**
 * Streams of replies to requests, with credit-based flow control (docs/protocol.md#streams), over one
 * wildcard subscription per connection (`<own inbox>.s.<nuid>.*`, docs/protocol.md#inboxes) made with
 * the first stream: plain requests (the RequestMux) never pay for it. Each request asks with `Mesh-Stream: <window>`; `ReplyStream` hands
 * the replies over one at a time and grants credits only as they are read, so no more than `window`
 * items are ever on their way or waiting. A reply without stream headers is one item, then the end.
 * One interval sends the keepalives of every open stream. Generic: a failed stream is described as a
 * `StreamFailure`, and the owner's `failureOf` makes the error it throws.
 */
export class StreamMux<E> {
  private nc?: NatsConnection;
  private sub?: Subscription;
  private prefix = '';
  private readonly streams = new Map<string, ReplyStream<E>>();
  private ticker?: NodeJS.Timeout;
  private readonly onReply = (error: NatsError | null, msg: Msg): void => {
    if (error) this.refused(error);
    else this.route(msg);
  };
  private readonly keepalive = (): void => {
    const quietSince = Date.now() - (STREAM_KEEPALIVE_MS - KEEPALIVE_TICK_MS);
    for (const stream of this.streams.values()) stream.keepalive(quietSince);
  };

  /**
   * @param failureOf makes the error a failed stream throws.
   * @param inboxPrefix the connection option of that name, for accounts that only allow their own inboxes.
   */
  constructor(
    readonly failureOf: (failure: StreamFailure) => E,
    private readonly inboxPrefix?: string,
  ) {}

  /** Streams not yet over. */
  get size(): number {
    return this.streams.size;
  }

  /**
   * Publishes `payload` to `subject` asking for a stream (`headers` get `Mesh-Stream: <window>`), and
   * returns the stream of its replies.
   */
  open(nc: NatsConnection, subject: string, payload: Uint8Array, headers: MsgHdrs, options: StreamRequestOptions): ReplyStream<E> {
    if (nc !== this.nc) this.listen(nc);
    const token = streamToken();
    const window = Math.max(1, options.window ?? STREAM_WINDOW);
    const stream = new ReplyStream<E>(this, nc, token, subject, window, options);
    this.streams.set(token, stream);
    this.ticker ??= setInterval(this.keepalive, KEEPALIVE_TICK_MS).unref();
    headers.append(MeshHeaders.stream, String(window));
    try {
      nc.publish(subject, payload, { reply: this.prefix + token, headers });
    } catch (error) {
      stream.fail('publish', error);
    }
    return stream;
  }

  /** Fails every open stream as `lost`, with `cause` (e.g. the connection was lost). */
  failAll(cause?: unknown): void {
    for (const stream of [...this.streams.values()]) stream.fail('lost', cause);
  }

  /** A stream that is over (or cancelled and told) leaves the mux; the keepalives stop with the last one. */
  forget(token: string): void {
    this.streams.delete(token);
    if (this.streams.size === 0 && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  private listen(nc: NatsConnection): void {
    this.sub?.unsubscribe();
    this.nc = nc;
    this.prefix = streamInboxPrefix(this.inboxPrefix, StreamInbox.items);
    this.sub = nc.subscribe(`${this.prefix}*`, { callback: this.onReply });
  }

  private route(msg: Msg): void {
    if (!msg.subject.startsWith(this.prefix)) return; // on a connection given up
    this.streams.get(msg.subject.substring(this.prefix.length))?.receive(msg);
  }

  /** The broker refused the inbox subscription: the open streams fail now; the next stream subscribes again. */
  private refused(error: Error): void {
    const inbox = `${this.prefix}*`;
    this.sub = undefined;
    this.nc = undefined;
    for (const stream of [...this.streams.values()]) stream.fail('refused', error, inbox);
  }
}

/**
 * The replies to one stream request, read with `next()` (or `for await`): each item's message, in
 * order; done after the end; a failure rejects (`failureOf` of the mux), after the items that came
 * before it. Credits are granted as items are read: a reader that stops reading stops the responder
 * after at most `window` items. `return()` (a `for await` left early) cancels the stream: the
 * responder is told at once, or as soon as its first message names the control subject.
 * The wait for each item is bounded by `timeout` while credits are out, the whole stream by `deadline`.
 */
export class ReplyStream<E> implements AsyncIterableIterator<Msg> {
  private readonly buffer: Msg[] = [];
  /** Where credits and cancels go: the `reply` of the responder's messages. */
  private control?: string;
  private received = 0;
  private granted: number;
  /** Items read since credits were last granted. */
  private unconfirmed = 0;
  private ended = false;
  private failure?: E;
  /** Over for the reader: nothing more is handed out. */
  private closed = false;
  /** Cancelled before the responder named its control subject: tell it when it does. */
  private cancelling = false;
  private waiter?: { resolve(result: IteratorResult<Msg>): void; reject(error: E): void };
  private timer?: NodeJS.Timeout;
  /** When the responder last made progress, or was last given credits (unix ms). */
  private progress = Date.now();
  /** When a credit or keepalive was last sent (unix ms). */
  private sent = Date.now();
  private readonly highWaterMark: number;
  private readonly timeout: number;
  private readonly deadline: number;
  private onSettled?: (failure: E | undefined) => void;
  private readonly check = (): void => this.checkTime();

  constructor(
    private readonly mux: StreamMux<E>,
    private readonly nc: NatsConnection,
    private readonly token: string,
    readonly subject: string,
    private readonly window: number,
    options: StreamRequestOptions,
  ) {
    this.granted = window;
    this.timeout = options.timeout;
    this.deadline = options.deadline;
    this.highWaterMark = Math.max(options.highWaterMark ?? STREAM_HIGH_WATER_MARK, window);
    this.arm(this.progress);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Items read so far. */
  get count(): number {
    return this.received - this.buffer.length;
  }

  /** `callback` runs once when the stream is over for the responder side: ended (`undefined`), failed, or cancelled (`undefined`). */
  onSettle(callback: (failure: E | undefined) => void): void {
    this.onSettled = callback;
  }

  next(): Promise<IteratorResult<Msg>> {
    if (this.buffer.length > 0) return Promise.resolve(this.take());
    if (this.closed || this.ended) return Promise.resolve({ done: true, value: undefined });
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.closed = true;
      return Promise.reject(failure);
    }
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** Stops reading: the responder is told to stop (cancel), nothing more is handed out. */
  return(): Promise<IteratorResult<Msg>> {
    this.cancel();
    return Promise.resolve({ done: true, value: undefined });
  }

  /** Cancels the stream (see `return`). */
  cancel(): void {
    if (this.closed) return;
    this.closed = true;
    this.buffer.length = 0;
    this.waiter?.resolve({ done: true, value: undefined });
    this.waiter = undefined;
    if (this.ended || this.failure !== undefined) return;
    this.settle(undefined);
    if (this.control !== undefined) {
      this.sendControl(MeshHeaders.streamCancel, '1');
      this.forget();
    } else {
      this.cancelling = true; // stays in the mux until the responder's first message (or the timeout)
    }
  }

  /** A message on this stream's reply subject. */
  receive(msg: Msg): void {
    if (msg.reply) this.control ??= msg.reply;
    if (this.cancelling) {
      if (this.control !== undefined) this.sendControl(MeshHeaders.streamCancel, '1');
      this.forget();
      return;
    }
    if (this.ended || this.failure !== undefined) return;
    this.progress = Date.now();
    const headers = msg.headers;
    if (headers) {
      const seq = headers.get(MeshHeaders.streamSeq);
      if (seq) return this.item(msg, seq);
      if (headers.get(MeshHeaders.stream) === STREAM_OPEN) return;
      const end = headers.get(MeshHeaders.streamEnd);
      if (end) {
        if (Number(end) !== this.received) return this.fail('broken', undefined, undefined, `the end says ${end} items, ${this.received} came`);
        return this.end();
      }
      if (headers.get(ServiceErrorCodeHeader)) return this.fail('reply', msg);
      // NATS "no responders": an empty message with status 503.
      if (msg.data.length === 0 && headers.code === 503) return this.fail('no-responders');
    }
    // A reply without stream headers is the whole answer: one item, then the end.
    this.item(msg, String(this.received + 1));
    this.end();
  }

  /** Fails the stream (or hands the failure over after the items before it); tells the responder to stop when it may still run. */
  fail(kind: StreamFailureKind, cause?: unknown, inbox?: string, detail?: string): void {
    if (this.ended || this.failure !== undefined) return;
    const failure = this.mux.failureOf({
      kind,
      subject: this.subject,
      timeout: this.timeout,
      cause,
      reply: kind === 'reply' ? (cause as Msg) : undefined,
      inbox,
      highWaterMark: kind === 'overflow' ? this.highWaterMark : undefined,
      detail,
      nc: this.nc,
    });
    this.failure = failure;
    const responderRuns = kind === 'timeout' || kind === 'deadline' || kind === 'overflow' || kind === 'broken';
    if (responderRuns && this.control !== undefined) this.sendControl(MeshHeaders.streamCancel, '1');
    this.forget();
    this.settle(failure);
    if (this.closed) return;
    if (this.buffer.length === 0 && this.waiter) {
      this.closed = true;
      this.waiter.reject(failure);
      this.waiter = undefined;
    }
  }

  /** Sends a keepalive (credit 0) when nothing was sent to the responder since `quietSince`. */
  keepalive(quietSince: number): void {
    if (this.control !== undefined && !this.cancelling && this.sent <= quietSince) this.sendControl(MeshHeaders.streamCredit, '0');
  }

  private item(msg: Msg, seq: string): void {
    if (Number(seq) !== this.received + 1) return this.fail('broken', undefined, undefined, `item ${seq} came after item ${this.received}`);
    this.received++;
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = undefined;
      this.buffer.push(msg);
      waiter.resolve(this.take());
      return;
    }
    this.buffer.push(msg);
    if (this.buffer.length > this.highWaterMark) this.fail('overflow');
  }

  private end(): void {
    this.ended = true;
    this.forget();
    this.settle(undefined);
    if (this.buffer.length === 0 && this.waiter) {
      this.waiter.resolve({ done: true, value: undefined });
      this.waiter = undefined;
    }
  }

  /** Hands the oldest item to the reader; grants credits once half the window has been read. */
  private take(): IteratorResult<Msg> {
    const msg = this.buffer.shift()!;
    if (!this.ended && this.failure === undefined && ++this.unconfirmed * 2 >= this.window && this.control !== undefined) {
      const waiting = this.granted > this.received;
      this.granted += this.unconfirmed;
      this.sendControl(MeshHeaders.streamCredit, String(this.unconfirmed));
      this.unconfirmed = 0;
      if (!waiting) this.restartWait();
    }
    return { done: false, value: msg };
  }

  private sendControl(header: string, value: string): void {
    const headers = natsHeaders();
    headers.append(header, value);
    this.sent = Date.now();
    try {
      this.nc.publish(this.control!, Empty, { headers });
    } catch {
      // the connection is closing: the owner fails the stream when it is lost, the responder gives up on its own
    }
  }

  /** Credits are out again after none were: the responder's time for the next item starts now. */
  private restartWait(): void {
    this.progress = Date.now();
    clearTimeout(this.timer);
    this.arm(this.progress);
  }

  /** True while the responder owes an item: nothing came yet, or credits are out. */
  private get owed(): boolean {
    return this.control === undefined || this.granted > this.received;
  }

  /** One timer: the next moment the item wait or the deadline may run out (it moves lazily, not per item). */
  private arm(now: number): void {
    let at = this.deadline;
    if (this.owed || this.cancelling) at = Math.min(at, this.progress + this.timeout);
    if (at === Infinity) return;
    this.timer = setTimeout(this.check, Math.min(Math.max(0, at - now), 2 ** 31 - 1));
  }

  private checkTime(): void {
    this.timer = undefined;
    if (this.ended || this.failure !== undefined) return;
    const now = Date.now();
    if (this.cancelling) {
      if (now - this.progress >= this.timeout) this.forget();
      else this.arm(now);
      return;
    }
    if (now >= this.deadline) return this.fail('deadline');
    if (this.owed && now - this.progress >= this.timeout) return this.fail('timeout');
    this.arm(now);
  }

  private forget(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.mux.forget(this.token);
  }

  private settle(failure: E | undefined): void {
    const callback = this.onSettled;
    this.onSettled = undefined;
    callback?.(failure);
  }
}
