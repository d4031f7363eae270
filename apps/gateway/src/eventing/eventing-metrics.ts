import type { DeliveryOutcome, EventCounts, EventMetrics } from '@nest-mesh/eventing';
import { Counter, Gauge, Registry } from 'prom-client';

/** What the store holds now, read at scrape time for the gauges. */
export type CountsReader = () => Promise<EventCounts>;

/**
 * The eventing series (docs/operations.md#metrics) in the gateway's prom-client registry:
 * `mesh_events_queued_total{type}`, `mesh_event_deliveries_total{trigger,outcome}`, and the gauges
 * `mesh_events_pending`, `mesh_events_dead` read from the store at scrape time. Label values are
 * bounded: an event type that no rule or trigger names is counted as `_other`; trigger names come
 * from the config.
 */
export class EventingMetrics implements EventMetrics {
  private readonly queuedTotal: Counter<'type'>;
  private readonly deliveries: Counter<'trigger' | 'outcome'>;

  constructor(
    private readonly knownTypes: ReadonlySet<string>,
    registry: Registry,
    counts: CountsReader,
  ) {
    this.queuedTotal = new Counter({ name: 'mesh_events_queued_total', help: 'Events stored, by type', labelNames: ['type'], registers: [registry] });
    this.deliveries = new Counter({
      name: 'mesh_event_deliveries_total',
      help: 'Delivery attempts, by trigger and outcome (ok, retry, dead)',
      labelNames: ['trigger', 'outcome'],
      registers: [registry],
    });
    // One read of the store per scrape serves both gauges.
    let reading: Promise<EventCounts> | undefined;
    const read = () => (reading ??= counts().catch(() => ({ pending: 0, dead: 0 })).finally(() => setImmediate(() => (reading = undefined))));
    new Gauge({
      name: 'mesh_events_pending',
      help: 'Deliveries waiting in the store',
      registers: [registry],
      async collect() {
        this.set((await read()).pending);
      },
    });
    new Gauge({
      name: 'mesh_events_dead',
      help: 'Deliveries given up, kept for an admin',
      registers: [registry],
      async collect() {
        this.set((await read()).dead);
      },
    });
  }

  queued(type: string): void {
    this.queuedTotal.inc({ type: this.knownTypes.has(type) ? type : '_other' });
  }

  delivered(trigger: string, outcome: DeliveryOutcome): void {
    this.deliveries.inc({ trigger, outcome });
  }
}
