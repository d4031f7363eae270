import { createInbox, Msg, MsgHdrs, NatsConnection, Subscription } from 'nats';
import { MeshCodes, MeshError } from './mesh-error';
import { publishFailure } from './payload-limit';

/** One call: what it sends, and how it ends. The same object is queued, published and waited on. */
interface Call {
  nc: NatsConnection;
  subject: string;
  reply: string;
  payload: Uint8Array;
  headers: MsgHdrs;
  token: string;
  timeout: number;
  /** Names for the error messages, joined only when one is made. */
  service: string;
  func: string;
  resolve(reply: Msg): void;
  reject(error: MeshError): void;
  timer?: NodeJS.Timeout;
}

/**
 * The reply side of MeshClient's calls: one wildcard subscription (`_INBOX.<nuid>.*`) per
 * connection, a short token per call, one timer per call. Unlike nats.js `request()`, a reply costs
 * no Error object and no extra promise, and the requests made during one event-loop turn are handed
 * to nats.js together, so they leave in one socket write instead of one write each.
 */
export class ReplyInbox {
  private nc?: NatsConnection;
  private sub?: Subscription;
  private prefix = '';
  private nextToken = 0;
  private readonly waiting = new Map<string, Call>();
  private outgoing: Call[] = [];
  private flushScheduled = false;
  private readonly flush = (): void => this.publishOutgoing();
  private readonly onReply = (error: Error | null, msg: Msg): void => {
    if (error) this.refused(error);
    else this.settle(msg);
  };
  private readonly expire = (call: Call): void => {
    if (this.waiting.delete(call.token)) {
      call.reject(new MeshError(504, `${call.service}.${call.func} did not answer within ${call.timeout} ms`, MeshCodes.TIMEOUT));
    }
  };

  /** `inboxPrefix`: the connection option of that name, for accounts that only allow their own inboxes. */
  constructor(private readonly inboxPrefix?: string) {}

  /** Number of calls waiting for a reply. */
  get size(): number {
    return this.waiting.size;
  }

  /**
   * Publishes `payload` to `subject` with a reply subject of this inbox; resolves to the reply, or
   * rejects with a MeshError: 503 (no responders, or the broker went away), 504 (no reply in time),
   * 413 (larger than the broker accepts).
   */
  request(nc: NatsConnection, subject: string, payload: Uint8Array, headers: MsgHdrs, timeout: number, service: string, func: string): Promise<Msg> {
    if (nc !== this.nc) this.listen(nc);
    const token = (this.nextToken++).toString(36);
    return new Promise<Msg>((resolve, reject) => {
      const call: Call = { nc, subject, reply: this.prefix + token, payload, headers, token, timeout, service, func, resolve, reject };
      call.timer = setTimeout(this.expire, timeout, call);
      this.waiting.set(token, call);
      this.outgoing.push(call);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  /** Fails every waiting call with `error` (the connection was lost). */
  failAll(error: MeshError): void {
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const call of waiting) {
      clearTimeout(call.timer);
      call.reject(error);
    }
  }

  /**
   * The broker refused the inbox subscription (a permissions violation: this login may not receive
   * replies there). The calls waiting now fail at once instead of timing out; the next call subscribes again.
   */
  private refused(error: Error): void {
    const inbox = `${this.prefix}*`;
    this.sub = undefined;
    this.nc = undefined;
    this.failAll(
      new MeshError(503, `the broker refused the reply inbox ${inbox} (${error.message}); a mesh identity receives replies on _INBOX.<name>.> only: set inboxPrefix (docs/security.md)`, MeshCodes.SERVICE_UNAVAILABLE),
    );
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
      const call = outgoing[i];
      if (this.waiting.get(call.token) !== call) continue; // timed out or failed before it left
      try {
        call.nc.publish(call.subject, call.payload, { reply: call.reply, headers: call.headers });
      } catch (error) {
        this.fail(call.token, publishFailure(error, call.service, call.func, call.nc));
      }
    }
  }

  private settle(msg: Msg): void {
    if (!msg.subject.startsWith(this.prefix)) return; // on a connection given up
    const call = this.take(msg.subject.substring(this.prefix.length));
    if (!call) return; // a late reply to a call that timed out, or no token
    // NATS "no responders": an empty message with status 503 (the server sends it when nobody is subscribed).
    if (msg.data.length === 0 && msg.headers?.code === 503) {
      call.reject(new MeshError(503, `no instance serves ${call.service}.${call.func}`, MeshCodes.SERVICE_UNAVAILABLE));
    } else {
      call.resolve(msg);
    }
  }

  private fail(token: string, error: MeshError): void {
    this.take(token)?.reject(error);
  }

  /** The waiting call of `token`, no longer waiting. */
  private take(token: string): Call | undefined {
    const call = this.waiting.get(token);
    if (!call) return undefined;
    this.waiting.delete(token);
    clearTimeout(call.timer);
    return call;
  }
}
