import { EventLogger, EventMetrics, EventStore, TableSource, TriggerSpec } from '@nest-mesh/eventing';

/** The table triggers of the config, one TableSource per database. */
export class TableSources {
  private readonly sources: TableSource[] = [];

  constructor(store: EventStore, triggers: readonly TriggerSpec[], options: { metrics: EventMetrics; logger: EventLogger; schema?: string }) {
    const byDb = new Map<string, TriggerSpec[]>();
    for (const trigger of triggers) {
      if (trigger.on.kind !== 'table') continue;
      byDb.set(trigger.on.db, [...(byDb.get(trigger.on.db) ?? []), trigger]);
    }
    for (const [db, list] of byDb) this.sources.push(new TableSource(store, { db, triggers: list, ...options }));
  }

  start(): void {
    for (const source of this.sources) source.start();
  }

  isReady(): boolean {
    return this.sources.every((source) => source.isReady);
  }

  async stop(): Promise<void> {
    await Promise.all(this.sources.map((source) => source.stop()));
  }
}
