import { Catch, ExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { currentCall } from './call-storage';

/**
 * How the transport learns what a function really threw, while Nest's exception filters run as in
 * any Nest microservice (method, then class, then global; docs/getting-started.md#errors).
 *
 * When no filter handles an exception, Nest's BaseRpcExceptionFilter replaces it with a bare
 * object (`{status: 'error', message: 'Internal server error'}` for a ValidationPipe failure as
 * for a crash), and the transport could no longer tell a 400 from a 500. So `@MeshService` puts
 * one more filter on each function, the probe: Nest asks it first (it is the last method-level
 * filter) whether it catches the exception; asking notes the exception on the call being served,
 * and the answer is always no, so the probe never handles anything and every filter of the app
 * runs exactly as it would without it. Nothing of this runs on a call that does not throw.
 */

/** The exception each failing call noted, by call (its MeshContext): nothing is kept for calls that succeed. */
const noted = new WeakMap<object, unknown>();

/** A "type" no exception is an instance of: Nest asking `exception instanceof` it notes the exception. */
class NotedException {
  static [Symbol.hasInstance](exception: unknown): boolean {
    const call = currentCall.getStore();
    if (call) noted.set(call, exception);
    return false;
  }
}

/** Never chosen (it catches nothing), only asked: see above. */
@Catch(NotedException as never)
class MeshExceptionProbe implements ExceptionFilter {
  catch(exception: unknown): never {
    throw exception;
  }
}

/** The one probe every mesh function carries. */
export const MESH_EXCEPTION_PROBE: ExceptionFilter = new MeshExceptionProbe();

/** Nest's own words (@nestjs/core MESSAGES.UNKNOWN_EXCEPTION_MESSAGE and the guards' FORBIDDEN_MESSAGE). */
export const NEST_UNKNOWN_MESSAGE = 'Internal server error';
export const NEST_FORBIDDEN_MESSAGE = 'Forbidden resource';

/** Whether `value` is exactly what BaseRpcExceptionFilter throws for a string or an unknown exception: `{status: 'error', message}`. */
export function isNestDefault(value: unknown, message?: unknown): value is { status: 'error'; message: unknown } {
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  const { status, message: said } = value as Record<string, unknown>;
  return Object.keys(value).length === 2 && status === 'error' && (message === undefined ? typeof said === 'string' : said === message);
}

/**
 * What the call `call` failed with, for the mapping: the exception the function threw when what
 * reached the transport is only Nest's default rendering of it (no filter handled it, or a filter
 * called `super.catch` of BaseRpcExceptionFilter); otherwise what reached the transport (a
 * filter threw something else).
 */
export function effectiveException(error: unknown, call: object | undefined): unknown {
  if (call === undefined || !noted.has(call)) return error;
  const raw = noted.get(call);
  noted.delete(call);
  if (error === raw) return raw;
  if (raw instanceof RpcException) {
    const inner = raw.getError();
    const rendered = inner !== null && typeof inner === 'object' ? error === inner : isNestDefault(error, inner);
    return rendered ? raw : error;
  }
  return isNestDefault(error, NEST_UNKNOWN_MESSAGE) ? raw : error;
}
