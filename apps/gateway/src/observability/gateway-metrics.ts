import { Inject, Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { CounterChild, HistogramChild, PreparedCounter, PreparedHistogram, registerPrepared } from 'nest-mesh/internal';
import type { ConfigReloadable } from '../config/config-reloadable';
import { GatewayConfig } from '../config/gateway-config';
import { BrokerHealth } from './broker-health';
import { InFlightLimit } from '../limits/in-flight-limit';

/** The label value of a service or function that no rule names: the label set stays bounded. */
export const OTHER = '_other';

/** Distinct (status, code) pairs counted per function; beyond it they are counted as (`_other`, `_other`). */
export const MAX_OUTCOMES_PER_FUNCTION = 32;

export const GatewayMetricNames = {
  calls: 'mesh_gateway_calls_total',
  duration: 'mesh_gateway_call_duration_seconds',
  inFlight: 'mesh_gateway_calls_in_flight',
  brokerConnected: 'mesh_broker_connected',
} as const;

/** The counters of one (service, func) label pair, resolved once; counting a call is a Map lookup and an addition. */
export class CallSeries {
  readonly duration: HistogramChild;
  private readonly ok: CounterChild;
  private readonly outcomes = new Map<number, Map<string, CounterChild>>();
  private outcomeCount = 1;
  private overflow?: CounterChild;

  constructor(
    readonly service: string,
    readonly func: string,
    private readonly calls: PreparedCounter,
    duration: PreparedHistogram,
  ) {
    this.duration = duration.child(service, func);
    this.ok = calls.child(service, func, '200', 'OK');
  }

  count(status: number, code: string): void {
    if (status === 200) this.ok.inc();
    else (this.outcomes.get(status)?.get(code) ?? this.resolve(status, code)).inc();
  }

  private resolve(status: number, code: string): CounterChild {
    if (this.outcomeCount >= MAX_OUTCOMES_PER_FUNCTION) {
      return (this.overflow ??= this.calls.child(this.service, this.func, OTHER, OTHER));
    }
    let byCode = this.outcomes.get(status);
    if (byCode === undefined) this.outcomes.set(status, (byCode = new Map()));
    const child = this.calls.child(this.service, this.func, String(status), code);
    byCode.set(code, child);
    this.outcomeCount++;
    return child;
  }
}

/**
 * The gateway's Prometheus registry (docs/operations.md#metrics): the call series, the in-flight
 * and broker gauges, and prom-client's default process_* / nodejs_* metrics. Label
 * values come from the rules: `seriesOf` maps a service or function that no rule names to `_other`.
 */
@Injectable()
export class GatewayMetrics implements ConfigReloadable {
  readonly registry = new Registry();
  private readonly calls: PreparedCounter;
  private readonly duration: PreparedHistogram;
  /** Every series made so far, by service then func: a reload keeps the counts of the pairs it keeps. */
  private readonly made = new Map<string, Map<string, CallSeries>>();
  private table = new Map<string, Map<string, CallSeries>>();
  private readonly other: CallSeries;

  constructor(@Inject(GatewayConfig) config: GatewayConfig, broker: BrokerHealth, @Inject(InFlightLimit) inFlight: Pick<InFlightLimit, 'count'>) {
    collectDefaultMetrics({ register: this.registry });
    this.calls = registerPrepared(
      this.registry,
      new PreparedCounter(GatewayMetricNames.calls, 'Calls answered by the gateway, by function, HTTP status and error code', ['service', 'func', 'status', 'code']),
    );
    this.duration = registerPrepared(
      this.registry,
      new PreparedHistogram(GatewayMetricNames.duration, 'Time from the call passing its first checks to its answer, in seconds', ['service', 'func']),
    );
    new Gauge({
      name: GatewayMetricNames.inFlight,
      help: 'Calls the gateway is working on',
      registers: [this.registry],
      collect() {
        this.set(inFlight.count);
      },
    });
    new Gauge({
      name: GatewayMetricNames.brokerConnected,
      help: '1 while the gateway is connected to the broker, else 0',
      registers: [this.registry],
      collect() {
        this.set(broker.connected ? 1 : 0);
      },
    });
    this.other = this.seriesFor(OTHER, OTHER);
    this.useRules(config.modules.functions.rules);
  }

  /** The series of a call to `service.func` (names as sent, possibly invalid or unknown). */
  seriesOf(service: string | undefined, func: string | undefined): CallSeries {
    const funcs = service === undefined ? undefined : this.table.get(service);
    if (funcs === undefined) return this.other;
    return (func !== undefined ? funcs.get(func) : undefined) ?? funcs.get(OTHER)!;
  }

  /** Resolves the series of every (service, func) the rules name; call it again when the rules change. */
  useRules(rules: Record<string, unknown>): void {
    const table = new Map<string, Map<string, CallSeries>>();
    for (const [service, funcs] of Object.entries(rules)) {
      const byFunc = new Map<string, CallSeries>([[OTHER, this.seriesFor(service, OTHER)]]);
      if (funcs !== null && typeof funcs === 'object') {
        for (const func of Object.keys(funcs)) byFunc.set(func, this.seriesFor(service, func));
      }
      table.set(service, byFunc);
    }
    this.table = table;
  }

  /** Label values follow the rules of a reloaded config. */
  applyConfig(next: GatewayConfig): void {
    this.useRules(next.modules.functions.rules);
  }

  /** The Prometheus text of every metric. */
  async render(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  private seriesFor(service: string, func: string): CallSeries {
    let byFunc = this.made.get(service);
    if (byFunc === undefined) this.made.set(service, (byFunc = new Map()));
    let series = byFunc.get(func);
    if (series === undefined) byFunc.set(func, (series = new CallSeries(service, func, this.calls, this.duration)));
    return series;
  }
}
