import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { HttpConfig } from '../config/gateway-config';
import { BodyLimit } from './body-limit';
import { rejectBadUrl } from './client-errors';
import { RequestBodyDecoder } from './request-body';

type Next = (error?: unknown) => void;

/**
 * How each adapter reads a request body: the raw bytes, within `http.bodyLimit`, handed to the one
 * RequestBodyDecoder (size, UTF-8, depth, JSON: docs/config.md#limits), so that both accept and
 * refuse exactly the same bodies with the same answers.
 */

export function useFastifyBody(app: NestFastifyApplication, http: HttpConfig): void {
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
}

export function useExpressBody(app: NestExpressApplication, http: HttpConfig): void {
  const decoder = new RequestBodyDecoder(http.maxDepth, app.get(BodyLimit));
  // First a malformed URL (as fastify's router does), then a Content-Length over the limit, before any byte is read.
  app.use(rejectBadUrl);
  app.use((request: { headers: Record<string, string | undefined> }, _response: unknown, next: Next) => {
    try {
      decoder.checkLength(request.headers['content-length']);
    } catch (error) {
      return next(error);
    }
    next();
  });
  // inflate: false: a compressed body is refused (415), as fastify, which does not decompress, must refuse it too.
  app.useBodyParser('raw', { limit: http.bodyLimit, type: () => true, inflate: false });
  app.use((request: { body?: unknown }, _response: unknown, next: Next) => {
    try {
      request.body = decoder.decode(request.body as Buffer | undefined);
    } catch (error) {
      return next(error);
    }
    next();
  });
}
