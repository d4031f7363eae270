import { createInbox, Msg, MsgHdrs, NatsConnection, Subscription } from 'nats';

/** Why a request got no reply. */
export type RequestFailureKind =
  /** No reply within the timeout. */
  | 'timeout'
  /** The broker answered that nobody subscribes to the subject. */
  | 'no-responders'
  /** nats.js refused to publish the request (`cause`: its error, e.g. max payload exceeded or closed). */
  | 'publish'
  /** The broker refused the reply subscription (`cause`: its permissions error). */
  | 'refused'
  /** The caller gave up on every waiting request (`failAll`), e.g. the connection was lost. */
  | 'lost';

/** What a failed request was and why it failed; the mux's owner turns it into its own error. */
export interface RequestFailure {
  kind: RequestFailureKind;
  subject: string;
  /** The request's timeout, in ms. */
  timeout: number;
  /** The error behind `publish` and `refused`; the reason given to `failAll` for `lost`. */
  cause?: unknown;
  /** The inbox subscription of a `refused` failure. */
  inbox?: string;
  nc: NatsConnection;
}

/** One request: what it sends, and how it ends. The same object is queued, published and waited on. */
interface Request<E> {
  nc: NatsConnection;
  subject: string;
  reply: string;
  payload: Uint8Array;
  headers: MsgHdrs;
  token: string;
  timeout: number;
  resolve(reply: Msg): void;
  reject(error: E): void;
  timer?: NodeJS.Timeout;
}

/**
 * Requests and their replies over one wildcard subscription per connection (`<inbox>.*`), a short
 * token per request and one timer per request, as nats.js's MuxSubscription does. Unlike nats.js
 * `request()`, a reply costs no Error object and no extra promise, and the requests made during one
 * event-loop turn while others are under way are handed to nats.js together, so they leave in one
 * socket write instead of one write each; a request made when none is under way leaves at once.
 * Generic: a failed request is described as a `RequestFailure`, and the owner's
 * `failureOf` makes the error the request rejects with.
 */
export class RequestMux<E> {
  private nc?: NatsConnection;
  private sub?: Subscription;
  private prefix = '';
  private nextToken = 0;
  private readonly waiting = new Map<string, Request<E>>();
  private outgoing: Request<E>[] = [];
  private flushScheduled = false;
  private readonly flush = (): void => this.publishOutgoing();
  private readonly onReply = (error: Error | null, msg: Msg): void => {
    if (error) this.refused(error);
    else this.settle(msg);
  };
  private readonly expire = (request: Request<E>): void => {
    if (this.waiting.delete(request.token)) request.reject(this.failure('timeout', request));
  };

  /**
   * @param failureOf makes the error a failed request rejects with.
   * @param inboxPrefix the connection option of that name, for accounts that only allow their own inboxes.
   */
  constructor(
    private readonly failureOf: (failure: RequestFailure) => E,
    private readonly inboxPrefix?: string,
  ) {}

  /** Number of requests waiting for a reply. */
  get size(): number {
    return this.waiting.size;
  }

  /** Publishes `payload` to `subject` with a reply subject of this mux; resolves to the reply, or rejects with `failureOf(...)`. */
  request(nc: NatsConnection, subject: string, payload: Uint8Array, headers: MsgHdrs, timeout: number): Promise<Msg> {
    if (nc !== this.nc) this.listen(nc);
    const token = (this.nextToken++).toString(36);
    return new Promise<Msg>((resolve, reject) => {
      const request: Request<E> = { nc, subject, reply: this.prefix + token, payload, headers, token, timeout, resolve, reject };
      request.timer = setTimeout(this.expire, timeout, request);
      this.waiting.set(token, request);
      if (this.waiting.size === 1) {
        // Nothing else under way: no other request is likely to join it this turn, so it leaves now
        // rather than after a turn of the event loop (bench/RESULTS.md, concurrency 1).
        this.publish(request);
        return;
      }
      this.outgoing.push(request);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  /** Fails every waiting request as `lost`, with `cause` (e.g. the connection was lost). */
  failAll(cause?: unknown): void {
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const request of waiting) {
      clearTimeout(request.timer);
      request.reject(this.failure('lost', request, cause));
    }
  }

  /**
   * The broker refused the reply subscription (a permissions violation: this login may not receive
   * replies there). The requests waiting now fail at once instead of timing out; the next request subscribes again.
   */
  private refused(error: Error): void {
    const inbox = `${this.prefix}*`;
    this.sub = undefined;
    this.nc = undefined;
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const request of waiting) {
      clearTimeout(request.timer);
      request.reject(this.failureOf({ kind: 'refused', subject: request.subject, timeout: request.timeout, cause: error, inbox, nc: request.nc }));
    }
  }

  private listen(nc: NatsConnection): void {
    this.sub?.unsubscribe();
    this.nc = nc;
    this.prefix = `${createInbox(this.inboxPrefix)}.`;
    this.sub = nc.subscribe(`${this.prefix}*`, { callback: this.onReply });
  }

  private publishOutgoing(): void {
    this.flushScheduled = false;
    const outgoing = this.outgoing;
    this.outgoing = [];
    for (let i = 0; i < outgoing.length; i++) {
      const request = outgoing[i];
      if (this.waiting.get(request.token) !== request) continue; // timed out or failed before it left
      this.publish(request);
    }
  }

  private publish(request: Request<E>): void {
    try {
      request.nc.publish(request.subject, request.payload, { reply: request.reply, headers: request.headers });
    } catch (error) {
      if (this.take(request.token)) request.reject(this.failure('publish', request, error));
    }
  }

  private settle(msg: Msg): void {
    if (!msg.subject.startsWith(this.prefix)) return; // on a connection given up
    const request = this.take(msg.subject.substring(this.prefix.length));
    if (!request) return; // a late reply to a request that timed out, or no token
    // NATS "no responders": an empty message with status 503 (the server sends it when nobody is subscribed).
    if (msg.data.length === 0 && msg.headers?.code === 503) request.reject(this.failure('no-responders', request));
    else request.resolve(msg);
  }

  private failure(kind: RequestFailureKind, request: Request<E>, cause?: unknown): E {
    return this.failureOf({ kind, subject: request.subject, timeout: request.timeout, cause, nc: request.nc });
  }

  /** The waiting request of `token`, no longer waiting. */
  private take(token: string): Request<E> | undefined {
    const request = this.waiting.get(token);
    if (!request) return undefined;
    this.waiting.delete(token);
    clearTimeout(request.timer);
    return request;
  }
}
