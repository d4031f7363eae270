/** Defaults that more than one side of the mesh relies on (docs/config.md). */

/** How long a call waits for its reply, in ms: the gateway's `timeout.default` and MeshClient's `callTimeout`. */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

/** The longest `timeout` a caller may ask the gateway for, in ms (`timeout.max`). */
export const DEFAULT_MAX_CALL_TIMEOUT_MS = 60_000;

/** How long a `func` rule waits for its function, in ms (`ruleTimeout`). */
export const DEFAULT_RULE_TIMEOUT_MS = 5_000;

/** The port NATS clients and servers use unless told otherwise. */
export const DEFAULT_NATS_PORT = 4222;

/** The gateway's HTTP port unless told otherwise. */
export const DEFAULT_GATEWAY_PORT = 4122;

/**
 * How long a stream answered as server-sent events may stay silent, in ms, before the gateway writes a
 * comment line (`: keepalive`), so that proxies and load balancers do not close it as idle.
 */
export const EVENT_STREAM_KEEPALIVE_MS = 15_000;

/** How long a whole stream may last, in ms: the gateway's `timeout.stream` and MeshClient's `streamTimeout` (docs/protocol.md#streams). */
export const DEFAULT_STREAM_TIMEOUT_MS = 3_600_000;

/**
 * The credits a caller of a stream grants at first: the most items that are on their way or waiting
 * to be read. It grants more as it reads, each time half of them have been read.
 */
export const STREAM_WINDOW = 64;

/**
 * The most items a stream that cannot be paused (an Observable, a peer without flow control) may push
 * beyond the credits before it fails with 503 SLOW_CONSUMER.
 */
export const STREAM_HIGH_WATER_MARK = 256;

/** A stream's caller sends a credit or a keepalive at least this often, in ms. */
export const STREAM_KEEPALIVE_MS = 5_000;

/** A service ends a stream whose caller it has not heard from for this long, in ms (the caller is gone). */
export const STREAM_IDLE_TIMEOUT_MS = 15_000;
