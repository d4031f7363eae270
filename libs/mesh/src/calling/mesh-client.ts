import { Inject, Injectable } from '@nestjs/common';
import type { Context, Tracer } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import { headers as natsHeaders, Msg, MsgHdrs } from 'nats';
import { Observable } from 'rxjs';
import { AnyMeshFunctions, DEFAULT_CALL_TIMEOUT_MS, DEFAULT_STREAM_TIMEOUT_MS, EMIT_SUBJECT, isValidName, MeshCodes, MeshHeaders, NAME_RULE, ParamsOf, ResultOf, subjectFor } from '@nest-mesh/wire';
import { errorOfHeaders } from '../error-headers';
import { decodeJson, encodeJson, jsonText } from '../json';
import { MeshError } from '../mesh-error';
import { MESH_OPTIONS } from '../mesh.module-definition';
import { inboxPrefixOf, MeshOptions } from '../options';
import { currentCall } from '../service/call-storage';
import type { MeshAuth, MeshContext } from '../service/mesh-context';
import { activeTracer, endCallSpan, failSpan, passTraceHeaders, startCallSpan } from '../telemetry/tracing';
import type { MeshTokenSigner } from '../token/mesh-token';
import { callFailure, streamFailure } from './call-failure';
import { MeshConnection } from './mesh-connection';
import { RequestMux } from './request-mux';
import { ReplyStream, StreamMux } from './stream-mux';

/** Options of `MeshClient.call` (and `callJson`, `request`). */
export interface CallOptions {
  /** Milliseconds to wait for the reply; never beyond the deadline of the call being served. */
  timeout?: number;
  /** The call this one is made for; by default the mesh call being served on this async path. */
  context?: MeshContext;
  /** Set by the gateway; inherited from the context otherwise; a new one when neither. */
  requestId?: string;
  /** Verified claims of the caller, sent as `Mesh-Auth`; inherited from the context otherwise. */
  auth?: MeshAuth;
  /** The OpenTelemetry context this call continues; by default the call being served, else the active context. */
  trace?: Context;
  /** The event this call delivers, sent as `Mesh-Event-Id` (set by the gateway's dispatcher). */
  eventId?: string;
}

/** Options of `MeshClient.stream` (docs/protocol.md#streams). */
export interface StreamOptions extends CallOptions {
  /** `timeout` here bounds the wait for each item (the first included), in ms. */
  timeout?: number;
  /** Milliseconds the whole stream may last; never beyond the deadline of the call being served. Default 3600000. */
  streamTimeout?: number;
  /** Items the function may send ahead of the reader (the credits). Default 64. */
  window?: number;
}

/** `params` then options: params may be left out when the function's params accept `undefined`. */
export type MeshCallArgs<T> = undefined extends ParamsOf<T> ? [params?: ParamsOf<T>, options?: CallOptions] : [params: ParamsOf<T>, options?: CallOptions];

/** The arguments of a call of a client without a `MeshFunctions` map; none a call gives for a typed one (only its typed signature applies). */
type UntypedCallArgs<F> = [keyof F] extends [never] ? UntypedCall : string extends keyof F ? UntypedCall : [never, never, never, never, never];
type UntypedCall = [service: string, func: string, params?: unknown, options?: CallOptions];

/**
 * Calls mesh functions: `call('users', 'create', params)` resolves to the result or rejects with
 * a MeshError (503 no instance or no broker, 504 timeout, the function's own status otherwise).
 * Typed by the `MeshFunctions` that `nest-mesh types` writes, `MeshClient<MeshFunctions>` checks
 * each call's service, function, params and result at compile time (docs/getting-started.md#5-typed-calls).
 * `stream` reads the items of a function that streams.
 */
@Injectable()
export class MeshClient<F = AnyMeshFunctions> {
  private readonly defaultTimeout: number;
  /** The calls waiting for a reply: the broker going away fails them at once. */
  private readonly inbox: RequestMux<MeshError>;
  /** The streams being read; subscribes its inbox with the first stream, so plain calls never pay for it. */
  private readonly streams: StreamMux<MeshError>;
  private readonly signer?: MeshTokenSigner;
  /** The OpenTelemetry SDK's tracer; undefined when none is registered (docs/operations.md#tracing). */
  private readonly tracer: Tracer | undefined = activeTracer();

  constructor(
    private readonly connection: MeshConnection,
    @Inject(MESH_OPTIONS) options: MeshOptions,
  ) {
    this.defaultTimeout = options.callTimeout ?? DEFAULT_CALL_TIMEOUT_MS;
    this.inbox = new RequestMux(callFailure, inboxPrefixOf(options));
    this.streams = new StreamMux(streamFailure, inboxPrefixOf(options));
    this.signer = options.signer;
    connection.onLost(() => {
      this.inbox.failAll();
      this.streams.failAll();
    });
  }

