import type { LoggerService } from '@nestjs/common';
import { connect, ConnectionOptions, NatsConnection } from 'nats';
import { DEFAULT_NATS_PORT } from '@nest-mesh/wire';

/** nats.js's default `reconnectTimeWait`: how long the service waits between two tries at start-up. */
const DEFAULT_RETRY_MS = 2000;

/**
 * Connects to the broker, the one way of the library (the serving transport, MeshClient's
 * connection, the gateway's listeners). While the broker cannot be reached, it tries again every
 * `reconnectTimeWait` ms, for ever, and says so at once and on every try, with the URLs it waits for
 * (a wrong `servers` must not look like a service that simply starts slowly). Once connected,
 * nats.js reconnects by itself.
 */
export class BrokerConnector {
  private readonly where: string;
  private readonly retryMs: number;
  private failures = 0;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly logger: LoggerService,
  ) {
    this.where = serversOf(options);
    this.retryMs = options.reconnectTimeWait ?? DEFAULT_RETRY_MS;
  }

  /** One try: the connection, or undefined when the broker could not be reached (said in the log). */
  async tryOnce(): Promise<NatsConnection | undefined> {
    if (this.failures === 0) this.logger.log(`connecting to the broker at ${this.where}`);
    try {
      const nc = await connect({ ...this.options, waitOnFirstConnect: false });
      this.logger.log(`connected to the broker at ${nc.getServer()}`);
      return nc;
    } catch (error) {
      this.failures++;
      this.logger.warn(`waiting for the broker at ${this.where}: ${(error as Error).message}; trying again in ${this.retryMs} ms (${this.failures} tries so far)`);
      return undefined;
    }
  }

  /** Tries until connected; resolves to undefined when `signal` aborts first (the app is closing). */
  async untilConnected(signal: AbortSignal): Promise<NatsConnection | undefined> {
    while (!signal.aborted) {
      const nc = await this.tryOnce();
      if (nc !== undefined) {
        if (!signal.aborted) return nc;
        await nc.close();
        return undefined;
      }
      await delay(this.retryMs, signal);
    }
    return undefined;
  }
}

/** The broker URLs of the options, as the log shows them (passwords left out). */
function serversOf(options: ConnectionOptions): string {
  const servers = options.servers === undefined ? [`nats://127.0.0.1:${DEFAULT_NATS_PORT}`] : Array.isArray(options.servers) ? options.servers : [options.servers];
  return servers.map((server) => server.replace(/:[^:@/]*@/, ':***@')).join(', ');
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
