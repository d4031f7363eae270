import type { LoggerService } from '@nestjs/common';
import { Empty, headers as natsHeaders, Msg, MsgHdrs, NatsConnection, NatsError, Subscription } from 'nats';
import { MESH_CODES, MeshCodes, MeshHeaders, STREAM_HIGH_WATER_MARK, STREAM_IDLE_TIMEOUT_MS, STREAM_KEEPALIVE_MS, STREAM_OPEN, StreamInbox } from '@nest-mesh/wire';
import { errorHeaders } from '../error-headers';
import { encodeJson } from '../json';
import { streamInboxPrefix, streamToken } from '../stream-inbox';
import { MeshError } from '../mesh-error';
import { isMaxPayloadError, resultTooLarge } from '../payload-limit';
import type { MeshContext } from './mesh-context';
import { StreamPump, StreamResult, StreamSink, timerDelay } from './stream-source';

/** How a served stream ended: the status its metric records (200 ended, 499 cancelled by its caller, else the error's) and the error sent. */
export interface StreamOutcome {
  status: number;
  error?: MeshError;
}

/** The status recorded for a stream its caller cancelled (`CLIENT_CLOSED`, nginx's "client closed request"). */
export const CANCELLED_STATUS = MESH_CODES.CLIENT_CLOSED.status;

const COUNT = /^\d{1,15}$/;

/**
 * The credits a request asks for with `Mesh-Stream` (docs/protocol.md#streams), or undefined when it
 * asks for no stream. A value that is not a count is a 400.
 */
export function requestedCredits(headers: MsgHdrs | undefined): number | undefined {
  const raw = headers?.get(MeshHeaders.stream);
  if (!raw) return undefined;
  if (!COUNT.test(raw)) {
    throw new MeshError(400, `${MeshHeaders.stream} must be a number of items, not ${JSON.stringify(raw.slice(0, 32))}`, MeshCodes.BAD_REQUEST);
  }
  return Number(raw);
}

/**
 * The streams a MeshServer sends (docs/protocol.md#streams): each to the reply subject of its request,
 * paced by the credits its caller sends to the stream's control subject. One wildcard subscription
 * per connection (`<own inbox>.c.<nuid>.*`, docs/protocol.md#inboxes, made with the first stream)
 * receives every stream's credits, keepalives and cancels; one sweep every `STREAM_KEEPALIVE_MS` ends
 * the streams whose caller has been silent for `STREAM_IDLE_TIMEOUT_MS`. A plain call never comes here.
 */
export class ServedStreams {
  private nc?: NatsConnection;
  private sub?: Subscription;
  private prefix = '';
  private readonly streams = new Map<string, ServedStream>();
  private sweeper?: NodeJS.Timeout;
  private readonly onControl = (error: NatsError | null, msg: Msg): void => {
    if (error) this.refused(error);
    else this.control(msg);
  };
  private readonly sweep = (): void => {
    const silentSince = Date.now() - STREAM_IDLE_TIMEOUT_MS;
    for (const stream of this.streams.values()) {
      if (stream.heard < silentSince) {
        stream.abort(new MeshError(504, `the caller of ${stream.name} sent no credit or keepalive for ${STREAM_IDLE_TIMEOUT_MS} ms`, MeshCodes.TIMEOUT));
      }
    }
  };

  /** @param inboxPrefix the connection's, for identities that may subscribe to their own inbox only. */
  constructor(
    private readonly logger: LoggerService,
    private readonly inboxPrefix?: string,
  ) {}

  /** Streams being sent now. */
  get size(): number {
    return this.streams.size;
  }

  /**
   * Sends what `source` produces to the caller of `msg`, which granted `credits` items: resolves
   * when the stream ended, was cancelled, passed its deadline or failed (`failureOf` maps the
   * source's errors). Call it in the call's async context: the source starts here.
   */
  serve(nc: NatsConnection, msg: Msg, source: StreamResult, credits: number, ctx: MeshContext, failureOf: (error: unknown) => MeshError): Promise<StreamOutcome> {
    if (nc !== this.nc) this.listen(nc);
    const token = streamToken();
    const stream = new ServedStream(this, token, this.prefix + token, msg, source, ctx, failureOf, nc);
    this.streams.set(token, stream);
    this.sweeper ??= setInterval(this.sweep, STREAM_KEEPALIVE_MS).unref();
    const outcome = stream.outcome;
    stream.start(credits);
    return outcome;
  }

  /** Ends every stream with `error` (the service is stopping). */
  closeAll(error: MeshError): void {
    for (const stream of [...this.streams.values()]) stream.abort(error);
  }

