import { EmbeddedBroker } from '@nest-mesh/broker';
import type { BrokerKind } from './mesh';
import { NatsServerProcess } from './nats-server';

/** A broker a suite started in-process (embedded) or as a nats-server child, on a port of its own. */
export interface TestBroker {
  url: string;
  stop(): Promise<void>;
}

/** Starts a broker of the given kind; the suite stops it (`stop`) in its afterAll. */
export async function startBroker(kind: BrokerKind): Promise<TestBroker> {
  if (kind === 'nats-server') {
    const server = await new NatsServerProcess().start();
    return { url: server.url, stop: () => server.stop() };
  }
  const broker = await new EmbeddedBroker({ port: 0 }).start();
  return { url: broker.url, stop: () => broker.close() };
}
