import type { Metric, Registry } from 'prom-client';

/**
 * Counters and histograms for the per-call hot path, served through a prom-client Registry.
 *
 * prom-client's own `labels(...)` children hash their label values into a string on every
 * `inc`/`observe`. Here a child is resolved once (when a service or function becomes known) and
 * keeps its value in plain numbers: recording a call is an addition, with no string work and no
 * allocation. The registry reads the values at scrape time, through the same `get()` shape as
 * prom-client's own metrics, so `registry.metrics()` prints them with the rest.
 */

type Labels = Record<string, string>;

/** Seconds; from under a millisecond (a gateway hop) to a minute (the largest timeout). */
export const CALL_DURATION_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** One labelled value of a PreparedCounter. */
export class CounterChild {
  value = 0;

  constructor(readonly labels: Labels) {}

  inc(): void {
    this.value++;
  }
}

/** One labelled series of a PreparedHistogram. */
export class HistogramChild {
  sum = 0;
  count = 0;
  /** counts[i]: observations in (bounds[i-1], bounds[i]]; the last slot is +Inf. */
  readonly counts: Float64Array;

  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }
}

abstract class PreparedMetric<Child> {
  abstract readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum';
  private readonly children = new Map<string, Child>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  /** The child of these label values (in `labelNames` order), made on first use. Not for the hot path. */
  child(...values: string[]): Child {
    const key = values.join('\u0000');
    let child = this.children.get(key);
    if (child === undefined) {
      const labels: Labels = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i]));
      child = this.make(labels);
      this.children.set(key, child);
    }
    return child;
  }

  /** Number of label sets. */
  get size(): number {
    return this.children.size;
  }

  protected get all(): IterableIterator<Child> {
    return this.children.values();
  }

  protected abstract make(labels: Labels): Child;
}

export class PreparedCounter extends PreparedMetric<CounterChild> {
  readonly type = 'counter';

  protected make(labels: Labels): CounterChild {
    return new CounterChild(labels);
  }

  async get() {
    const values = [...this.all].map((child) => ({ value: child.value, labels: child.labels }));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

export class PreparedHistogram extends PreparedMetric<HistogramChild> {
  readonly type = 'histogram';

  constructor(name: string, help: string, labelNames: readonly string[], readonly bounds: readonly number[] = CALL_DURATION_BUCKETS) {
    super(name, help, labelNames);
  }

  protected make(labels: Labels): HistogramChild {
    return new HistogramChild(labels, this.bounds);
  }

  async get() {
    const values: { value: number; labels: Record<string, string | number>; metricName: string }[] = [];
    for (const child of this.all) {
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += child.counts[i];
        const le = i < this.bounds.length ? this.bounds[i] : '+Inf';
        values.push({ value: cumulative, labels: { ...child.labels, le }, metricName: `${this.name}_bucket` });
      }
      values.push({ value: child.sum, labels: child.labels, metricName: `${this.name}_sum` });
      values.push({ value: child.count, labels: child.labels, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/**
 * `metric`, registered in `registry`; or the one of that name already there when it is of the same
 * kind (two servers of one app share it). A different metric of that name is an error, as in prom-client.
 */
export function registerPrepared<M extends PreparedCounter | PreparedHistogram>(registry: Registry, metric: M): M {
  const existing = registry.getSingleMetric(metric.name) as unknown;
  if (existing instanceof metric.constructor) return existing as M;
  // prom-client formats any metric with name, help, type and get(); its types list only its own classes.
  registry.registerMetric(metric as unknown as Metric);
  return metric;
}
