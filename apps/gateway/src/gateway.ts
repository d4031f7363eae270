import { INestApplication, Logger, LoggerService } from '@nestjs/common';
import { BrokerThread } from '@nest-mesh/broker';
import type { MeshOptions } from 'nest-mesh';
import { serverCredentials } from 'nest-mesh/internal';
import { GatewayConfig } from './config/gateway-config';
import { GatewayModule } from './gateway.module';
import { BodyLimit } from './http/body-limit';
import { createHttpApp } from './http/http-app';
import { urlHostOf } from './http/http-server';
import { checkOwnBrokerTls, embeddedBrokerAuth, GatewayTokenSigner, gatewayTlsOptions } from './trust';
import { gatewayLogger, ManagementServer, Readiness } from './observability';

export interface RunningGateway {
  app: INestApplication;
  /** Where the HTTP API is served, e.g. http://127.0.0.1:4122 */
  url: string;
  /** The NATS URL(s) that services connect to. */
  brokerUrl: string;
  /** The embedded broker (on a worker thread of this process), when the config has no `conn`. */
  broker?: BrokerThread;
  /** Where /livez, /readyz and /metrics are served when `management.port` is set. */
  managementUrl?: string;
  /** /readyz answers 503 from now on (call it on SIGTERM, before `close`). */
  markStopping(): void;
  /** Stops HTTP, then the mesh connection, then the embedded broker. */
  close(): Promise<void>;
}

/**
 * Starts the gateway for a validated config: the embedded broker if there is no `conn`, then HTTP.
 * The embedded broker runs on a worker thread, so routing messages never waits for HTTP work.
 */
export async function startGateway(config: GatewayConfig, logger: LoggerService = gatewayLogger(config.log)): Promise<RunningGateway> {
  Logger.overrideLogger(logger);
  const log = new Logger('Gateway');
  const functions = config.modules.functions;
  let broker: BrokerThread | undefined;
  let connection: MeshOptions;
  // Every call the gateway makes carries its Mesh-Token (docs/security.md).
  const signer = functions.enabled
    ? await GatewayTokenSigner.create({ audience: config.id, signingKey: config.auth.signingKey, minRemainingMs: functions.timeout.max })
    : undefined;
  if (!functions.enabled) {
    connection = { servers: [] };
  } else if (functions.conn !== undefined) {
    // The gateway's credential comes from the conn URL (nats://user:pass@host), see docs/security.md.
    const { servers, user, pass, token } = serverCredentials(functions.conn);
    connection = { servers, ...(user !== undefined && { user, pass }), ...(token !== undefined && { token }) };
    if (functions.services !== undefined && user === undefined && token === undefined) {
      log.warn('modules.functions.services is set but the conn URL has no credential: the gateway connects anonymously (docs/security.md)');
    }
  } else {
    const { host, port } = functions.embedded;
    const { token, users, tls, gateway } = embeddedBrokerAuth(config);
    broker = await new BrokerThread({ host, port, token, users, tls, logger: brokerLogger() }).start();
    connection = { servers: broker.url, token, user: gateway?.user, pass: gateway?.password, ...(tls && { tls: gatewayTlsOptions(tls) }) };
    if (tls) {
      // A TLS set-up that cannot work stops the start here, not as a 503 for every call (docs/security.md#tls-of-the-gateways-embedded-broker).
      await checkOwnBrokerTls(connection).catch(async (error: unknown) => {
        await broker?.close();
        throw error;
      });
    }
    log.log(`embedded broker listening on ${broker.url}`);
  }
  connection.signer = signer;
  if (signer) log.log(`signing calls with Mesh-Token key ${signer.kid}${config.auth.signingKey ? '' : ' (made at start-up)'}`);
  const brokerUrl = (Array.isArray(connection.servers) ? connection.servers.join(',') : String(connection.servers)) || 'none';

  let app: INestApplication;
  try {
    app = await createHttpApp(GatewayModule.register(config, connection), config.http, logger);
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
    managementUrl: app.get(ManagementServer).url,
    markStopping: () => app.get(Readiness).markStopping(),
    close: async () => {
      await app.close();
      await broker?.close();
    },
  };
}

function portOf(app: INestApplication): number {
  const address = app.getHttpServer().address();
  return typeof address === 'object' && address ? address.port : 0;
}

function brokerLogger() {
  const logger = new Logger('EmbeddedBroker');
  return { log: (m: string) => logger.log(m), warn: (m: string) => logger.warn(m), error: (m: string) => logger.error(m) };
}
