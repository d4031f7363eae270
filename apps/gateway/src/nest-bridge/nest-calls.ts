import type { Span, Tracer } from '@opentelemetry/api';
import { createInbox, headers as natsHeaders, Msg, MsgHdrs, NatsConnection, NatsError, Subscription } from 'nats';
import { EMPTY, Observable, Subscriber } from 'rxjs';
import { MeshCodes, MeshHeaders } from '@nest-mesh/wire';
import { MeshContext, MeshError } from 'nest-mesh';
import { failSpan, nestFailure, nestRequest, passTraceHeaders, publishFailure, readNestAnswer, startCallSpan } from 'nest-mesh/internal';
import type { NestTarget } from '../config/nest-targets';

/**
 * Calls of existing `Transport.NATS` services, as Nest's ClientNats makes them
 * (docs/protocol.md#nests-envelope): Nest's envelope `{pattern, data, id}` on the pattern's subject,
 * with a reply subject of this gateway, then `{response, err, isDisposed}` answers, one per item.
 * Every call's answers come in on one wildcard subscription (`<inbox>.*`), made with the first call,
 * not one subscription per call as ClientNats makes.
 *
 * A call resolves with its first answer: to the value when it is the only one, else to an
 * Observable of every item (the MeshServer that serves the bridged function then streams it, or
 * gives a plain caller the last item); it rejects with the mapped `err`, 503 at once when nothing
 * listens on the subject, 504 when nothing came by the call's deadline (else `maxWaitMs`).
 */
export class NestCalls {
  private nc?: NatsConnection;
  private sub?: Subscription;
  private prefix = '';
  private nextToken = 0;
  private readonly calls = new Map<string, NestCall>();
  private readonly onAnswer = (error: NatsError | null, msg: Msg): void => {
    if (error) this.refused(error);
    else if (msg.subject.startsWith(this.prefix)) this.calls.get(msg.subject.substring(this.prefix.length))?.receive(msg);
  };

  constructor(
    private readonly maxWaitMs: number,
    private readonly tracer: Tracer | undefined,
    private readonly inboxPrefix?: string,
  ) {}

  /** Calls waiting for answers now. */
  get size(): number {
    return this.calls.size;
  }

  /** Calls `target` with `params` for the mesh call `ctx`; see the class. */
  call(nc: NatsConnection, target: NestTarget, params: unknown, ctx: MeshContext): Promise<unknown> {
    if (nc !== this.nc) this.listen(nc);
    const token = (this.nextToken++).toString(36);
    const headers = forwardedHeaders(ctx);
    const span = this.tracer && startCallSpan(this.tracer, target.subject, target.service, target.func, headers, ctx.trace);
    if (!span) passTraceHeaders(headers, undefined, ctx);
    const deadline = Math.min(ctx.deadline, Date.now() + this.maxWaitMs);
    const call = new NestCall(target, token, deadline, span, () => this.calls.delete(token));
    this.calls.set(token, call);
    try {
      nc.publish(target.subject, nestRequest(target.pattern, params, token), { reply: this.prefix + token, headers });
    } catch (error) {
      call.fail(publishFailure(error, target.service, target.func, nc));
    }
    return call.first;
  }

  private listen(nc: NatsConnection): void {
    this.sub?.unsubscribe();
    this.nc = nc;
    this.prefix = `${createInbox(this.inboxPrefix)}.`;
    this.sub = nc.subscribe(`${this.prefix}*`, { callback: this.onAnswer });
  }

  /** The broker refused the answers' subscription: the calls waiting fail now; the next call subscribes again. */
  private refused(error: Error): void {
    this.sub = undefined;
    this.nc = undefined;
    for (const call of [...this.calls.values()]) {
      call.fail(new MeshError(503, `the broker refused the gateway's inbox for Nest answers (${error.message})`, MeshCodes.SERVICE_UNAVAILABLE));
    }
  }
}

/** The mesh headers a Nest service may read from its `NatsContext`: the request id, deadline and verified claims. */
function forwardedHeaders(ctx: MeshContext): MsgHdrs {
  const headers = natsHeaders();
  if (ctx.requestId) headers.append(MeshHeaders.requestId, ctx.requestId);
  if (Number.isFinite(ctx.deadline)) headers.append(MeshHeaders.deadline, String(ctx.deadline));
  const auth = ctx.rawAuth;
  if (auth !== undefined) headers.append(MeshHeaders.auth, auth);
  return headers;
}

