import type { NatsConnection } from 'nats';

/**
 * Ends a connection: drains it (unsubscribe, deliver what is in hand, flush) when the broker is
 * there, within `timeoutMs`; closes it at once when the broker is gone, since a drain would
 * wait for a reconnect that may never come.
 */
export async function drainOrClose(nc: NatsConnection, connected: boolean, timeoutMs = 5000): Promise<void> {
  if (nc.isClosed()) return;
  if (connected) {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([nc.drain().catch(() => undefined), expired]);
    clearTimeout(timer);
  }
  if (!nc.isClosed()) await nc.close();
}