  /**
   * Calls `service.func` with `params` (JSON; `null` when absent): resolves to the result, or
   * rejects with a MeshError. Inside a mesh function, the call's auth, request id and remaining
   * deadline are passed on unless `options` says otherwise. An untyped client's caller may state the
   * result type: `call<User>('users', 'get', { id })`.
   */
  call<T = unknown>(...args: UntypedCallArgs<F>): Promise<T>;
  /** With a `MeshFunctions` map: the service, function, params and result checked at compile time. */
  call<S extends keyof F & string, N extends keyof F[S] & string>(service: S, func: N, ...args: MeshCallArgs<F[S][N]>): Promise<ResultOf<F[S][N]>>;
  // `_never`: only for the signatures' sake (a typed client's untyped signature asks for five arguments that no call gives).
  async call(service: string, func: string, params?: unknown, options?: CallOptions, ..._never: never[]): Promise<unknown> {
    return decodeReply(await this.request(service, func, encodeJson(params), options), service, func);
  }

  /**
   * Like `call`, but resolves to the result as the JSON text the function sent (checked to be JSON;
   * `null` for an empty reply), for a caller that only passes it on, like the gateway.
   */
  async callJson(service: string, func: string, params?: unknown, options: CallOptions = {}): Promise<string> {
    return replyJson(await this.request(service, func, encodeJson(params), options), service, func);
  }

  /** Like `call`, with the params already JSON-encoded; resolves to the raw reply (see `decodeReply`). */
  async request(service: string, func: string, payload: Uint8Array, options: CallOptions = {}): Promise<Msg> {
    if (!isValidName(service) || !isValidName(func)) {
      throw new MeshError(400, `service and function names ${NAME_RULE}`, MeshCodes.BAD_REQUEST);
    }
    const parent = options.context ?? currentCall.getStore();
    const now = Date.now();
    let deadline = now + (options.timeout ?? this.defaultTimeout);
    if (parent && parent.deadline < deadline) deadline = parent.deadline;
    const timeout = deadline - now;
    if (timeout <= 0) throw new MeshError(504, `no time left to call ${service}.${func}`, MeshCodes.TIMEOUT);
    const nc = this.connection.current;
    if (!nc) throw new MeshError(503, 'the broker is unreachable', MeshCodes.SERVICE_UNAVAILABLE);

    const headers = callHeaders(options, parent, deadline);
    // Mesh-Token: the served call's, passed on; else the gateway's signature (docs/security.md).
    let token = parent?.meshToken ?? this.signer?.tokenFor(service, func, options.auth);
    if (typeof token === 'object') token = await token;
    if (token !== undefined) headers.append(MeshHeaders.token, token);

    const subject = subjectFor(service, func);
    if (this.tracer === undefined) {
      passTraceHeaders(headers, options.trace, parent);
      return this.inbox.request(nc, subject, payload, headers, timeout);
    }
    const span = startCallSpan(this.tracer, subject, service, func, headers, options.trace ?? parent?.trace);
    return endCallSpan(span, this.inbox.request(nc, subject, payload, headers, timeout));
  }

  /**
   * Calls `service.func`, a function that streams (docs/protocol.md#streams): a cold Observable of its
   * items, each as it is produced. Subscribing makes the call, unsubscribing cancels it (the function's
   * Observable is unsubscribed, its generator returns); errors are MeshErrors (the function's, 503 no
   * instance, 504 when an item takes longer than `timeout` or the stream longer than `streamTimeout`).
   * A function that returns a plain value gives one item. The function sends at most `window` items
   * ahead of the subscriber's `next`.
   */
  stream<T = unknown>(service: string, func: string, params?: unknown, options: StreamOptions = {}): Observable<T> {
    return new Observable<T>((subscriber) => {
      let replies: ReplyStream<MeshError> | undefined;
      let stopped = false;
      const read = async (): Promise<void> => {
        replies = await this.openStream(service, func, encodeJson(params), options);
        if (stopped) return replies.cancel();
        for (;;) {
          const next = await replies.next();
          if (next.done || stopped) break;
          subscriber.next(decodeReply(next.value, service, func) as T);
        }
        subscriber.complete();
      };
      read().catch((error: unknown) => {
        replies?.cancel();
        subscriber.error(error);
      });
      return () => {
        stopped = true;
        replies?.cancel();
      };
    });
  }

