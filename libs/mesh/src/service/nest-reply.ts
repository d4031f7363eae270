import type { LoggerService } from '@nestjs/common';
import { MsgHdrs, NatsConnection, ServiceMsg } from 'nats';
import { MeshCodes, MeshHeaders } from '@nest-mesh/wire';
import { decodeJson } from '../json';
import { MeshError } from '../mesh-error';
import { isMaxPayloadError, resultTooLarge } from '../payload-limit';
import type { MeshContext } from './mesh-context';
import { nestEnd, nestError, nestItem, NestRequest, nestRequestOf, nestValue } from './nest-envelope';
import type { StreamOutcome } from './stream-reply';
import { StreamPump, StreamResult, StreamSink, timerDelay } from './stream-source';

/**
 * The caller of a call that came in Nest's envelope (a `ClientProxy` with `Transport.NATS`,
 * docs/protocol.md#nests-envelope), answered as `ServerNats` answers: one message for a value, one
 * per item and then the end for a stream (no flow control, as in Nest), the error as `err`. A
 * caller that `emit`s (no `id`) gets no answer.
 */
export class NestCaller {
  private constructor(
    private readonly msg: ServiceMsg,
    private readonly request: NestRequest,
  ) {}

  /**
   * The Nest caller of `msg`, whose params were decoded to `params`: only a request without
   * `Mesh-Request-Id` (a mesh caller always sends one) is looked at, and only when its params are
   * the envelope of its own subject.
   */
  static of(msg: ServiceMsg, params: unknown): NestCaller | undefined {
    const request = nestRequestOf(params, msg.subject);
    return request && !hasRequestId(msg.headers) ? new NestCaller(msg, request) : undefined;
  }

  /** `of` for a request whose params were not decoded yet (a call refused before, e.g. its Mesh-Token). */
  static ofRaw(msg: ServiceMsg): NestCaller | undefined {
    if (hasRequestId(msg.headers)) return undefined;
    try {
      return NestCaller.of(msg, decodeJson(msg.data));
    } catch {
      return undefined;
    }
  }

  /** What the function is called with: the envelope's `data`. */
  get data(): unknown {
    return this.request.data;
  }

  /** Whether the caller waits for answers: `send` (an id and a reply subject), not `emit`. */
  get waits(): boolean {
    return this.request.id !== undefined && !!this.msg.reply;
  }

  /** Answers one value; resolves to the status sent (500 RESULT_TOO_LARGE when the broker refuses it). */
  value(result: unknown, ctx: MeshContext, nc: NatsConnection | undefined, logger: LoggerService): number {
    if (!this.waits) return 200;
    const data = nestValue(this.request.id, result);
    try {
      this.msg.respond(data);
      return 200;
    } catch (error) {
      if (!isMaxPayloadError(error)) {
        logger.warn(`reply of ${ctx.service}.${ctx.func} not sent: ${(error as Error).message}`);
        return 200;
      }
      const failure = resultTooLarge(ctx.service, ctx.func, data.length, nc);
      logger.warn(failure.message);
      this.error(failure, logger);
      return failure.status;
    }
  }

  /** Answers a failure: the caller's Observable errors with `{status, code, message}`. */
  error(failure: MeshError, logger: LoggerService): void {
    if (!this.waits) return;
    this.send(nestError(this.request.id, failure), logger);
  }

  /**
   * Sends what `source` produces, each item as it comes, then the end (or the error `failureOf`
   * makes of its failure). Resolves when it is over; call it in the call's async context.
   */
  stream(source: StreamResult, ctx: MeshContext, nc: NatsConnection | undefined, failureOf: (error: unknown) => MeshError, logger: LoggerService): NestStream {
    return new NestStream(this.msg, this.request.id, source, ctx, nc, failureOf, logger);
  }

  /** A last message (the end or an error): a failure to send is only logged, the call is over anyway. */
  send(data: Uint8Array, logger: LoggerService): void {
    try {
      this.msg.respond(data);
    } catch (error) {
      logger.warn(`answer to a Nest caller not sent: ${(error as Error).message}`);
    }
  }
}

