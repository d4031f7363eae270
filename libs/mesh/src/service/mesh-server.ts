import { Logger } from '@nestjs/common';
import { context, Span, Tracer } from '@opentelemetry/api';
import { CustomStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { EventEmitter } from 'node:events';
import { Empty, NatsConnection, Service, ServiceMsg } from 'nats';
import { MeshCodes, parseSubject, QUEUE_GROUP, subjectFor } from '@nest-mesh/wire';
import { BrokerConnector } from '../connect';
import { drainOrClose } from '../drain';
import { errorHeaders } from '../error-headers';
import { decodeJson, encodeJson } from '../json';
import { MeshError } from '../mesh-error';
import { connectionOptions, DEFAULT_GRACE_PERIOD, DEFAULT_VERSION, inboxPrefixOf, MeshOptions } from '../options';
import { isMaxPayloadError, resultTooLarge } from '../payload-limit';
import { FunctionMetrics, FunctionSeries } from '../telemetry/metrics';
import { activeTracer, failSpan, startServeSpan } from '../telemetry/tracing';
import { MeshTokenVerifier } from '../token/mesh-token-verifier';

import { currentCall } from './call-storage';
import { declarationOf } from './decorators';
import { failureOf } from './failure';
import { MeshContext } from './mesh-context';
import { NestEvents } from './nest-events';
import { NestCaller, NestStream } from './nest-reply';
import { paramsAnnouncement } from './params-schema';
import { RunningCalls } from './running-calls';
import { requestedCredits, ServedStreams } from './stream-reply';
import { isStreamResult, lastItemOf, StreamResult } from './stream-source';
import { duplicateFunctionError, unservedWarnings } from './start-up-checks';

/** The transport id of the mesh, for `@MessagePattern(pattern, MESH_TRANSPORT)` if ever needed. */
export const MESH_TRANSPORT = Symbol('nest-mesh');

type StatusEvent = 'disconnect' | 'reconnect' | 'update';

/**
 * The Nest transport that serves `@MeshFunction`s on the mesh wire (docs/protocol.md):
 * every `@MeshService` becomes a NATS micro service (ADR-32) with one endpoint per function
 * on `mesh.<service>.<func>`, queue group `q`. Closing stops taking calls first, finishes the
 * calls in flight (until their deadlines, at most `gracePeriod`), then drains the connection.
 */
export class MeshServer extends Server<Record<StatusEvent, Function>, string> {
  override readonly transportId = MESH_TRANSPORT;
  protected override readonly logger = new Logger('MeshServer');
  private readonly events = new EventEmitter();
  private nc?: NatsConnection;
  private connected = false;
  private services: Service[] = [];
  private readonly running = new RunningCalls();
  /** The streams being sent (docs/protocol.md#streams); made with the first one. */
  private streams?: ServedStreams;
  /** The `@EventPattern` handlers, served as Transport.NATS serves them. */
  private readonly nestEvents = new NestEvents(this, this.logger);
  /** The streams being sent to Nest callers (docs/protocol.md#nests-envelope). */
  private readonly nestStreams = new Set<NestStream>();
  /** Set with the `verify` option: every call's Mesh-Token is checked before its handler. */
  private tokens?: MeshTokenVerifier;
  /** The OpenTelemetry SDK's tracer, looked up at listen time; undefined when none is registered. */
  private tracer?: Tracer;
  /** A function that two handlers serve: `listen` fails with it (start-up-checks.ts). */
  private duplicate?: Error;
  /** Aborted by `close`: stops waiting for the broker at start-up. */
  private readonly closing = new AbortController();

  /** Usually made by `meshMicroservice(options)`. */
  constructor(private readonly options: MeshOptions = {}) {
    super();
  }

  /** Nest registers each handler here; a second handler for the same function is a start-up error instead of silently winning. */
  override addHandler(pattern: unknown, callback: MessageHandler, isEventHandler = false, extras: Record<string, unknown> = {}): void {
    const previous = !isEventHandler && typeof pattern === 'string' ? this.messageHandlers.get(pattern) : undefined;
    super.addHandler(pattern, callback, isEventHandler, extras);
    if (previous) this.duplicate ??= duplicateFunctionError(pattern as string, previous, callback);
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      if (this.duplicate) throw this.duplicate;
      for (const warning of unservedWarnings(this.messageHandlers.values())) this.logger.warn(warning);
      const options = connectionOptions(this.options, 'nest-mesh service');
      if (this.options.verify) this.tokens = await MeshTokenVerifier.create(this.options.verify, this.logger);
      this.tracer = activeTracer();
      const nc = await new BrokerConnector(options, this.logger).untilConnected(this.closing.signal);
      if (!nc) throw new Error('closed before the broker could be reached');
      this.nc = nc;
      this.connected = true;
      this._status$.next('connected');
      void this.watchStatus(this.nc);
      await this.serve(this.nc);
      // The broker has every subscription before `listen` resolves: a call made right after finds the instance.
      await this.nc.flush();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Graceful stop: no new calls, then the calls in flight finish (or their callers stop waiting), then the connection drains. */
  async close(): Promise<void> {
    this.closing.abort();
    const nc = this.nc;
    if (!nc) return;
    this.nc = undefined;
    const gracePeriod = this.options.gracePeriod ?? DEFAULT_GRACE_PERIOD;
    const eventsStopped = this.nestEvents.stop(gracePeriod);
    await Promise.allSettled(this.services.map((service) => service.stop()));
    this.services = [];
    this.logger.log(`stopped taking calls; ${this.running.size} in flight`);
    const { abandoned, waited, by } = await this.running.settle(gracePeriod);
    if (abandoned > 0) {
      const reason = by === 'deadlines' ? 'their callers stopped waiting (Mesh-Deadline)' : 'the grace period is over';
      this.logger.warn(`closing: abandoned ${abandoned} call(s) still running after ${waited} ms: ${reason}`);
    }
    await eventsStopped;
    // Streams still running after the grace period end with an error their callers can act on.
    const stopping = new MeshError(503, 'the service instance is stopping', MeshCodes.SERVICE_UNAVAILABLE);
    this.streams?.closeAll(stopping);
    for (const stream of this.nestStreams) stream.abort(stopping);
    await drainOrClose(nc, this.connected);
    this.events.removeAllListeners();
  }

  on(event: StatusEvent, callback: Function): void {
    this.events.on(event, callback as (...args: unknown[]) => void);
  }

  unwrap<T>(): T {
    if (!this.nc) throw new Error('MeshServer is not listening');
    return this.nc as T;
  }

  private async serve(nc: NatsConnection): Promise<void> {
    const byService = new Map<string, [func: string, handler: MessageHandler][]>();
    for (const [pattern, handler] of this.messageHandlers) {
      if (handler.isEventHandler) continue; // served as Transport.NATS serves them, below
      const names = parseSubject(pattern);
      if (!names) {
        this.logger.warn(`pattern "${pattern}" is not a mesh function (mesh.<service>.<func>); not served`);
        continue;
      }
      const list = byService.get(names.service) ?? [];
      list.push([names.func, handler]);
      byService.set(names.service, list);
    }
    const version = this.options.version ?? DEFAULT_VERSION;
    const metrics = new FunctionMetrics(this.options.registry);
    for (const [name, functions] of byService) {
      const service = await nc.services.add({ name, version, queue: QUEUE_GROUP });
      for (const [func, handler] of functions) {
        const subject = subjectFor(name, func);
        const series = metrics.forFunction(name, func);
        const declaration = declarationOf(handler);
        const params = paramsAnnouncement(declaration?.paramsType, undefined, declaration?.resultType);
        if (params.warning) this.logger.warn(`${name}.${func}: ${params.warning}`);
        if (params.resultWarning) this.logger.warn(`${name}.${func}: ${params.resultWarning}`);
        service.addEndpoint(func, {
          subject,
          metadata: params.metadata,
          handler: (error, msg) => {
            if (error) this.logger.error(`endpoint ${subject} stopped: ${error.message}`);
            else void this.handleCall(msg, handler, name, func, series);
          },
        });
      }
      this.services.push(service);
      this.logger.log(`serving ${name}: ${functions.map(([func]) => func).join(', ')}`);
    }
    const events = this.nestEvents.subscribe(nc, this.messageHandlers);
    if (events.length > 0) this.logger.log(`serving events (@EventPattern): ${events.join(', ')}`);
  }

  private async handleCall(msg: ServiceMsg, handler: MessageHandler, service: string, func: string, series: FunctionSeries): Promise<void> {
    const ctx = new MeshContext(msg.subject, msg.headers, service, func);
    if (ctx.deadline <= Date.now()) return; // the caller has stopped waiting
    this.running.add(ctx);
    const started = performance.now();
    const span = this.tracer && startServeSpan(this.tracer, ctx, msg);
    let status = 200;
    /** Set when the call came in Nest's envelope (a ClientProxy with Transport.NATS): it is answered as Nest expects. */
    let nest: NestCaller | undefined;
    try {
      const verifying = this.tokens?.verify(ctx);
      if (verifying) await verifying;
      let params: unknown;
      try {
        params = decodeJson(msg.data);
      } catch {
        throw new MeshError(400, 'params are not valid JSON', MeshCodes.BAD_REQUEST);
      }
      nest = NestCaller.of(msg, params);
      if (nest) params = nest.data;
      ctx.bindParams(params);
      const result = await currentCall.run(ctx, runHandler, handler, params, ctx);
      if (nest) status = await this.respondNest(nest, result, ctx, span);
      else if (isStreamResult(result)) status = await this.respondStream(msg, result, ctx, span);
      else if (msg.reply) status = this.respondResult(msg, encodeJson(result), service, func);
    } catch (error) {
      const failure = failureOf(error, service, func, this.logger, ctx);
      status = failure.status;
      if (span) failSpan(span, status, failure.code, failure.message);
      // A call refused before its params were read (its Mesh-Token) may still have come from a Nest caller.
      nest ??= NestCaller.ofRaw(msg);
      if (nest) nest.error(failure, this.logger);
      else if (msg.reply) this.respondError(msg, failure);
    } finally {
      series.record(status, performance.now() - started);
      span?.end();
      this.running.delete(ctx);
    }
  }

  /**
   * Answers a handler that returned a stream (docs/protocol.md#streams): item by item to a caller that
   * asked for a stream, else with the last item. Resolves to the status recorded; rejects as the
   * handler would (the caller then gets the error reply).
   */
  private async respondStream(msg: ServiceMsg, result: StreamResult, ctx: MeshContext, span: Span | undefined): Promise<number> {
    const credits = msg.reply ? requestedCredits(msg.headers) : undefined;
    if (credits === undefined) {
      const last = await inCall(ctx, () => lastItemOf(result, ctx.deadline));
      return msg.reply ? this.respondResult(msg, encodeJson(last), ctx.service, ctx.func) : 200;
    }
    const nc = this.nc;
    if (!nc) throw new MeshError(503, 'the service instance is stopping', MeshCodes.SERVICE_UNAVAILABLE);
    const streams = (this.streams ??= new ServedStreams(this.logger, inboxPrefixOf(this.options)));
    const failure = (error: unknown) => failureOf(error, ctx.service, ctx.func, this.logger, ctx);
    const { status, error } = await inCall(ctx, () => streams.serve(nc, msg, result, credits, ctx, failure));
    if (span && error) failSpan(span, status, error.code, error.message);
    return status;
  }

  /**
   * Answers a caller that used Nest's envelope (docs/protocol.md#nests-envelope): a value, or every
   * item of a stream as it comes (no flow control, as in Nest); nothing to one that `emit`ted, whose
   * stream still runs to its end. Resolves to the status recorded.
   */
  private async respondNest(nest: NestCaller, result: unknown, ctx: MeshContext, span: Span | undefined): Promise<number> {
    if (!isStreamResult(result)) return nest.value(result, ctx, this.nc, this.logger);
    if (!nest.waits) {
      await inCall(ctx, () => lastItemOf(result, ctx.deadline));
      return 200;
    }
    const failure = (error: unknown) => failureOf(error, ctx.service, ctx.func, this.logger, ctx);
    const stream = inCall(ctx, () => nest.stream(result, ctx, this.nc, failure, this.logger));
    this.nestStreams.add(stream);
    const { status, error } = await stream.outcome;
    this.nestStreams.delete(stream);
    if (span && error) failSpan(span, status, error.code, error.message);
    return status;
  }

  /**
   * Sends a result; one larger than the broker accepts is answered 500 RESULT_TOO_LARGE instead.
   * Returns the status the caller gets.
   */
  private respondResult(msg: ServiceMsg, data: Uint8Array, service: string, func: string): number {
    try {
      msg.respond(data);
      return 200;
    } catch (error) {
      if (!isMaxPayloadError(error)) {
        this.logger.warn(`reply of ${service}.${func} not sent: ${(error as Error).message}`);
        return 200;
      }
      const failure = resultTooLarge(service, func, data.length, this.nc);
      this.logger.warn(failure.message);
      this.respondError(msg, failure);
      return failure.status;
    }
  }

  private respondError(msg: ServiceMsg, error: MeshError): void {
    try {
      msg.respond(Empty, { headers: errorHeaders(error) });
    } catch (failure) {
      this.logger.warn(`error reply not sent: ${(failure as Error).message}`); // e.g. the connection closed under an abandoned call
    }
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect' || status.type === 'update') {
        this.logger.log(`broker ${status.type}: ${String(status.data)}`);
        if (status.type !== 'update') this.connected = status.type === 'reconnect';
        this._status$.next(status.type === 'disconnect' ? 'disconnected' : 'connected');
        this.events.emit(status.type, status.data);
      }
    }
  }
}

/**
 * Runs the handler, inside the call's span when there is one, so that the spans it starts are
 * children. Resolves to what the handler returned: a plain value (the usual case, without going
 * through RxJS), or a stream (an Observable, also what Nest makes of a thrown error; an AsyncIterable).
 */
function runHandler(handler: MessageHandler, params: unknown, ctx: MeshContext): Promise<unknown> {
  return ctx.trace === undefined ? handler(params, ctx) : context.with(ctx.trace, handler, undefined, params, ctx);
}

/** Runs `fn` in the call's async context (MeshContext and span), as the handler ran: a stream's source runs there. */
function inCall<R>(ctx: MeshContext, fn: () => R): R {
  return currentCall.run(ctx, () => (ctx.trace === undefined ? fn() : context.with(ctx.trace, fn)));
}

/**
 * The options of a Nest microservice (or of `app.connectMicroservice`) that serves the
 * app's `@MeshService`s: `NestFactory.createMicroservice(AppModule, meshMicroservice({ servers }))`.
 */
export function meshMicroservice(options: MeshOptions = {}): CustomStrategy {
  return { strategy: new MeshServer(options) };
}