/** One call: its first answer settles `first`; the items after it go to the Observable it resolved to. */
class NestCall {
  readonly first: Promise<unknown>;
  private resolveFirst!: (value: unknown) => void;
  private rejectFirst!: (error: MeshError) => void;
  /** Once `first` resolved to a stream: its items until it is subscribed, its end. */
  private streaming = false;
  private readonly queue: unknown[] = [];
  private ended?: { error?: MeshError };
  private subscriber?: Subscriber<unknown>;
  private over = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly target: NestTarget,
    private readonly id: string,
    deadline: number,
    private readonly span: Span | undefined,
    private readonly forget: () => void,
  ) {
    this.first = new Promise((resolve, reject) => {
      this.resolveFirst = resolve;
      this.rejectFirst = reject;
    });
    this.timer = setTimeout(() => {
      if (!this.streaming) this.fail(new MeshError(504, `${this.name} (Nest pattern ${target.subject}) did not answer in time`, MeshCodes.TIMEOUT));
    }, Math.max(0, Math.min(deadline - Date.now(), 2 ** 31 - 1)));
    this.timer.unref(); // a call's deadline does not keep a process alive
  }

  private get name(): string {
    return `${this.target.service}.${this.target.func}`;
  }

  receive(msg: Msg): void {
    if (this.over) return;
    // NATS "no responders": an empty message with status 503 (no Nest service subscribes to the pattern).
    if (msg.data.length === 0 && msg.headers?.code === 503) {
      return this.fail(new MeshError(503, `no Nest service serves ${this.name} (pattern ${this.target.subject})`, MeshCodes.SERVICE_UNAVAILABLE));
    }
    const answer = readNestAnswer(msg.data);
    if (answer === undefined) return this.fail(new MeshError(500, `${this.name}: the Nest service answered with a message that is not JSON`, MeshCodes.INTERNAL));
    if (answer.id !== undefined && answer.id !== this.id) return; // not this call's, as ClientNats ignores it
    if (answer.err) return this.fail(nestFailure(answer.err, this.target.service, this.target.func));
    if (!answer.isDisposed) return this.item(answer.response);
    if (!this.streaming) {
      // The whole answer in one message: a value (or, without one, an empty stream).
      this.settle();
      return this.resolveFirst(answer.response === undefined ? EMPTY : answer.response);
    }
    if (answer.response !== undefined) this.item(answer.response);
    this.end({});
  }

  /** Fails the call: `first` rejects, or the stream errors after its items. */
  fail(error: MeshError): void {
    if (this.over) return;
    if (!this.streaming) {
      this.settle(error);
      this.rejectFirst(error);
      return;
    }
    this.end({ error });
  }

  private item(value: unknown): void {
    if (!this.streaming) {
      this.streaming = true;
      clearTimeout(this.timer); // from here the mesh stream's own deadline bounds it
      this.queue.push(value);
      this.resolveFirst(this.stream());
      return;
    }
    if (this.subscriber) this.subscriber.next(value);
    else this.queue.push(value);
  }

  private end(ended: { error?: MeshError }): void {
    this.settle(ended.error);
    if (!this.subscriber) {
      this.ended = ended;
      return;
    }
    if (ended.error) this.subscriber.error(ended.error);
    else this.subscriber.complete();
  }

  /** The items, those that came before it was subscribed first; unsubscribing stops listening (Nest has no cancel). */
  private stream(): Observable<unknown> {
    return new Observable((subscriber) => {
      this.subscriber = subscriber;
      for (const value of this.queue.splice(0)) subscriber.next(value);
      if (this.ended) {
        if (this.ended.error) subscriber.error(this.ended.error);
        else subscriber.complete();
      }
      return () => {
        this.subscriber = undefined;
        this.settle();
      };
    });
  }

  /** Over for this side: no more answers are read; its span ends. */
  private settle(error?: MeshError): void {
    if (this.over) return;
    this.over = true;
    clearTimeout(this.timer);
    this.forget();
    if (this.span) {
      if (error) failSpan(this.span, error.status, error.code, error.message);
      this.span.end();
    }
  }
}
