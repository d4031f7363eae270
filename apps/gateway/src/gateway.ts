import { INestApplication, Logger, LoggerService } from '@nestjs/common';
import { BrokerThread } from '@nest-mesh/broker';
import type { MeshOptions } from 'nest-mesh';
import { GatewayConfig } from './config/gateway-config';
import { GatewayModule } from './gateway.module';
import { BodyLimit } from './http/body-limit';
import { createHttpApp } from './http/http-app';

export interface RunningGateway {
  app: INestApplication;
  /** Where the HTTP API is served, e.g. http://127.0.0.1:4122 */
  url: string;
  /** The NATS URL(s) that services connect to. */
  brokerUrl: string;
  /** The embedded broker (on a worker thread of this process), when the config has no `conn`. */
  broker?: BrokerThread;
  /** Stops HTTP, then the mesh connection, then the embedded broker. */
  close(): Promise<void>;
}

/**
 * Starts the gateway for a validated config: the embedded broker if there is no `conn`, then HTTP.
 * The embedded broker runs on a worker thread, so routing messages never waits for HTTP work.
 */
export async function startGateway(config: GatewayConfig, logger?: LoggerService): Promise<RunningGateway> {
  const log = new Logger('Gateway');
  const functions = config.modules.functions;
  let broker: BrokerThread | undefined;
  let connection: MeshOptions;
  if (!functions.enabled) {
    connection = { servers: [] };
  } else if (functions.conn !== undefined) {
    connection = { servers: serversOf(functions.conn) };
  } else {
    const { host, port, token, users } = functions.embedded;
    broker = await new BrokerThread({ host, port, token, users, logger: brokerLogger() }).start();
    connection = { servers: broker.url, token, user: users?.[0]?.user, pass: users?.[0]?.password };
    log.log(`embedded broker listening on ${broker.url}`);
  }
  const brokerUrl = (Array.isArray(connection.servers) ? connection.servers.join(',') : String(connection.servers)) || 'none';

  let app: INestApplication;
  try {
    app = await createHttpApp(GatewayModule.register(config, connection), config.http, logger ?? ['log', 'warn', 'error']);
    await app.listen(config.port, config.host);
  } catch (error) {
    await broker?.close();
    throw error;
  }
  app.get(BodyLimit).warnIfOverBroker(log);
  const url = `http://${urlHostOf(config.host)}:${portOf(app)}`;
  log.log(`gateway for project "${config.id}" listening on ${url} (${config.http.adapter})`);
  return {
    app,
    url,
    brokerUrl,
    broker,
    close: async () => {
      await app.close();
      await broker?.close();
    },
  };
}

/** `conn` as nats.js servers: a list, or one string with comma-separated URLs. */
function serversOf(conn: string | string[]): string[] {
  return (Array.isArray(conn) ? conn : conn.split(',')).map((url) => url.trim()).filter(Boolean);
}

/** A host to reach the gateway at: loopback when it listens on every interface. */
function urlHostOf(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function portOf(app: INestApplication): number {
  const address = app.getHttpServer().address();
  return typeof address === 'object' && address ? address.port : 0;
}

function brokerLogger() {
  const logger = new Logger('EmbeddedBroker');
  return { log: (m: string) => logger.log(m), warn: (m: string) => logger.warn(m), error: (m: string) => logger.error(m) };
}
