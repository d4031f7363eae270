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
