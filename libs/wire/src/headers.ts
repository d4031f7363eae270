/** Header names of the mesh, over NATS and over HTTP (docs/protocol.md). */

/**
 * NATS headers of a call and of its reply. The ADR-32 error pair (`Nats-Service-Error`,
 * `Nats-Service-Error-Code`) is nats.js's `ServiceErrorHeader` / `ServiceErrorCodeHeader`.
 */
export const MeshHeaders = {
  requestId: 'Mesh-Request-Id',
  /** Unix ms after which nobody waits for the reply. */
  deadline: 'Mesh-Deadline',
  /** JSON of the caller's verified claims. */
  auth: 'Mesh-Auth',
  /** The gateway's signature on the call (docs/security.md). */
  token: 'Mesh-Token',
  /** The mesh code of an error reply. */
  errorCode: 'Mesh-Error-Code',
  /** The id of the event a triggered call delivers (docs/events.md). */
  eventId: 'Mesh-Event-Id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  /**
   * Streams (docs/protocol.md#streams). On a request: the caller asks for a stream and grants that
   * many items at first; on the service's first message: `open` (`STREAM_OPEN`).
   */
  stream: 'Mesh-Stream',
  /** The number of an item of a stream: 1, 2, ... */
  streamSeq: 'Mesh-Stream-Seq',
  /** The last message of a stream that ended well, with its number of items. */
  streamEnd: 'Mesh-Stream-End',
  /** Caller to service: that many more items may come (0: only a keepalive). */
  streamCredit: 'Mesh-Stream-Credit',
  /** Caller to service: stop the stream, nobody reads it any more. */
  streamCancel: 'Mesh-Stream-Cancel',
} as const;

/** The `Mesh-Stream` value of a service's first message of a stream (docs/protocol.md#streams). */
export const STREAM_OPEN = 'open';

/** HTTP headers the gateway reads or writes (docs/protocol.md, docs/operations.md). */
export const HttpHeaders = {
  /** Kept when well-formed (`REQUEST_ID_PATTERN`), else made; on every answer. */
  requestId: 'X-Request-Id',
  /** Seconds to wait before trying again (429, 503 OVERLOADED). */
  retryAfter: 'Retry-After',
  rateLimitLimit: 'X-RateLimit-Limit',
  rateLimitRemaining: 'X-RateLimit-Remaining',
} as const;

/**
 * The ADR-32 endpoint metadata key under which a function announces the JSON Schema of its params
 * (a JSON string); absent when it has none (docs/discovery.md).
 */
export const PARAMS_METADATA_KEY = 'nest-mesh.params';

/**
 * The ADR-32 endpoint metadata key under which a function announces the JSON Schema of its result
 * (a JSON string); absent when it declares none (docs/discovery.md#result-schemas).
 */
export const RESULT_METADATA_KEY = 'nest-mesh.result';
