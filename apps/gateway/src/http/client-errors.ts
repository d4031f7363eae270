import { randomUUID } from 'node:crypto';
import { STATUS_CODES, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { MeshCodes, MeshError } from 'nest-mesh';
import { HttpHeaders, JSON_CONTENT_TYPE } from '@nest-mesh/wire';
import { requestIdOf } from './request-id';

/**
 * Answers for requests that never reach a route, written in the shape of docs/protocol.md
 * (`{"error", "code"}` and `X-Request-Id`) instead of Node's or fastify's own.
 */

/** A URL with a malformed percent escape (e.g. `%E0%A4%A`): what fastify calls FST_ERR_BAD_URL. */
function badUrl(): MeshError {
  return new MeshError(400, 'the URL is not valid (malformed percent-encoding)', MeshCodes.BAD_REQUEST);
}

/** The error of a `clientError` of Node's HTTP server: the request could not be read. */
function clientErrorOf(error: NodeJS.ErrnoException): MeshError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new MeshError(431, 'request headers or URL are over the size limit', MeshCodes.BAD_REQUEST);
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new MeshError(408, 'the request was not received in time', MeshCodes.TIMEOUT);
    default:
      return new MeshError(400, 'the request is not valid HTTP', MeshCodes.BAD_REQUEST);
  }
}

/**
 * The `clientError` listener of the gateway's HTTP server (both adapters): a header over Node's
 * size limit, a request not received within `http.headersTimeout` / `requestTimeout`, or bytes
 * that are not HTTP. Writes the answer, unless a response has begun, and closes the connection.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const response = (socket as { _httpMessage?: ServerResponse })._httpMessage;
  if (socket.writable && !response?.headersSent) {
    const failure = clientErrorOf(error);
    const body = JSON.stringify(failure);
    socket.write(
      `HTTP/1.1 ${failure.status} ${STATUS_CODES[failure.status]}\r\n` +
        `Content-Type: ${JSON_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `${HttpHeaders.requestId}: ${randomUUID()}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** Express middleware, first of all: a malformed percent escape in the path is `badUrl()`, as on fastify. */
export function rejectBadUrl(request: { url: string }, _response: unknown, next: (error?: unknown) => void): void {
  const url = request.url;
  if (url.indexOf('%') !== -1 && !isDecodablePath(url)) return next(badUrl());
  next();
}

function isDecodablePath(url: string): boolean {
  let end = url.indexOf('?');
  if (end < 0) end = url.length;
  const hash = url.indexOf('#');
  if (hash >= 0 && hash < end) end = hash;
  try {
    decodeURI(url.slice(0, end));
    return true;
  } catch {
    return false;
  }
}

/**
 * fastify's `frameworkErrors`: a malformed URL (FST_ERR_BAD_URL) or a path parameter over
 * `maxParamLength`, answered like every other error of the gateway.
 */
export function answerFrameworkError(_error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const failure = badUrl();
  reply
    .code(failure.status)
    .header(HttpHeaders.requestId, requestIdOf(request))
    .header('Content-Type', JSON_CONTENT_TYPE)
    .send(JSON.stringify(failure));
}
