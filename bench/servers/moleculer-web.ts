/**
 * (c) the peer's gateway: moleculer-web 0.10 on a moleculer 0.14 broker with the NATS transporter
 * (env NATS_URL), `POST /api/echo` (the JSON body is the params) -> action `bench.echo` on another node.
 * Env PORT. Prints "ready <url>" once the echo service has been discovered.
 */
import { ServiceBroker } from 'moleculer';
import ApiGateway = require('moleculer-web');

async function main(): Promise<void> {
  const port = Number(process.env.PORT);
  const broker = new ServiceBroker({ nodeID: `bench-web-${process.pid}`, transporter: process.env.NATS_URL, logger: false });
  broker.createService({
    name: 'api',
    mixins: [ApiGateway],
    settings: {
      port,
      ip: '127.0.0.1',
      logRequest: null,
      logResponse: null,
      log4XXResponses: false,
      routes: [
        {
          path: '/api',
          mappingPolicy: 'restrict',
          aliases: { 'POST echo': 'bench.echo' },
          bodyParsers: { json: true, urlencoded: false },
        },
      ],
    },
  });
  await broker.start();
  await broker.waitForServices(['bench'], 20_000);
  const stop = () => void broker.stop().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(`ready http://127.0.0.1:${port}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`moleculer web: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
