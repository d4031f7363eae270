import { MeshCodes } from '@nest-mesh/wire';
import { decodeJson } from '../json';
import { MeshError } from '../mesh-error';
import { meshErrorOf } from './failure';

/**
 * Nest's own NATS envelope, both ways (docs/protocol.md#nests-envelope): what a `ClientProxy` with
 * `Transport.NATS` sends (`{pattern, data, id}` for `send`, `{pattern, data}` for `emit`) and what
 * `ServerNats` answers (`{response, err, isDisposed, id}`, one message per item). The one place that
 * writes and reads it: a mesh function answers a Nest caller with it, and the gateway calls an
 * existing `Transport.NATS` service with it.
 */

/** A message in Nest's envelope: `send` gives an `id` (the caller waits for answers), `emit` none. */
export interface NestRequest {
  pattern: unknown;
  data: unknown;
  id?: unknown;
}

/** One of Nest's answers: an item (`response`), the end (`isDisposed`), or a failure (`err`, the end too). */
export interface NestAnswer {
  response?: unknown;
  err?: unknown;
  isDisposed?: boolean;
  id?: unknown;
}

/**
 * `value` as Nest's envelope of a call of `subject`: a JSON object with `pattern` equal to the
 * subject, `data`, and at most `id` besides; else undefined. A mesh caller never sends one (its
 * params arrive as they are, with a `Mesh-Request-Id` header).
 */
export function nestRequestOf(value: unknown, subject: string): NestRequest | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const request = value as Record<string, unknown>;
  if (request.pattern !== subject || !('data' in request)) return undefined;
  for (const key in request) if (key !== 'pattern' && key !== 'data' && key !== 'id') return undefined;
  return request as unknown as NestRequest;
}

/** The envelope `ClientProxy.send(pattern, data)` publishes; `id` comes back in every answer. */
export function nestRequest(pattern: unknown, data: unknown, id: string): Uint8Array {
  return Buffer.from(JSON.stringify({ pattern, data: data ?? null, id }));
}

/** A whole answer of one value (`null` for none: the caller's Observable gets one value, as a mesh caller gets `null`). */
export function nestValue(id: unknown, value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify({ response: value ?? null, isDisposed: true, id }));
}

/** One item of a stream; more follow. */
export function nestItem(id: unknown, value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify({ response: value ?? null, id }));
}

/** The end of a stream: the caller's Observable completes. */
export function nestEnd(id: unknown): Uint8Array {
  return Buffer.from(JSON.stringify({ isDisposed: true, id }));
}

/** A failure: the caller's Observable errors with `{status, code, message}` (docs/getting-started.md#errors). */
export function nestError(id: unknown, error: MeshError): Uint8Array {
  return Buffer.from(JSON.stringify({ err: { status: error.status, code: error.code, message: error.message }, isDisposed: true, id }));
}

/**
 * A message a `Transport.NATS` service answered, read as Nest's ClientNats reads it: JSON that is
 * not an envelope (no `err`, `response` or `isDisposed`) is the whole answer. Undefined when it is
 * empty or not JSON.
 */
export function readNestAnswer(data: Uint8Array): NestAnswer | undefined {
  if (data.length === 0) return undefined;
  let value: unknown;
  try {
    value = decodeJson(data);
  } catch {
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    const answer = value as NestAnswer;
    if (answer.err !== undefined || answer.response !== undefined || answer.isDisposed !== undefined) return answer;
  }
  return { response: value, isDisposed: true };
}

/**
 * The MeshError of the `err` a `Transport.NATS` service answered, by the table of
 * docs/getting-started.md#errors: an object with a status (or statusCode) of 400-599 keeps it and its
 * code; Nest's rendering of an `RpcException(string)` is 500 with that message ('Forbidden resource',
 * a guard's denial, is 403); Nest's generic "Internal server error", and anything else, is 500
 * INTERNAL naming the function.
 */
export function nestFailure(err: unknown, service: string, func: string): MeshError {
  const generic = `function ${service}.${func} failed`;
  return meshErrorOf(err, generic) ?? new MeshError(500, generic, MeshCodes.INTERNAL);
}
