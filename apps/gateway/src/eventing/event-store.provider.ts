import { Provider } from '@nestjs/common';
import { EventStore, JetStreamEventStore, LocalEventStore } from '@nest-mesh/eventing';
import { resolve } from 'node:path';
import { MeshOptions } from 'nest-mesh';
import { connectionOptions } from 'nest-mesh/internal';
import { GatewayConfig } from '../config/gateway-config';

export const EVENT_STORE = Symbol('EventStore');
/** The broker options the gateway connects with (for the JetStream store). */
export const EVENTING_BROKER = Symbol('EventingBroker');

/** How much longer than a trigger's timeout a claimed delivery stays leased (ms). */
const LEASE_MARGIN_MS = 5_000;

/** The lease of a claimed delivery: the longest trigger timeout plus a margin. */
function leaseOf(config: GatewayConfig): number {
  return Math.max(config.modules.functions.timeout.default, ...config.modules.eventing.triggerSpecs.map((t) => t.timeout)) + LEASE_MARGIN_MS;
}

/** The event store: JetStream on the NATS of `conn`, else SQLite in the `store` folder. Opened before the gateway serves. */
export const eventStoreProvider: Provider = {
  provide: EVENT_STORE,
  inject: [GatewayConfig, EVENTING_BROKER],
  useFactory: async (config: GatewayConfig, broker: MeshOptions): Promise<EventStore> => {
    const leaseMs = leaseOf(config);
    const connection = connectionOptions(broker, 'nest-mesh gateway events');
    const store =
      config.modules.functions.conn !== undefined
        ? new JetStreamEventStore({ connection, leaseMs, replicas: config.modules.eventing.replicas })
        : new LocalEventStore({ path: resolve(config.modules.eventing.store), leaseMs });
    try {
      await store.open();
    } catch (error) {
      const message = (error as Error).message;
      if (store instanceof JetStreamEventStore && /^503$|jetstream not enabled/i.test(message)) {
        throw new Error(`event store: JetStream is not enabled on ${String(connection.servers)} (run nats-server with -js)`);
      }
      throw new Error(`event store: ${message}`);
    }
    return store;
  },
};
