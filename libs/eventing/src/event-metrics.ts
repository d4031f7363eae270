/** Counters the eventing parts report to; the gateway maps them to its metrics. */
export interface EventMetrics {
  /** An event was stored (not a duplicate). */
  queued(type: string): void;
  /** An attempt ended: `ok`, `retry` (will be tried again) or `dead` (given up). */
  delivered(trigger: string, outcome: DeliveryOutcome): void;
}

export type DeliveryOutcome = 'ok' | 'retry' | 'dead';

export const NO_METRICS: EventMetrics = { queued: () => undefined, delivered: () => undefined };
