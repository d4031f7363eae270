import type { ConnectionOptions } from 'nats';

/**
 * Options of MeshModule and of the mesh transport: every nats.js connection option a
 * production service needs (servers, user/pass, token, tls, name, reconnect settings...)
 * plus the few of the mesh itself.
 */
export interface MeshOptions extends ConnectionOptions {
  /** Default timeout of `MeshClient.call`, in ms. Default 10000. */
  callTimeout?: number;
  /** Graceful stop: the longest closing waits for the calls in flight, in ms (it never waits past their deadlines). Default 10000. */
  gracePeriod?: number;
  /** The version each service announces to ADR-32 discovery (semver). Default '1.0.0'. */
  version?: string;
}

export const DEFAULT_CALL_TIMEOUT = 10_000;
export const DEFAULT_GRACE_PERIOD = 10_000;
export const DEFAULT_VERSION = '1.0.0';

/**
 * The nats.js part of the options, with the mesh's defaults: keep reconnecting, forever; and no
 * async stack traces (`noAsyncTraces`), which cost two Error objects per request for a stack the
 * mesh never shows (its errors are MeshErrors with a status and a code). Both can be overridden.
 */
export function connectionOptions(options: MeshOptions, name: string): ConnectionOptions {
  const { callTimeout: _c, gracePeriod: _g, version: _v, ...nats } = options;
  return { name, maxReconnectAttempts: -1, noAsyncTraces: true, ...nats };
}
