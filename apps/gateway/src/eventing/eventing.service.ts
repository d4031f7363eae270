import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Dispatcher, EnqueueResult, EventStore, Scheduler, StoreFullError, TriggerSpec } from '@nest-mesh/eventing';
import { MeshClient, MeshCodes, MeshError } from 'nest-mesh';
import { GatewayConfig } from '../config/gateway-config';
import { GatewayMetrics, Readiness } from '../observability';
import { EventingMetrics } from './eventing-metrics';
import { EVENT_STORE } from './event-store.provider';
import type { QueueRequest } from './queue-request';
import { TableSources } from './table-sources';

/** How long stopping waits for deliveries in flight before leaving them for redelivery (ms). */
const STOP_GRACE_MS = 10_000;

/**
 * Eventing in the gateway: stores queued events (HTTP, emit, schedules, tables) for the triggers
 * that listen to them, and runs the dispatcher that delivers them. Starts after the app is up;
 * on shutdown it first stops delivering (in-flight deliveries finish or are redelivered later).
 */
@Injectable()
export class EventingService implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Eventing');
  readonly triggers: readonly TriggerSpec[];
  readonly metrics: EventingMetrics;
  /** The largest payload of an event, in bytes of JSON. */
  readonly maxPayload: number;
  /** What may wait in the store before queueing answers 503 STORE_FULL (bytes). */
  private readonly maxPendingBytes: number;
  /** Refusing with STORE_FULL now: logged once when it starts and once when it ends. */
  private full = false;
  private readonly byEventType = new Map<string, string[]>();
  private readonly dispatcher: Dispatcher;
  private readonly scheduler: Scheduler;
  private readonly tables: TableSources;

  constructor(
    config: GatewayConfig,
    mesh: MeshClient,
    @Inject(EVENT_STORE) readonly store: EventStore,
    gatewayMetrics: GatewayMetrics,
    private readonly readiness: Readiness,
  ) {
    this.triggers = config.modules.eventing.triggerSpecs;
    this.maxPayload = config.modules.eventing.maxPayload;
    this.maxPendingBytes = config.modules.eventing.maxPendingBytes;
    for (const trigger of this.triggers) {
      if (trigger.on.kind !== 'event') continue;
      const list = this.byEventType.get(trigger.on.event) ?? [];
      list.push(trigger.name);
      this.byEventType.set(trigger.on.event, list);
    }
    const known = new Set([...this.byEventType.keys(), ...Object.keys(config.modules.eventing.rules), ...this.triggers.map((t) => t.name)]);
    this.metrics = new EventingMetrics(known, gatewayMetrics.registry, () => store.counts());
    const logger = { log: (m: string) => this.logger.log(m), warn: (m: string) => this.logger.warn(m), error: (m: string) => this.logger.error(m) };
    const caller = {
      call: (service: string, func: string, params: unknown, options: { timeout: number; eventId: string }) =>
        mesh.call(service, func, params, { ...options, requestId: `event-${options.eventId}`.slice(0, 128) }),
    };
    this.dispatcher = new Dispatcher(store, caller, new Map(this.triggers.map((t) => [t.name, t])), { metrics: this.metrics, logger });
    this.scheduler = new Scheduler(store, this.triggers, { metrics: this.metrics, logger });
    this.tables = new TableSources(store, this.triggers, { metrics: this.metrics, logger });
  }

  /** `/readyz` includes the event store and every table trigger's database (docs/operations.md#probes). */
  onModuleInit(): void {
    this.readiness.addCondition('events', () => this.isReady(), 'the event store or a table trigger database is unreachable');
  }

  async onApplicationBootstrap(): Promise<void> {
    this.dispatcher.start();
    await this.scheduler.start();
    this.tables.start();
    this.logger.log(`eventing started: ${this.triggers.length} trigger(s)`);
  }

  /**
   * Stores an event for the triggers of its type; resolves once it is durable. 503 STORE_FULL at
   * once when the store holds `maxPendingBytes` (schedules and table changes are not bounded by it).
   */
  async queue(request: Pick<QueueRequest, 'type' | 'payload' | 'id' | 'delay'>): Promise<EnqueueResult> {
    let result: EnqueueResult;
    try {
      result = await this.store.enqueue(
        {
          id: request.id ?? randomUUID(),
          type: request.type,
          source: 'event',
          time: new Date().toISOString(),
          payload: request.payload,
          triggers: this.byEventType.get(request.type) ?? [],
          notBefore: request.delay > 0 ? Date.now() + request.delay : undefined,
        },
        { maxPendingBytes: this.maxPendingBytes },
      );
    } catch (error) {
      if (error instanceof StoreFullError) {
        if (!this.full) this.logger.warn(`${error.message}: queueing answers 503 STORE_FULL until events are delivered or removed`);
        this.full = true;
        throw new MeshError(503, 'the event store is full; retry later', MeshCodes.STORE_FULL);
      }
      this.logger.error(`cannot store an event of type ${request.type}: ${(error as Error).message}`);
      throw new MeshError(503, 'the event store is unavailable', MeshCodes.SERVICE_UNAVAILABLE);
    }
    if (this.full) this.logger.log('the event store takes events again');
    this.full = false;
    if (!result.duplicate) this.metrics.queued(request.type);
    return result;
  }

  /** The store is reachable and every table source is installed and connected (for /readyz). */
  async isReady(): Promise<boolean> {
    return (await this.store.isReady()) && this.tables.isReady();
  }


  async beforeApplicationShutdown(): Promise<void> {
    this.scheduler.stop();
    await this.tables.stop();
    await this.dispatcher.stop(STOP_GRACE_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
