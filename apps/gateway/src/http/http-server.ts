import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { HttpConfig } from '../config/gateway-config';
import { answerClientError } from './client-errors';

/** How often Node checks `headersTimeout` / `requestTimeout` (its default, 30 s, would let a slow client stay that much longer). */
const TIMEOUT_CHECK_INTERVAL = 1000;

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * The HTTP server of both adapters, with the timeouts of `http` (docs/config.md#slow-clients):
 * a client gets `headersTimeout` ms to send its headers and `requestTimeout` ms for the whole
 * request; an idle keep-alive connection is closed after `keepAliveTimeout` ms.
 * The `clientError` listener is the adapter's to add (fastify adds its own `clientErrorHandler`).
 */
export function createHttpServer(handler: Handler, http: HttpConfig): Server {
  const server = createServer(
    { headersTimeout: http.headersTimeout, requestTimeout: http.requestTimeout, connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL },
    handler,
  );
  server.keepAliveTimeout = http.keepAliveTimeout;
  return server;
}

/** Nest's express adapter on the gateway's own HTTP server, with contract answers for client errors. */
export class GatewayExpressAdapter extends ExpressAdapter {
  constructor(private readonly settings: HttpConfig) {
    super();
  }

  override initHttpServer(): void {
    const server = createHttpServer(this.getInstance(), this.settings);
    server.on('clientError', answerClientError);
    this.setHttpServer(server);
  }
}
