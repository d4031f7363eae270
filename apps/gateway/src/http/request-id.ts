import { randomUUID } from 'node:crypto';

const VALID_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;
const REQUEST_ID = Symbol('meshRequestId');

export const REQUEST_ID_HEADER = 'X-Request-Id';

interface RequestLike {
  headers: Record<string, string | string[] | undefined>;
  [REQUEST_ID]?: string;
}

/** The request id of an HTTP request: the caller's `X-Request-Id` when well-formed, else a new one. */
export function requestIdOf(request: RequestLike): string {
  let id = request[REQUEST_ID];
  if (id === undefined) {
    const given = request.headers['x-request-id'];
    id = typeof given === 'string' && VALID_REQUEST_ID.test(given) ? given : randomUUID();
    request[REQUEST_ID] = id;
  }
  return id;
}
