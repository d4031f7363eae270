import type { LoggerService } from '@nestjs/common';
import { connect, ConnectionOptions, NatsConnection } from 'nats';

/** nats.js's default `reconnectTimeWait`: how long the service waits between two tries at start-up. */
const DEFAULT_RETRY_MS = 2000;

/**
 * Connects the serving transport to the broker. While the broker cannot be reached, it tries again
 * every `reconnectTimeWait` ms, for ever, and says so at once and on every try, with the URLs it
 * waits for (a wrong `servers` must not look like a service that simply starts slowly). Resolves to
 * undefined when `signal` aborts first (the app is closing).
 */
export async function connectWhenReachable(options: ConnectionOptions, logger: LoggerService, signal: AbortSignal): Promise<NatsConnection | undefined> {
  const where = serversOf(options);
  const retryMs = options.reconnectTimeWait ?? DEFAULT_RETRY_MS;
  logger.log(`connecting to the broker at ${where}`);
  for (let failures = 0; !signal.aborted; failures++) {
    try {
      const nc = await connect({ ...options, waitOnFirstConnect: false });
      if (signal.aborted) {
        await nc.close();
        return undefined;
      }
      if (failures > 0) logger.log(`connected to the broker at ${nc.getServer()}`);
      return nc;
    } catch (error) {
      if (signal.aborted) return undefined;
      logger.warn(`waiting for the broker at ${where}: ${(error as Error).message}; trying again in ${retryMs} ms (${failures + 1} tries so far)`);
      await delay(retryMs, signal);
    }
  }
  return undefined;
}

/** The broker URLs of the options, as the log shows them (passwords left out). */
function serversOf(options: ConnectionOptions): string {
  const servers = options.servers === undefined ? ['nats://127.0.0.1:4222'] : Array.isArray(options.servers) ? options.servers : [options.servers];
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