  /**
   * The pull side of `stream`, for a reader that writes items at its own pace (the gateway's
   * server-sent events): resolves once the call is sent, to a ReplyStream whose `next()` yields each
   * item's message (its data is the item's JSON) and grants the function a credit only as items are
   * read; `return()`/`cancel()` stops the function. Rejects at once like `call` (400, 503, 504).
   */
  async openStream(service: string, func: string, payload: Uint8Array, options: StreamOptions = {}): Promise<ReplyStream<MeshError>> {
    if (!isValidName(service) || !isValidName(func)) {
      throw new MeshError(400, `service and function names ${NAME_RULE}`, MeshCodes.BAD_REQUEST);
    }
    const parent = options.context ?? currentCall.getStore();
    const now = Date.now();
    let deadline = now + (options.streamTimeout ?? DEFAULT_STREAM_TIMEOUT_MS);
    if (parent && parent.deadline < deadline) deadline = parent.deadline;
    if (deadline <= now) throw new MeshError(504, `no time left to call ${service}.${func}`, MeshCodes.TIMEOUT);
    const nc = this.connection.current;
    if (!nc) throw new MeshError(503, 'the broker is unreachable', MeshCodes.SERVICE_UNAVAILABLE);

    const headers = callHeaders(options, parent, deadline);
    const token = await (parent?.meshToken ?? this.signer?.tokenFor(service, func, options.auth));
    if (token !== undefined) headers.append(MeshHeaders.token, token);

    const subject = subjectFor(service, func);
    const span = this.tracer && startCallSpan(this.tracer, subject, service, func, headers, options.trace ?? parent?.trace);
    if (!span) passTraceHeaders(headers, options.trace, parent);
    const stream = this.streams.open(nc, subject, payload, headers, {
      timeout: options.timeout ?? this.defaultTimeout,
      deadline,
      window: options.window,
    });
    if (span) {
      stream.onSettle((failure) => {
        if (failure) failSpan(span, failure.status, failure.code, failure.message);
        span.end();
      });
    }
    return stream;
  }

  /**
   * Queues an event for the triggers that listen to `type` (docs/events.md): resolves to the event's
   * id once a gateway stored it durably; an `id` given again within 24 hours is stored once.
   * Rejects with a MeshError (400 bad type/id/delay, 413 payload too large, 503 no gateway, 504).
   */
  async emit(type: string, payload?: unknown, options: EmitOptions = {}): Promise<string> {
    const nc = this.connection.current;
    if (!nc) throw new MeshError(503, 'the broker is unreachable', MeshCodes.SERVICE_UNAVAILABLE);
    const timeout = options.timeout ?? this.defaultTimeout;
    const headers = natsHeaders();
    headers.append(MeshHeaders.requestId, currentCall.getStore()?.requestId || randomUUID());
    headers.append(MeshHeaders.deadline, String(Date.now() + timeout));
    const request = encodeJson({ type, payload: payload ?? null, id: options.id, delay: options.delay });
    const reply = await this.inbox.request(nc, EMIT_SUBJECT, request, headers, timeout);
    return (decodeReply(reply, 'eventing', 'queue') as { id: string }).id;
  }
}

export interface EmitOptions {
  /** The event's id (1-128 of `[A-Za-z0-9._:@-]`); the same id within 24 hours is stored once. Default: a new UUID. */
  id?: string;
  /** Milliseconds before the event is delivered. */
  delay?: number;
  /** Milliseconds to wait for a gateway to store it; default the client's call timeout. */
  timeout?: number;
}

/** The headers of a call but its Mesh-Token: request id, deadline, auth, event id. */
function callHeaders(options: CallOptions, parent: MeshContext | undefined, deadline: number): MsgHdrs {
  // append, not set: the headers are new, so there is nothing to replace (set scans the keys twice).
  const headers = natsHeaders();
  headers.append(MeshHeaders.requestId, options.requestId ?? (parent?.requestId || randomUUID()));
  headers.append(MeshHeaders.deadline, String(deadline));
  const auth = options.auth !== undefined ? authJson(options.auth) : parent?.rawAuth;
  if (auth !== undefined) headers.append(MeshHeaders.auth, auth);
  if (options.eventId !== undefined) headers.append(MeshHeaders.eventId, options.eventId);
  return headers;
}

/** Mesh-Auth texts of frozen claims (a gateway's cached, verified tokens): written once, not per call. */
const frozenAuthJson = new WeakMap<object, string>();

function authJson(auth: MeshAuth): string {
  if (auth === null || typeof auth !== 'object' || !Object.isFrozen(auth)) return JSON.stringify(auth);
  let json = frozenAuthJson.get(auth);
  if (json === undefined) {
    json = JSON.stringify(auth);
    frozenAuthJson.set(auth, json);
  }
  return json;
}

/** The result of a reply, or the MeshError it carries in its ADR-32 error headers. */
export function decodeReply(reply: Msg, service: string, func: string): unknown {
  const failure = errorOfHeaders(reply.headers);
  if (failure) throw failure;
  try {
    return decodeJson(reply.data);
  } catch {
    throw invalidJson(service, func);
  }
}

/** The result of a reply as JSON text, unchanged (`null` when empty); throws as `decodeReply` does. */
export function replyJson(reply: Msg, service: string, func: string): string {
  const failure = errorOfHeaders(reply.headers);
  if (failure) throw failure;
  const text = jsonText(reply.data);
  try {
    JSON.parse(text); // only to check it: a reply that is not JSON is the function's fault (500)
  } catch {
    throw invalidJson(service, func);
  }
  return text;
}

function invalidJson(service: string, func: string): MeshError {
  return new MeshError(500, `function ${service}.${func} replied with invalid JSON`, MeshCodes.INTERNAL);
}