/**
 * A stream sent to a Nest caller: every item as it comes (Nest has no flow control), then the end or
 * the error. As Nest's `Server.send` does, what the source gives in one turn of the event loop leaves
 * together on the next tick, and an end that comes in the same turn as the last item is sent with
 * it (`{response, isDisposed: true}`): a value that an interceptor wrapped in an Observable is one
 * message, as from `ServerNats`.
 */
export class NestStream implements StreamSink {
  readonly outcome: Promise<StreamOutcome>;
  private resolve!: (outcome: StreamOutcome) => void;
  private readonly pump: StreamPump;
  /** Items not sent yet, and how the stream ended once it did. */
  private queue: unknown[] = [];
  private ending?: { error?: MeshError };
  private scheduled = false;
  private done = false;
  private deadlineTimer?: NodeJS.Timeout;
  private readonly flush = (): void => this.sendQueued();

  constructor(
    private readonly msg: ServiceMsg,
    private readonly id: unknown,
    source: StreamResult,
    private readonly ctx: MeshContext,
    private readonly nc: NatsConnection | undefined,
    private readonly failureOf: (error: unknown) => MeshError,
    private readonly logger: LoggerService,
  ) {
    this.outcome = new Promise((resolve) => (this.resolve = resolve));
    this.pump = new StreamPump(source, this, Infinity);
    const deadline = ctx.deadline;
    if (Number.isFinite(deadline)) {
      this.deadlineTimer = setTimeout(() => {
        this.abort(new MeshError(504, `the stream of ${ctx.service}.${ctx.func} passed its deadline (Mesh-Deadline)`, MeshCodes.TIMEOUT));
      }, timerDelay(deadline - Date.now()));
    }
    try {
      this.pump.start(Infinity);
    } catch (error) {
      this.fail(error);
    }
  }

  item(value: unknown): void {
    this.queue.push(value);
    this.schedule();
  }

  end(): void {
    this.ending ??= {};
    this.schedule();
  }

  fail(error: unknown): void {
    this.ending ??= { error: this.failureOf(error) };
    this.schedule();
  }

  /** Ends the stream from this side (its deadline, the service stopping), now: stops the source, tells the caller. */
  abort(error: MeshError): void {
    if (this.done) return;
    this.pump.stop();
    this.queue = [];
    this.ending = { error };
    this.sendQueued();
  }

  private schedule(): void {
    if (this.scheduled || this.done) return;
    this.scheduled = true;
    process.nextTick(this.flush);
  }

  /** Sends the queued items in order, the end with the last of them when it came too, else on its own. */
  private sendQueued(): void {
    this.scheduled = false;
    if (this.done) return;
    while (this.queue.length > 0) {
      const value = this.queue.shift();
      const last = this.queue.length === 0 && this.ending !== undefined && this.ending.error === undefined;
      const data = last ? nestValue(this.id, value) : nestItem(this.id, value);
      try {
        this.msg.respond(data);
      } catch (error) {
        this.pump.stop();
        this.queue = [];
        if (!isMaxPayloadError(error)) {
          this.logger.warn(`stream of ${this.ctx.service}.${this.ctx.func} to a Nest caller stopped: ${(error as Error).message}`);
          return this.finish({ status: 503, error: new MeshError(503, 'the stream could not be sent', MeshCodes.SERVICE_UNAVAILABLE) });
        }
        this.ending = { error: resultTooLarge(this.ctx.service, this.ctx.func, data.length, this.nc) };
        break;
      }
      if (last) return this.finish({ status: 200 });
    }
    if (this.ending === undefined) return;
    const { error } = this.ending;
    this.send(error ? nestError(this.id, error) : nestEnd(this.id));
    this.finish(error ? { status: error.status, error } : { status: 200 });
  }

  private send(data: Uint8Array): void {
    try {
      this.msg.respond(data);
    } catch (error) {
      this.logger.warn(`last answer of the stream of ${this.ctx.service}.${this.ctx.func} not sent: ${(error as Error).message}`);
    }
  }

  private finish(outcome: StreamOutcome): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.deadlineTimer);
    this.resolve(outcome);
  }
}

function hasRequestId(headers: MsgHdrs | undefined): boolean {
  return headers !== undefined && headers.get(MeshHeaders.requestId) !== '';
}
