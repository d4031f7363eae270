import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Context, Span, Tracer } from '@opentelemetry/api';
import { isValidName } from '@nest-mesh/wire';
import { activeTracer, traceHeadersContext } from 'nest-mesh/internal';
import { GatewayConfig } from '../config/gateway-config';
import { requestIdOf } from '../http/request-id';
import { CallLogWriter } from './call-log';
import { CallSeries, GatewayMetrics } from './gateway-metrics';
import { endHttpSpan, startHttpSpan, TracedRequest } from './http-span';

const OBSERVED = Symbol('meshObservedCall');

/** One call between `begin` and `end`. */
interface ObservedCall {
  series: CallSeries;
  started: number;
  span: Span | undefined;
}

/** undefined: not begun; null: ended (a second answer, e.g. an error after the reply, is not counted again). */
type ObservableRequest = TracedRequest & { [OBSERVED]?: ObservedCall | null };

/**
 * The edges of one HTTP call, where its metrics, span and log line are taken (docs/operations.md):
 * `begin` when the call reaches its first check, `end` when it is answered (the controller on
 * success, the error filter otherwise). Per call: two Map lookups, a few additions, and no
 * allocation beyond one small record; the span and log line only when they are on.
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

  /**
   * The call has reached its first check: starts its clock and its span. Returns the trace context
   * that the call to the function continues (the span's; without an SDK, the caller's W3C headers).
   */
  begin(request: ObservableRequest): Context | undefined {
    const observed: ObservedCall = {
      series: this.metrics.seriesOf(request.params?.service, request.params?.func),
      started: performance.now(),
      span: undefined,
    };
    request[OBSERVED] = observed;
    if (this.tracer !== undefined) {
      const { span, context } = startHttpSpan(this.tracer, request);
      observed.span = span;
      return context;
    }
    const traceparent = request.headers.traceparent;
    if (typeof traceparent !== 'string') return undefined;
    const tracestate = request.headers.tracestate;
    return traceHeadersContext(traceparent, typeof tracestate === 'string' ? tracestate : undefined);
  }

  /**
   * The call was answered with `status` and `code` (`OK` for 200). A call refused before `begin`
   * (e.g. an unparsable body) is counted too, without a duration; other routes are not calls.
   */
  end(httpRequest: object, status: number, code: string): void {
    const request = httpRequest as ObservableRequest;
    const observed = request[OBSERVED];
    if (observed === null) return;
    let ms = 0;
    if (observed !== undefined) {
      request[OBSERVED] = null;
      ms = performance.now() - observed.started;
      observed.series.count(status, code);
      observed.series.duration.observe(ms / 1000);
      if (observed.span !== undefined) endHttpSpan(observed.span, status, code, requestIdOf(request));
    } else if (request.params?.service !== undefined) {
      request[OBSERVED] = null;
      this.metrics.seriesOf(request.params.service, request.params.func).count(status, code);
    } else {
      return;
    }
    if (this.logCalls) this.logCall(request, status, code, ms);
  }

  /** One line per call: names only when valid, never params, headers or tokens. */
  private logCall(request: ObservableRequest, status: number, code: string, ms: number): void {
    const requestId = requestIdOf(request);
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
