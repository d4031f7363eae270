import {
  Attributes,
  context,
  Context,
  createContextKey,
  propagation,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  TextMapGetter,
  TextMapSetter,
  trace,
  Tracer,
} from '@opentelemetry/api';
import type { Msg, MsgHdrs } from 'nats';
import { MeshHeaders, QUEUE_GROUP } from '@nest-mesh/wire';
import { errorOfHeaders } from '../error-headers';
import type { MeshError } from '../mesh-error';
import type { MeshContext } from '../service/mesh-context';

/**
 * OpenTelemetry spans of mesh calls, through `@opentelemetry/api` only (docs/operations.md#tracing):
 * a CLIENT span per MeshClient call, a SERVER span per call served, with the W3C trace context
 * (`traceparent`, `tracestate`) carried in the NATS headers. Until an SDK is registered the
 * tracer is undefined and none of this runs: a call then only passes on the W3C headers it was given.
 */

export const TRACER_NAME = 'nest-mesh';

/**
 * The tracer of the registered OpenTelemetry SDK, or undefined when none is registered (the API
 * alone is a no-op). Looked up once by each MeshClient, MeshServer and gateway, when they start:
 * register the SDK before the app starts, as OpenTelemetry's setup does.
 */
export function activeTracer(name = TRACER_NAME): Tracer | undefined {
  const provider = trace.getTracerProvider();
  return provider instanceof ProxyTracerProvider ? provider.getDelegateTracer(name) : provider.getTracer(name);
}

/** MsgHdrs as an OpenTelemetry carrier. */
export const natsHeaderSetter: TextMapSetter<MsgHdrs> = {
  set: (headers, key, value) => headers.set(key, value),
};

export const natsHeaderGetter: TextMapGetter<MsgHdrs | undefined> = {
  keys: (headers) => (headers ? headers.keys() : []),
  get: (headers, key) => headers?.get(key) || undefined,
};

/** W3C headers passed on unchanged when no SDK is registered (see `traceHeadersContext`). */
const TRACE_HEADERS = createContextKey('nest-mesh W3C trace headers');

interface TraceHeaders {
  traceparent: string;
  tracestate?: string;
}

/**
 * A context that only carries the caller's W3C headers, for a caller with no SDK (the gateway
 * passes an HTTP request's `traceparent`/`tracestate` on this way): MeshClient sends them unchanged.
 */
export function traceHeadersContext(traceparent: string, tracestate?: string): Context {
  return ROOT_CONTEXT.setValue(TRACE_HEADERS, { traceparent, tracestate } satisfies TraceHeaders);
}

/** Without an SDK: writes the W3C headers of `trace` (or of the call being served) to `headers`. */
export function passTraceHeaders(headers: MsgHdrs, traceContext: Context | undefined, parent: MeshContext | undefined): void {
  const given = traceContext?.getValue(TRACE_HEADERS) as TraceHeaders | undefined;
  const traceparent = given ? given.traceparent : parent?.traceparent;
  if (traceparent === undefined) return;
  headers.append(MeshHeaders.traceparent, traceparent);
  const tracestate = given ? given.tracestate : parent?.header(MeshHeaders.tracestate);
  if (tracestate) headers.append(MeshHeaders.tracestate, tracestate);
}

/**
 * Starts the CLIENT span of a call to `subject` as a child of `parent` (else of the active context)
 * and injects its context into the request's headers.
 */
export function startCallSpan(tracer: Tracer, subject: string, service: string, func: string, headers: MsgHdrs, parent?: Context): Span {
  const base = parent ?? context.active();
  const span = tracer.startSpan(`send ${subject}`, { kind: SpanKind.CLIENT }, base);
  if (span.isRecording()) span.setAttributes(messagingAttributes(subject, service, func, 'send'));
  propagation.inject(trace.setSpan(base, span), headers, natsHeaderSetter);
  return span;
}

/** Ends a CLIENT span when its reply (or failure) arrives; resolves and rejects as `reply` does. */
export function endCallSpan(span: Span, reply: Promise<Msg>): Promise<Msg> {
  return reply.then(
    (msg) => {
      const failure = errorOfHeaders(msg.headers);
      if (failure) failSpan(span, failure.status, failure.code, failure.message);
      span.end();
      return msg;
    },
    (error: MeshError) => {
      failSpan(span, error.status, error.code, error.message);
      span.end();
      throw error;
    },
  );
}

/** Starts the SERVER span of a call being served, continuing the caller's trace; sets `ctx.trace`. */
export function startServeSpan(tracer: Tracer, ctx: MeshContext, msg: Msg): Span {
  const remote = propagation.extract(ROOT_CONTEXT, msg.headers, natsHeaderGetter);
  const span = tracer.startSpan(`process ${msg.subject}`, { kind: SpanKind.SERVER }, remote);
  if (span.isRecording()) {
    span.setAttributes(messagingAttributes(msg.subject, ctx.service, ctx.func, 'process'));
    span.setAttribute('messaging.message.body.size', msg.data.length);
    if (ctx.requestId) span.setAttribute('messaging.message.conversation_id', ctx.requestId);
  }
  ctx.trace = trace.setSpan(remote, span);
  return span;
}

/** Marks a span as failed with a mesh status and code (`error.type` is the code). */
export function failSpan(span: Span, status: number, code: string | undefined, message: string | undefined): void {
  if (!span.isRecording()) return;
  span.setAttribute('error.type', code || String(status));
  span.setAttribute('mesh.status', status);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

function messagingAttributes(subject: string, service: string, func: string, operation: 'send' | 'process'): Attributes {
  return {
    'messaging.system': 'nats',
    'messaging.destination.name': subject,
    'messaging.operation.name': operation,
    'messaging.operation.type': operation,
    ...(operation === 'process' ? { 'messaging.consumer.group.name': QUEUE_GROUP } : {}),
    'mesh.service': service,
    'mesh.function': func,
  };
}
