import { DynamicModule, INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { HttpConfig } from '../config/gateway-config';
import { BodyLimit } from './body-limit';
import { answerClientError, answerFrameworkError, rejectBadUrl } from './client-errors';
import { createHttpServer, GatewayExpressAdapter } from './http-server';
import { RequestBodyDecoder } from './request-body';

type Handler = Parameters<typeof createHttpServer>[0];

/** Longer than any path Node lets through (its header limit): fastify never refuses a path parameter for its length. */
const MAX_PARAM_LENGTH = 65_536;

/**
 * The gateway's Nest app on the configured HTTP adapter. Both adapters read every request
 * body as JSON whatever its Content-Type (an empty body is `{}`) with one RequestBodyDecoder
 * (size, UTF-8, depth: docs/config.md#limits), run on the same HTTP server settings, answer
 * malformed URLs and requests alike, and do no per-response work the API does not need
 * (no ETag, no X-Powered-By).
 */
export async function createHttpApp(module: DynamicModule, http: HttpConfig, logger: LoggerService | false | string[]): Promise<INestApplication> {
  const options = { bodyParser: false, logger: logger as LoggerService };
  if (http.adapter === 'fastify') {
    // skipMiddie: the gateway registers no Nest middleware, so requests need not go through @fastify/middie.
    const adapter = new FastifyAdapter({
      bodyLimit: http.bodyLimit,
      skipMiddie: true,
      maxParamLength: MAX_PARAM_LENGTH,
      serverFactory: (handler: Handler) => createHttpServer(handler, http),
      clientErrorHandler: answerClientError,
      frameworkErrors: answerFrameworkError,
    });
    const app = await NestFactory.create<NestFastifyApplication>(module, adapter, options);
    const decoder = new RequestBodyDecoder(http.maxDepth, app.get(BodyLimit));
    const fastify = app.getHttpAdapter().getInstance();
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
      const encoding = request.headers['content-encoding'];
      try {
        done(null, decoder.decode(body, encoding));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
    return app;
  }
  const app = await NestFactory.create<NestExpressApplication>(module, new GatewayExpressAdapter(http), options);
  const decoder = new RequestBodyDecoder(http.maxDepth, app.get(BodyLimit));
  app.use(rejectBadUrl);
  app.use((request: { headers: Record<string, string | undefined> }, _response: unknown, next: (error?: unknown) => void) => {
    try {
      decoder.checkLength(request.headers['content-length']);
    } catch (error) {
      return next(error);
    }
    next();
  });
  // inflate: false: a compressed body is refused (415), as fastify, which does not decompress, must refuse it too.
  app.useBodyParser('raw', { limit: http.bodyLimit, type: () => true, inflate: false });
  app.use((request: { body?: unknown }, _response: unknown, next: (error?: unknown) => void) => {
    try {
      request.body = decoder.decode(request.body as Buffer | undefined);
    } catch (error) {
      return next(error);
    }
    next();
  });
  app.disable('x-powered-by');
  app.set('etag', false);
  return app;
}