  /** A stream that ended leaves the registry; the sweep stops with the last one. */
  forget(token: string): void {
    this.streams.delete(token);
    if (this.streams.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  warn(message: string): void {
    this.logger.warn(message);
  }

  private listen(nc: NatsConnection): void {
    this.sub?.unsubscribe();
    this.nc = nc;
    this.prefix = streamInboxPrefix(this.inboxPrefix, StreamInbox.control);
    // Subscribed before the stream's first message is published on the same connection: the broker
    // has the subscription before the caller can answer.
    this.sub = nc.subscribe(`${this.prefix}*`, { callback: this.onControl });
  }

  /** A credit, keepalive or cancel from a stream's caller. */
  private control(msg: Msg): void {
    if (!msg.subject.startsWith(this.prefix)) return;
    const stream = this.streams.get(msg.subject.substring(this.prefix.length));
    if (!stream) return; // ended already
    stream.heard = Date.now();
    const headers = msg.headers;
    if (!headers) return;
    if (headers.get(MeshHeaders.streamCancel)) {
      stream.cancel();
      return;
    }
    const credit = headers.get(MeshHeaders.streamCredit);
    if (credit && COUNT.test(credit)) stream.grant(Number(credit));
  }

  /** The broker refused the control subscription: no stream can hear its caller, so they fail now. */
  private refused(error: Error): void {
    const inbox = `${this.prefix}*`;
    this.sub = undefined;
    this.nc = undefined;
    this.closeAll(
      new MeshError(
        503,
        `the broker refused the stream control inbox ${inbox} (${error.message}); a mesh identity may subscribe to _INBOX.<name>.> only: set inboxPrefix (docs/security.md)`,
        MeshCodes.SERVICE_UNAVAILABLE,
      ),
    );
  }
}

/** One stream being sent: the wire side of a StreamPump. */
class ServedStream implements StreamSink {
  readonly outcome: Promise<StreamOutcome>;
  readonly name: string;
  /** When its caller was last heard from (unix ms). */
  heard = Date.now();
  private readonly pump: StreamPump;
  private resolve!: (outcome: StreamOutcome) => void;
  private opened = false;
  private done = false;
  private deadlineTimer?: NodeJS.Timeout;

  constructor(
    private readonly owner: ServedStreams,
    private readonly token: string,
    private readonly control: string,
    private readonly msg: Msg,
    source: StreamResult,
    private readonly ctx: MeshContext,
    private readonly failureOf: (error: unknown) => MeshError,
    private readonly nc: NatsConnection,
  ) {
    this.name = `${ctx.service}.${ctx.func}`;
    this.pump = new StreamPump(source, this, STREAM_HIGH_WATER_MARK);
    this.outcome = new Promise((resolve) => (this.resolve = resolve));
  }

  start(credits: number): void {
    try {
      this.pump.start(credits);
    } catch (error) {
      this.fail(error); // e.g. [Symbol.asyncIterator]() threw
    }
    if (this.done) return; // it failed or ended at once: answered without an open message
    try {
      this.open();
    } catch (error) {
      this.pump.stop();
      this.finish({ status: 503, error: new MeshError(503, `stream of ${this.name} not opened: ${(error as Error).message}`, MeshCodes.SERVICE_UNAVAILABLE) });
      return;
    }
    const deadline = this.ctx.deadline;
    if (Number.isFinite(deadline)) {
      this.deadlineTimer = setTimeout(() => {
        this.abort(new MeshError(504, `the stream of ${this.name} passed its deadline (Mesh-Deadline)`, MeshCodes.TIMEOUT));
      }, timerDelay(deadline - Date.now()));
    }
  }

  grant(credits: number): void {
    this.pump.grant(credits);
  }

  item(value: unknown): void {
    this.open();
    const data = encodeJson(value);
    const headers = natsHeaders();
    headers.append(MeshHeaders.streamSeq, String(this.pump.count));
    try {
      this.msg.respond(data, { headers, reply: this.control });
    } catch (error) {
      throw isMaxPayloadError(error) ? resultTooLarge(this.ctx.service, this.ctx.func, data.length, this.nc) : error;
    }
  }

  end(): void {
    const headers = natsHeaders();
    headers.append(MeshHeaders.streamEnd, String(this.pump.count));
    this.send(headers);
    this.finish({ status: 200 });
  }

  fail(error: unknown): void {
    const failure = this.failureOf(error);
    if (failure.code === MeshCodes.SLOW_CONSUMER || failure.code === MeshCodes.RESULT_TOO_LARGE) {
      this.owner.warn(`stream of ${this.name}: ${failure.message}${failure.code === MeshCodes.SLOW_CONSUMER ? ' (an async generator is paced by its reader)' : ''}`);
    }
    this.send(errorHeaders(failure));
    this.finish({ status: failure.status, error: failure });
  }

  /** The caller sent a cancel: stop the source, send nothing more. */
  cancel(): void {
    if (this.done) return;
    this.pump.stop();
    this.finish({ status: CANCELLED_STATUS });
  }

  /** Ends the stream from this side (deadline, silent caller, stopping service): stop the source, tell the caller. */
  abort(error: MeshError): void {
    if (this.done) return;
    this.pump.stop();
    this.send(errorHeaders(error));
    this.finish({ status: error.status, error });
  }

  private open(): void {
    if (this.opened) return;
    this.opened = true;
    const headers = natsHeaders();
    headers.append(MeshHeaders.stream, STREAM_OPEN);
    this.msg.respond(Empty, { headers, reply: this.control });
  }

  /** An empty message with `headers` (end or error); a failure to send is only logged: the stream is over anyway. */
  private send(headers: MsgHdrs): void {
    try {
      this.msg.respond(Empty, { headers });
    } catch (error) {
      this.owner.warn(`last message of the stream of ${this.name} not sent: ${(error as Error).message}`);
    }
  }

  private finish(outcome: StreamOutcome): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.deadlineTimer);
    this.owner.forget(this.token);
    this.resolve(outcome);
  }
}
