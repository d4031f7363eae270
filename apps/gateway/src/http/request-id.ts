import { randomUUID } from 'node:crypto';
import { HttpHeaders, REQUEST_ID_PATTERN } from '@nest-mesh/wire';

const REQUEST_ID = Symbol('meshRequestId');
/** The request id header as Node lists request headers (lower case). */
const REQUEST_ID_KEY = HttpHeaders.requestId.toLowerCase();

interface RequestLike {
  headers: Record<string, string | string[] | undefined>;
  [REQUEST_ID]?: string;
}

/** The request id of an HTTP request: the caller's `X-Request-Id` when well-formed, else a new one (the same one every time it is asked). */
export function requestIdOf(request: RequestLike): string {
  let id = request[REQUEST_ID];
  if (id === undefined) {
    const given = request.headers[REQUEST_ID_KEY];
    id = typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
    request[REQUEST_ID] = id;
  }
  return id;
}
