import { DynamicModule, INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { HttpConfig } from '../config/gateway-config';
import { CorsOrigins, corsOptionsOf } from './cors';

/**
 * The gateway's Nest app on the configured HTTP adapter. Both adapters read every request
 * body as JSON whatever its Content-Type (an empty body is `{}`), within `bodyLimit`, and
 * do no per-response work the API does not need (no ETag, no X-Powered-By). `http.cors` and
 * `http.trustProxy` use each adapter's own support (docs/operations.md).
 */
export async function createHttpApp(module: DynamicModule, http: HttpConfig, logger: LoggerService | false | string[]): Promise<INestApplication> {
  const options = { bodyParser: false, logger: logger as LoggerService };
  if (http.adapter === 'fastify') {
    // skipMiddie: the gateway registers no Nest middleware, so requests need not go through @fastify/middie.
    // ignoreTrailingSlash: `/console/` is `/console`, as on express (non-strict routing).
    const adapter = new FastifyAdapter({ bodyLimit: http.bodyLimit, skipMiddie: true, trustProxy: http.trustProxy, routerOptions: { ignoreTrailingSlash: true } });
    const app = await NestFactory.create<NestFastifyApplication>(module, adapter, options);
    if (http.cors) app.enableCors(corsOptionsOf(http.cors, app.get(CorsOrigins)));
    const fastify = app.getHttpAdapter().getInstance();
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body: Buffer, done) => {
      if (body.length === 0) return done(null, undefined);
      try {
        done(null, JSON.parse(body.toString('utf8')));
      } catch {
        done(Object.assign(new Error('request body is not valid JSON'), { statusCode: 400 }), undefined);
      }
    });
    return app;
  }
  const app = await NestFactory.create<NestExpressApplication>(module, new ExpressAdapter(), options);
  app.useBodyParser('json', { limit: http.bodyLimit, type: () => true });
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', http.trustProxy);
  if (http.cors) app.enableCors(corsOptionsOf(http.cors, app.get(CorsOrigins)));
  return app;
}
