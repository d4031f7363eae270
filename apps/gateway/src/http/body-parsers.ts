import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AsyncResource } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpConfig } from '../config/gateway-config';
import { BodyLimit } from './body-limit';
import { rejectBadUrl } from './client-errors';
import { announcesBody } from './media-type';
import { BodyErrors, RequestBodyDecoder } from './request-body';

/** fastify's own step after the body: validation, preHandler hooks, the route's handler. */
type RouteHandler = (request: FastifyRequest, reply: FastifyReply) => void;

type Next = (error?: unknown) => void;

/**
 * How each adapter reads a request body: the headers checked first (a POST must be declared JSON,
 * the Content-Length within the limit), then the raw bytes, within `http.bodyLimit`, handed to the one
 * RequestBodyDecoder (size, UTF-8, depth, JSON: docs/config.md#limits), so that both accept and
 * refuse exactly the same bodies with the same answers.
 */

export function useFastifyBody(app: NestFastifyApplication, http: HttpConfig): void {
  readFastifyBodies(app.getHttpAdapter().getInstance(), new RequestBodyDecoder(http.maxDepth, app.get(BodyLimit)));
}

/**
 * On fastify, the gateway reads every request body itself, in place of fastify's content-type
 * parsing: fastify's `ContentTypeParser.run` wraps each request's parse callback with
 * `AsyncResource.bind`, which on Node 20 defines two deprecation getters per call: with the
 * garbage they leave, a large share of the gateway's CPU per call (measured in bench/RESULTS.md). The reader keeps what that wrapper is for:
 * the route's handler runs in the async context the request had when its body began, through
 * `runInAsyncScope` (AsyncLocalStorage, OpenTelemetry context).
 */
export function readFastifyBodies(fastify: FastifyInstance, decoder: RequestBodyDecoder): void {
  // Each fastify instance keeps its content-type parsing under the symbol `fastify.contentTypeParser`.
  const key = Object.getOwnPropertySymbols(fastify).find((symbol) => symbol.description === 'fastify.contentTypeParser');
  const parser = key && (fastify as unknown as Record<symbol, { run?: unknown } | undefined>)[key];
  if (typeof parser?.run !== 'function') throw new Error('nest-mesh: this fastify version is not supported (no content-type parser to replace)');
  parser.run = (_contentType: string, handler: RouteHandler, request: FastifyRequest, reply: FastifyReply) =>
    readBody(decoder, request, reply, handler);
}

/** Reads `request.raw` within the body limit, decodes it (RequestBodyDecoder), then runs the route's handler. */
function readBody(decoder: RequestBodyDecoder, request: FastifyRequest, reply: FastifyReply, handler: RouteHandler): void {
  readRequestBody(decoder, request.raw, (error, body) => {
    if (error !== undefined) {
      // The client may still be sending: this connection is closed once answered, as fastify does.
      reply.header('connection', 'close');
      reply.send(error);
      return;
    }
    request.body = body;
    handler(request, reply);
  });
}

/**
 * Reads one request's body for either adapter: the headers checked first, then the bytes within the
 * limit, decoded by the RequestBodyDecoder. `done` runs once, in the async context the request had
 * when its body began (AsyncLocalStorage, OpenTelemetry context).
 */
export function readRequestBody(decoder: RequestBodyDecoder, stream: IncomingMessage, done: (error: unknown, body?: unknown) => void): void {
  const resource = new AsyncResource('nest-mesh:request-body');
  const answer = (error: unknown, body?: unknown): void => {
    resource.runInAsyncScope(done, null, error, body);
    resource.emitDestroy();
  };
  try {
    decoder.checkHeaders(stream.method ?? 'GET', stream.headers);
  } catch (error) {
    return answer(error);
  }
  const finish = (error: unknown, body?: unknown): void => {
    stream.removeListener('data', onData);
    stream.removeListener('end', onEnd);
    stream.removeListener('error', onError);
    answer(error, body);
  };
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size > decoder.limit.current) return finish(BodyErrors.tooLarge());
    chunks.push(chunk);
  };
  const onEnd = (): void => {
    let body: unknown;
    try {
      body = decoder.decode(size === 0 ? undefined : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size), stream.headers['content-encoding']);
    } catch (error) {
      return finish(error);
    }
    finish(undefined, body);
  };
  const onError = (error: Error & { statusCode?: number }): void => {
    if (!(typeof error.statusCode === 'number' && error.statusCode >= 400)) error.statusCode = 400;
    finish(error);
  };
  stream.on('data', onData);
  stream.on('end', onEnd);
  stream.on('error', onError);
  stream.resume();
}

export function useExpressBody(app: NestExpressApplication, http: HttpConfig): void {
  const decoder = new RequestBodyDecoder(http.maxDepth, app.get(BodyLimit));
  // First a malformed URL (as fastify's router does), then the body, read as on fastify.
  app.use(rejectBadUrl);
  app.use((request: IncomingMessage & { body?: unknown }, response: ServerResponse, next: Next) => {
    if (!announcesBody(request.headers) && request.method !== 'POST') return next();
    readRequestBody(decoder, request, (error, body) => {
      if (error !== undefined) {
        // The client may still be sending: this connection is closed once answered.
        response.setHeader('connection', 'close');
        return next(error);
      }
      request.body = body;
      next();
    });
  });
}
