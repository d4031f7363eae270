import { register as defaultRegistry, Registry } from 'prom-client';
import { CounterChild, HistogramChild, PreparedCounter, PreparedHistogram, registerPrepared } from './metric-series';

/** The series a service records (docs/operations.md#metrics). */
export const FunctionMetricNames = {
  calls: 'mesh_function_calls_total',
  duration: 'mesh_function_duration_seconds',
} as const;

/**
 * `mesh_function_calls_total{service,func,status}` and `mesh_function_duration_seconds{service,func}`
 * in the app's prom-client registry (the default `register` unless one is given), so an app that
 * serves `/metrics` already shows them.
 */
export class FunctionMetrics {
  private readonly calls: PreparedCounter;
  private readonly duration: PreparedHistogram;

  constructor(registry: Registry = defaultRegistry) {
    this.calls = registerPrepared(
      registry,
      new PreparedCounter(FunctionMetricNames.calls, 'Calls served by this instance, by function and status', ['service', 'func', 'status']),
    );
    this.duration = registerPrepared(
      registry,
      new PreparedHistogram(FunctionMetricNames.duration, 'Time spent serving a call, in seconds', ['service', 'func']),
    );
  }

  /** The series of one function, resolved once (at listen time). */
  forFunction(service: string, func: string): FunctionSeries {
    return new FunctionSeries(service, func, this.calls, this.duration.child(service, func));
  }
}

/** One function's series: `record` is a few number additions, with no label lookup. */
export class FunctionSeries {
  private readonly ok: CounterChild;
  /** Error statuses seen so far (400-599: bounded), by status. */
  private readonly failed = new Map<number, CounterChild>();

  constructor(
    private readonly service: string,
    private readonly func: string,
    private readonly calls: PreparedCounter,
    private readonly duration: HistogramChild,
  ) {
    this.ok = calls.child(service, func, '200');
  }

  /** One call that ended with `status` (200 for success) after `ms` milliseconds. */
  record(status: number, ms: number): void {
    if (status === 200) this.ok.inc();
    else this.failedChild(status).inc();
    this.duration.observe(ms / 1000);
  }

  private failedChild(status: number): CounterChild {
    let child = this.failed.get(status);
    if (child === undefined) {
      child = this.calls.child(this.service, this.func, String(status));
      this.failed.set(status, child);
    }
    return child;
  }
}
