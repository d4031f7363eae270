/**
 * Triggers (docs/events.md): the event store (local disk or JetStream), the dispatcher that calls
 * trigger functions with retries and dead events, schedules, and the PostgreSQL table source.
 * No Nest and no HTTP here: the gateway wires these parts (apps/gateway/src/eventing).
 */
export * from './event';
export type { EventStore, EnqueueResult, EnqueueOptions, EventCounts } from './event-store';
export { StoreFullError } from './event-store';
export { LIST_PAGE_BYTES, InvalidCursorError, PageBuilder } from './page';
export type { ListQuery, EventPage } from './page';
export { LocalEventStore, LOCAL_STORE_FILE } from './local-store';
export type { LocalStoreOptions } from './local-store';
export { Dispatcher, isFinal } from './dispatcher';
export type { DispatcherOptions, EventParams } from './dispatcher';
export * from './event-caller';
export * from './event-metrics';
export * from './event-logger';
export * from './trigger';
export { Scheduler, scheduleError, occurrenceId, latestMissed } from './scheduler';
export { TableSource, DEFAULT_TABLE_SCHEMA } from './table-source';
export type { TableSourceOptions } from './table-source';
export { JetStreamEventStore, DEFAULT_EVENT_STREAM, DEFAULT_EVENT_SUBJECT } from './jetstream-store';
export type { JetStreamStoreOptions } from './jetstream-store';
