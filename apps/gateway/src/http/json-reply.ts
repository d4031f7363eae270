import type { HttpServer } from '@nestjs/common';
import { HttpHeaders, JSON_CONTENT_TYPE } from '@nest-mesh/wire';

/**
 * Answers JSON through Nest's HTTP adapter (express or fastify): the status, `Content-Type: application/json;
 * charset=utf-8`, `X-Request-Id` and the JSON text, already made. Every JSON answer of the gateway's
 * routes goes out here, success or error (docs/protocol.md).
 */
export function replyJson(adapter: HttpServer, response: unknown, status: number, json: string, requestId: string): void {
  adapter.setHeader(response, HttpHeaders.requestId, requestId);
  adapter.setHeader(response, 'Content-Type', JSON_CONTENT_TYPE);
  adapter.reply(response, json, status);
}
