import { DynamicModule, INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { HttpConfig } from '../config/gateway-config';
import { useExpressBody, useFastifyBody } from './body-parsers';
import { CorsOrigins, corsOptionsOf, useFastifyCors } from './cors';
import { fastifyServerOptions, GatewayExpressAdapter } from './http-server';

/**
 * The gateway's Nest app on the configured HTTP adapter. Both adapters run on the same HTTP
 * server settings (timeouts, contract answers to malformed requests: http-server.ts), refuse a POST
 * that is not declared JSON and read every request body as JSON with the same checks
 * (body-parsers.ts, docs/security.md#browsers), and do no per-response work the API does not need (no ETag, no X-Powered-By).
 * `http.trustProxy` uses each adapter's own support; `http.cors` is Nest's `enableCors` on express and
 * one precomputed hook on fastify (cors.ts), with the same answers (docs/operations.md).
 */
export async function createHttpApp(module: DynamicModule, http: HttpConfig, logger: LoggerService | false | string[]): Promise<INestApplication> {
  const options = { bodyParser: false, logger: logger as LoggerService };
  if (http.adapter === 'fastify') {
    // skipMiddie: the gateway registers no Nest middleware, so requests need not go through @fastify/middie.
    const adapter = new FastifyAdapter({ ...fastifyServerOptions(http), skipMiddie: true, trustProxy: http.trustProxy });
    const app = await NestFactory.create<NestFastifyApplication>(module, adapter, options);
    if (http.cors) useFastifyCors(app, app.get(CorsOrigins));
    useFastifyBody(app, http);
    return app;
  }
  const app = await NestFactory.create<NestExpressApplication>(module, new GatewayExpressAdapter(http), options);
  // CORS first: a preflight is answered before any body check.
  if (http.cors) app.enableCors(corsOptionsOf(http.cors, app.get(CorsOrigins)));
  useExpressBody(app, http);
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', http.trustProxy);
  return app;
}
