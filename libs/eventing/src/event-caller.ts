/** How the dispatcher calls a trigger's function: MeshClient.call, with the event's id as a header. */
export interface EventCaller {
  call(service: string, func: string, params: unknown, options: { timeout: number; eventId: string }): Promise<unknown>;
}

/** Counters the eventing parts report to; the gateway maps them to its metrics. */
export interface EventMetrics {
  /** An event was stored (not a duplicate). */
  queued(type: string): void;
  /** An attempt ended: `ok`, `retry` (will be tried again) or `dead` (given up). */
  delivered(trigger: string, outcome: DeliveryOutcome): void;
}

export type DeliveryOutcome = 'ok' | 'retry' | 'dead';

export const NO_METRICS: EventMetrics = { queued: () => undefined, delivered: () => undefined };

/** Where the eventing parts write their few lines. */
export interface EventLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const SILENT: EventLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };
