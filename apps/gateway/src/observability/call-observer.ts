import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Context, Span, Tracer } from '@opentelemetry/api';
import { isValidName } from '@nest-mesh/wire';
import { activeTracer, traceHeadersContext } from 'nest-mesh/internal';
import { GatewayConfig } from '../config/gateway-config';
import { CallLogWriter } from './call-log';
import { CallSeries, GatewayMetrics } from './gateway-metrics';
import { endHttpSpan, startHttpSpan, TracedRequest } from './http-span';

/** One call between `begin` and `end` (call/ keeps it with the call it observes). */
export interface ObservedCall {
  readonly request: TracedRequest;
  readonly series: CallSeries;
  readonly started: number;
  span: Span | undefined;
  /** The trace context the call to the function continues: the span's, or without an SDK the caller's W3C headers. */
  trace: Context | undefined;
  ended: boolean;
}

/**
 * The edges of one HTTP call, where its metrics, span and log line are taken (docs/operations.md):
 * `begin` when the call reaches its first check, `end` when it is answered. Per call: two Map
 * lookups, a few additions, and no allocation beyond one small record; the span and log line only
 * when they are on.
 */
@Injectable()
export class CallObserver implements OnApplicationShutdown {
  private readonly logger = new Logger('Calls');
  /** The OpenTelemetry SDK's tracer, looked up once; undefined when none is registered. */
  private readonly tracer: Tracer | undefined = activeTracer();
  private readonly logCalls: boolean;
  /** JSON call lines go out batched (call-log.ts); text ones through the Nest logger. */
  private readonly jsonLines: CallLogWriter | undefined;

  constructor(
    private readonly metrics: GatewayMetrics,
    @Inject(GatewayConfig) config: GatewayConfig,
  ) {
    this.logCalls = config.log.calls;
    this.jsonLines = config.log.format === 'json' ? new CallLogWriter() : undefined;
  }

  /** The HTTP server is closed by now: the last call lines go out. */
  onApplicationShutdown(): void {
    this.jsonLines?.flush();
  }

  /** The call has reached its first check: starts its clock and its span. */
  begin(request: TracedRequest): ObservedCall {
    const observed: ObservedCall = {
      request,
      series: this.metrics.seriesOf(request.params?.service, request.params?.func),
      started: performance.now(),
      span: undefined,
      trace: undefined,
      ended: false,
    };
    if (this.tracer !== undefined) {
      const { span, context } = startHttpSpan(this.tracer, request);
      observed.span = span;
      observed.trace = context;
    } else {
      const traceparent = request.headers.traceparent;
      if (typeof traceparent === 'string') {
        const tracestate = request.headers.tracestate;
        observed.trace = traceHeadersContext(traceparent, typeof tracestate === 'string' ? tracestate : undefined);
      }
    }
    return observed;
  }

  /** The call was answered with `status` and `code` (`OK` for 200); a second answer to it is not a second call. */
  end(observed: ObservedCall, status: number, code: string, requestId: string): void {
    if (observed.ended) return;
    observed.ended = true;
    const ms = performance.now() - observed.started;
    observed.series.count(status, code);
    observed.series.duration.observe(ms / 1000);
    if (observed.span !== undefined) endHttpSpan(observed.span, status, code, requestId);
    if (this.logCalls) this.logCall(observed.request, status, code, ms, requestId);
  }

  /** A call refused before it began (e.g. an unparsable body): counted, without a duration. */
  refused(request: TracedRequest, status: number, code: string, requestId: string): void {
    this.metrics.seriesOf(request.params?.service, request.params?.func).count(status, code);
    if (this.logCalls) this.logCall(request, status, code, 0, requestId);
  }

  /** One line per call: names only when valid, never params, headers or tokens. */
  private logCall(request: TracedRequest, status: number, code: string, ms: number, requestId: string): void {
    const service = nameOrDash(request.params?.service);
    const func = nameOrDash(request.params?.func);
    const rounded = Math.round(ms * 100) / 100;
    if (this.jsonLines) this.jsonLines.write({ requestId, service, func, status, code, ms: rounded });
    else this.logger.log(`${requestId} ${service}.${func} ${status} ${code} ${rounded} ms`);
  }
}

function nameOrDash(name: string | undefined): string {
  return isValidName(name) ? name : '-';
}
