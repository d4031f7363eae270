import { context, Context, propagation, ROOT_CONTEXT, Span, SpanKind, SpanStatusCode, trace, Tracer } from '@opentelemetry/api';

/** What the gateway's SERVER span reads of an HTTP request (express and fastify requests both have it). */
export interface TracedRequest {
  headers: Record<string, string | string[] | undefined>;
  method?: string;
  url?: string;
  ip?: string;
  params?: Record<string, string | undefined>;
}

const FUNCTIONS_ROUTE = '/v1/api/:project/functions/:service/:func';
const SERVICES_ROUTE = '/v1/api/:project/services/:service/:func';

/**
 * Starts the SERVER span of an HTTP call (OpenTelemetry's HTTP conventions), continuing the
 * caller's `traceparent` (or, when an HTTP instrumentation already started a span for this
 * request, as its child); returns the span and the context that the call to the function continues.
 */
export function startHttpSpan(tracer: Tracer, request: TracedRequest): { span: Span; context: Context } {
  const active = context.active();
  const parent = trace.getSpan(active) !== undefined ? active : propagation.extract(ROOT_CONTEXT, request.headers);
  const url = request.url ?? '/';
  const route = url.includes('/services/') ? SERVICES_ROUTE : FUNCTIONS_ROUTE;
  const method = request.method ?? 'POST';
  const span = tracer.startSpan(`${method} ${route}`, { kind: SpanKind.SERVER }, parent);
  if (span.isRecording()) {
    const query = url.indexOf('?');
    span.setAttributes({
      'http.request.method': method,
      'http.route': route,
      'url.path': query < 0 ? url : url.slice(0, query),
      'url.scheme': 'http',
      'mesh.service': request.params?.service,
      'mesh.function': request.params?.func,
    });
    if (request.ip) span.setAttribute('client.address', request.ip);
    const agent = request.headers['user-agent'];
    if (typeof agent === 'string') span.setAttribute('user_agent.original', agent);
  }
  return { span, context: trace.setSpan(parent, span) };
}

/** Ends the SERVER span with the answer's status; 5xx marks it failed (HTTP conventions for servers). */
export function endHttpSpan(span: Span, status: number, code: string, requestId: string): void {
  if (span.isRecording()) {
    span.setAttribute('http.response.status_code', status);
    span.setAttribute('mesh.request_id', requestId);
    if (status >= 400) span.setAttribute('error.type', code);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}
