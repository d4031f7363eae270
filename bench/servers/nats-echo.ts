/**
 * (e)/(f) the echo responder: a bare nats.js subscription on SUBJECT (queue `q`) that replies with the
 * request's payload. Env NATS_URL, SUBJECT. Prints "ready".
 */
import { connect } from 'nats';

async function main(): Promise<void> {
  const nc = await connect({ servers: process.env.NATS_URL, name: 'bench-echo' });
  nc.subscribe(process.env.SUBJECT ?? 'bench.echo', { queue: 'q', callback: (_error, msg) => msg.respond(msg.data) });
  await nc.flush();
  const stop = () => void nc.drain().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write('ready\n');
}

main().catch((error: Error) => {
  process.stderr.write(`nats echo: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
