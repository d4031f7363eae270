import { connect, ConnectionOptions, Msg, NatsConnection, NatsError } from 'nats';

/**
 * Small probes of what a NATS client may do on a broker with permissions: each answers within a
 * bounded wait and never hangs, so a suite can run the same checks against any broker.
 */

/** Connects, or resolves to the error text when the broker refuses the login. */
export async function tryConnect(url: string, options: ConnectionOptions): Promise<NatsConnection | string> {
  try {
    return await connect({ servers: url, reconnect: false, timeout: 5_000, ...options });
  } catch (error) {
    return (error as Error).message;
  }
}

export async function mustConnect(url: string, options: ConnectionOptions): Promise<NatsConnection> {
  const nc = await tryConnect(url, options);
  if (typeof nc === 'string') throw new Error(`cannot connect as ${String(options.user ?? options.name)}: ${nc}`);
  return nc;
}

/** The errors a connection has been told about (nats.js reports their code only, e.g. PERMISSIONS_VIOLATION). */
export function watchErrors(nc: NatsConnection): string[] {
  const errors: string[] = [];
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'error') errors.push(String(status.data));
    }
  })();
  return errors;
}

/**
 * Subscribes (in `queue` if given) and reports whether the broker allowed it: a refused
 * subscription gets a permissions error on its callback; an allowed one gets a probe message.
 */
export async function canSubscribe(nc: NatsConnection, prober: NatsConnection, subject: string, queue?: string, probe = subject): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => finish(false), 5_000);
    const sub = nc.subscribe(subject, {
      queue,
      callback: (error: NatsError | null) => finish(error === null),
    });
    function finish(allowed: boolean) {
      clearTimeout(timer);
      clearInterval(probing);
      if (!sub.isClosed()) sub.unsubscribe();
      resolve(allowed);
    }
    // Probe until the subscription has reached the broker (or was refused).
    const probing = setInterval(() => prober.publish(probe), 50);
    void nc.flush().then(() => prober.publish(probe));
  });
}

/** Publishes from `nc` and reports whether a subscriber of `watcher` received it (bounded). */
export async function canPublish(nc: NatsConnection, watcher: NatsConnection, subject: string, waitMs = 1_000): Promise<boolean> {
  const received = new Promise<boolean>((resolve) => {
    const sub = watcher.subscribe(subject, { max: 1, callback: () => resolve(true) });
    setTimeout(() => {
      sub.unsubscribe();
      resolve(false);
    }, waitMs);
  });
  await watcher.flush();
  nc.publish(subject);
  await nc.flush().catch(() => undefined);
  return received;
}

/** Serves `subject` in queue `q` on `nc` with a fixed reply. */
export function serve(nc: NatsConnection, subject: string, reply: string): void {
  nc.subscribe(subject, { queue: 'q', callback: (_: NatsError | null, msg: Msg) => msg.respond(new TextEncoder().encode(reply)) });
}
