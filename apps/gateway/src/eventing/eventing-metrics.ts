import type { DeliveryOutcome, EventCounts, EventMetrics } from '@nest-mesh/eventing';

/**
 * The eventing counters (docs/operations.md): `mesh_events_queued_total{type}`,
 * `mesh_event_deliveries_total{trigger,outcome}`, and the gauges `mesh_events_pending`,
 * `mesh_events_dead` read from the store. Label values are bounded: an event type that no rule or
 * trigger names is counted as `_other`.
 */
export class EventingMetrics implements EventMetrics {
  readonly queuedByType = new Map<string, number>();
  readonly deliveries = new Map<string, number>();

  constructor(private readonly knownTypes: ReadonlySet<string>) {}

  queued(type: string): void {
    const label = this.knownTypes.has(type) ? type : '_other';
    this.queuedByType.set(label, (this.queuedByType.get(label) ?? 0) + 1);
  }

  delivered(trigger: string, outcome: DeliveryOutcome): void {
    const key = `${trigger}\u0000${outcome}`;
    this.deliveries.set(key, (this.deliveries.get(key) ?? 0) + 1);
  }

  /** The counters and gauges in the Prometheus text format. */
  text(counts: EventCounts): string {
    const lines = [
      '# HELP mesh_events_queued_total Events stored, by type.',
      '# TYPE mesh_events_queued_total counter',
      ...[...this.queuedByType].map(([type, n]) => `mesh_events_queued_total{type="${escape(type)}"} ${n}`),
      '# HELP mesh_event_deliveries_total Delivery attempts, by trigger and outcome (ok, retry, dead).',
      '# TYPE mesh_event_deliveries_total counter',
      ...[...this.deliveries].map(([key, n]) => {
        const [trigger, outcome] = key.split('\u0000');
        return `mesh_event_deliveries_total{trigger="${escape(trigger)}",outcome="${outcome}"} ${n}`;
      }),
      '# HELP mesh_events_pending Deliveries waiting in the store.',
      '# TYPE mesh_events_pending gauge',
      `mesh_events_pending ${counts.pending}`,
      '# HELP mesh_events_dead Deliveries given up, kept for an admin.',
      '# TYPE mesh_events_dead gauge',
      `mesh_events_dead ${counts.dead}`,
    ];
    return `${lines.join('\n')}\n`;
  }
}

function escape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}
