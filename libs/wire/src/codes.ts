/**
 * The catalogue of error codes the mesh itself gives, each with its status and what it means: the
 * table of docs/protocol.md. A function may use codes of its own too:
 * `throw new MeshError(409, 'email taken', 'EMAIL_TAKEN')`.
 */
export const MESH_CODES = {
  BAD_REQUEST: { status: 400, description: 'the body is not a JSON object, `timeout` is out of range, or a name is invalid' },
  UNAUTHENTICATED: { status: 401, description: 'the token is invalid, or the rule needs one and none was sent' },
  FORBIDDEN: { status: 403, description: 'no rule applies, or the rule denies the call' },
  PROJECT_NOT_FOUND: { status: 404, description: 'the project is not the gateway\'s' },
  NOT_FOUND: { status: 404, description: 'an eventing admin route names an event the store does not hold' },
  PAYLOAD_TOO_LARGE: { status: 413, description: 'the body is over the limit' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'a POST whose Content-Type is not JSON, or a compressed body' },
  RATE_LIMITED: { status: 429, description: 'the rate limit is used up: see Retry-After' },
  CLIENT_CLOSED: { status: 499, description: 'the caller went away before its stream ended (recorded in metrics and logs; never an answer)' },
  INTERNAL: { status: 500, description: 'the function failed' },
  RESULT_TOO_LARGE: { status: 500, description: 'the result is larger than the broker accepts' },
  SERVICE_UNAVAILABLE: { status: 503, description: 'no instance serves the function, or the broker is unreachable' },
  SLOW_CONSUMER: { status: 503, description: 'a stream that cannot be paused got more than the high-water mark ahead of its reader' },
  OVERLOADED: { status: 503, description: 'the gateway has `maxInFlight` calls waiting: see Retry-After' },
  STORE_FULL: { status: 503, description: 'queueing an event while the event store holds `maxPendingBytes`' },
  TIMEOUT: { status: 504, description: 'no reply within the timeout' },
} as const satisfies Record<string, { status: number; description: string }>;

export type MeshCode = keyof typeof MESH_CODES;

/** The codes by name: `MeshCodes.FORBIDDEN === 'FORBIDDEN'`. */
export const MeshCodes = Object.freeze(Object.fromEntries(Object.keys(MESH_CODES).map((code) => [code, code]))) as { readonly [C in MeshCode]: C };

/** A code a function may give: `[A-Z0-9_]{1,64}`. */
export const CODE_PATTERN = /^[A-Z0-9_]{1,64}$/;

/** HTTP's names of the error statuses, as Nest's `HttpStatus` spells them. */
const STATUS_NAMES: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST', 401: 'UNAUTHORIZED', 402: 'PAYMENT_REQUIRED', 403: 'FORBIDDEN', 404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED', 406: 'NOT_ACCEPTABLE', 407: 'PROXY_AUTHENTICATION_REQUIRED', 408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT', 410: 'GONE', 411: 'LENGTH_REQUIRED', 412: 'PRECONDITION_FAILED', 413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG', 415: 'UNSUPPORTED_MEDIA_TYPE', 416: 'REQUESTED_RANGE_NOT_SATISFIABLE', 417: 'EXPECTATION_FAILED',
  418: 'I_AM_A_TEAPOT', 421: 'MISDIRECTED', 422: 'UNPROCESSABLE_ENTITY', 423: 'LOCKED', 424: 'FAILED_DEPENDENCY',
  428: 'PRECONDITION_REQUIRED', 429: 'TOO_MANY_REQUESTS', 456: 'UNRECOVERABLE_ERROR', 500: 'INTERNAL_SERVER_ERROR',
  501: 'NOT_IMPLEMENTED', 502: 'BAD_GATEWAY', 503: 'SERVICE_UNAVAILABLE', 504: 'GATEWAY_TIMEOUT',
  505: 'HTTP_VERSION_NOT_SUPPORTED', 507: 'INSUFFICIENT_STORAGE', 508: 'LOOP_DETECTED',
};

/** The conventional code of a status: 400 BAD_REQUEST, 401 UNAUTHENTICATED, 404 NOT_FOUND, 500 INTERNAL, 504 TIMEOUT, ... */
export function codeForStatus(status: number): string {
  switch (status) {
    case 401:
      return MeshCodes.UNAUTHENTICATED;
    case 500:
      return MeshCodes.INTERNAL;
    case 504:
      return MeshCodes.TIMEOUT;
    default:
      return STATUS_NAMES[status] ?? (status < 500 ? MeshCodes.BAD_REQUEST : MeshCodes.INTERNAL);
  }
}

/** Whether `status` is one an error may carry: an integer from 400 to 599. */
export function isErrorStatus(status: unknown): status is number {
  return typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599;
}
