import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { ExpressAdapter } from '@nestjs/platform-express';
import express from 'express';
import type { FastifyServerOptions } from 'fastify';
import type { HttpConfig } from '../config/gateway-config';
import { answerClientError, answerFrameworkError } from './client-errors';

/** Longer than any path Node lets through (its header limit): fastify never refuses a path parameter for its length. */
const MAX_PARAM_LENGTH = 65_536;

/** How often Node checks `headersTimeout` / `requestTimeout` (its default, 30 s, would let a slow client stay that much longer). */
const TIMEOUT_CHECK_INTERVAL = 1000;

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * The HTTP server of both adapters (and of the management port), with the timeouts of `http`
 * (docs/config.md#slow-clients): a client gets `headersTimeout` ms to send its headers and
 * `requestTimeout` ms for the whole request; an idle keep-alive connection is closed after
 * `keepAliveTimeout` ms. The `clientError` listener is the caller's to add (fastify adds its own
 * `clientErrorHandler`; the others add `answerClientError`).
 */
export function createHttpServer(handler: Handler, http: HttpConfig): Server {
  const server = createServer(
    { headersTimeout: http.headersTimeout, requestTimeout: http.requestTimeout, connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL },
    handler,
  );
  server.keepAliveTimeout = http.keepAliveTimeout;
  return server;
}

/**
 * Nest's express adapter on the gateway's own HTTP server, with contract answers for client errors.
 * Routes are case-sensitive, as on fastify (`/CONSOLE/` is not `/console/`): set on the app it is
 * given, since the adapter's first middleware makes express create its router.
 */
export class GatewayExpressAdapter extends ExpressAdapter {
  constructor(private readonly settings: HttpConfig) {
    super(express().set('case sensitive routing', true));
  }

  override initHttpServer(): void {
    const server = createHttpServer(this.getInstance(), this.settings);
    server.on('clientError', answerClientError);
    this.setHttpServer(server);
  }
}

/** fastify's options for the same server, and contract answers for client errors and malformed URLs. */
export function fastifyServerOptions(http: HttpConfig) {
  return {
    bodyLimit: http.bodyLimit,
    // ignoreTrailingSlash: `/console/` is `/console`, as on express (non-strict routing);
    // caseSensitive (fastify's default, stated): `/CONSOLE/` is not, as on express.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH, ignoreTrailingSlash: true, caseSensitive: true },
    serverFactory: (handler: Handler) => createHttpServer(handler, http),
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
  } satisfies FastifyServerOptions;
}

/** A host to reach a server at, for the URL the gateway prints: loopback when it listens on every interface. */
export function urlHostOf(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
