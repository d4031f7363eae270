/**
 * (c) the moleculer service: one `bench.echo` action returning its params, on a moleculer 0.14 broker
 * with the NATS transporter (env NATS_URL). Prints "ready".
 */
import { ServiceBroker } from 'moleculer';

async function main(): Promise<void> {
  const broker = new ServiceBroker({ nodeID: `bench-echo-${process.pid}`, transporter: process.env.NATS_URL, logger: false });
  broker.createService({
    name: 'bench',
    actions: {
      echo: (ctx) => ctx.params,
    },
  });
  await broker.start();
  const stop = () => void broker.stop().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write('ready\n');
}

main().catch((error: Error) => {
  process.stderr.write(`moleculer echo: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
