/**
 * Types of typed calls: a `MeshFunctions` map (written by `nest-mesh types`, docs/getting-started.md)
 * names each service's functions with their params and result:
 * `{ users: { create: { params: { name: string }; result: unknown } } }`. Its shape is shared
 * with MeshClient (libs/wire).
 */
import type { ParamsOf } from '@nest-mesh/wire';

export type { AnyMeshFunctions, MeshFunctionTypes, ParamsOf, ResultOf } from '@nest-mesh/wire';

/** A call's options. */
export interface MeshCallOptions {
  /**
   * Milliseconds the gateway waits for the function (sent as the body's `timeout`; the gateway's
   * default when absent, at most its max). The client gives up on its own a little later
   * (`TIMEOUT`, status 0) if the gateway does not answer.
   */
  timeout?: number;
  /** Aborts the call: it then rejects with code `ABORTED`, status 0. */
  signal?: AbortSignal;
  /** Sent as `X-Request-Id` (1-128 chars of `[A-Za-z0-9._-]`); the gateway makes one otherwise. */
  requestId?: string;
}

/** An event's options (docs/events.md). */
export interface MeshEmitOptions {
  /** The event id: an id given again within 24 hours is stored once. */
  id?: string;
  /** Milliseconds before the event is delivered. */
  delay?: number;
  /** Aborts the request: it then rejects with code `ABORTED`, status 0. */
  signal?: AbortSignal;
  /** Sent as `X-Request-Id`. */
  requestId?: string;
}

/** `params` then options: params may be left out when the function's params accept `undefined`. */
export type CallArgs<T> = undefined extends ParamsOf<T>
  ? [params?: ParamsOf<T>, options?: MeshCallOptions]
  : [params: ParamsOf<T>, options?: MeshCallOptions];
