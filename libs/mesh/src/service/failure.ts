import { HttpException, IntrinsicException, LoggerService } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { CODE_PATTERN, codeForStatus, isErrorStatus, MeshCodes } from '@nest-mesh/wire';
import { MeshError } from '../mesh-error';
import { currentCall } from './call-storage';
import { effectiveException, isNestDefault, NEST_FORBIDDEN_MESSAGE, NEST_UNKNOWN_MESSAGE } from './exception-probe';

/**
 * What a caller learns when a function fails: the table of docs/getting-started.md#errors, in one
 * place. A MeshError keeps its status and code; an HttpException (ValidationPipe's 400 included)
 * and an RpcException say theirs; a guard's denial is 403; anything else is a generic 500 that
 * names the function, and its details go to the service's log only (once: when Nest's own
 * exception handler has logged it already, not again).
 *
 * `call` is the call that failed (by default the one being served on this async path): what its
 * exception probe noted tells the function's exception from Nest's default rendering of it.
 */
export function failureOf(error: unknown, service: string, func: string, logger: LoggerService, call: object | undefined = currentCall.getStore()): MeshError {
  const exception = effectiveException(error, call);
  const generic = `function ${service}.${func} failed`;
  const known = meshErrorOf(exception, generic);
  if (known) return known;
  // Nest's BaseRpcExceptionFilter logs the unknown exceptions it renders (not its own intrinsic ones).
  const loggedByNest = isNestDefault(error, NEST_UNKNOWN_MESSAGE) && !(exception instanceof IntrinsicException);
  if (!loggedByNest) logger.error(`${generic}: ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`);
  return new MeshError(500, generic, MeshCodes.INTERNAL);
}

/** The MeshError a thrown value means by the table, or undefined for "anything else". */
export function meshErrorOf(exception: unknown, generic: string): MeshError | undefined {
  if (exception instanceof MeshError) return exception;
  if (exception instanceof HttpException) {
    const status = statusOf(exception.getStatus());
    const response = exception.getResponse();
    if (typeof response === 'string') return new MeshError(status, response, codeForStatus(status));
    return fromObject({ ...(response as object), status, statusCode: undefined }, exception.message);
  }
  if (exception instanceof RpcException) {
    const inner = exception.getError();
    if (inner !== null && typeof inner === 'object') return fromObject(inner as Record<string, unknown>, generic);
    return fromText(typeof inner === 'string' ? inner : exception.message);
  }
  if (isNestDefault(exception)) {
    // Nest's rendering without the exception behind it (a handler served without the probe).
    return exception.message === NEST_UNKNOWN_MESSAGE ? undefined : fromText(String(exception.message));
  }
  if (isPlainObject(exception) && (typeof exception.status === 'number' || typeof exception.statusCode === 'number')) {
    return fromObject(exception, generic); // e.g. what a filter threw, as an RpcException(object) would say it
  }
  return undefined;
}

/** `RpcException(string)`: meant for the caller; Nest's guards deny with 'Forbidden resource'. */
function fromText(message: string): MeshError {
  return message === NEST_FORBIDDEN_MESSAGE ? new MeshError(403, message, MeshCodes.FORBIDDEN) : new MeshError(500, message, MeshCodes.INTERNAL);
}

/** `{status | statusCode, code?, message}`: the status if 400-599 (else 500), the code if valid (else the status's). */
function fromObject(error: Record<string, unknown>, fallbackMessage: string): MeshError {
  const status = statusOf(error.status ?? error.statusCode);
  const code = typeof error.code === 'string' && CODE_PATTERN.test(error.code) ? error.code : codeForStatus(status);
  return new MeshError(status, messageOf(error.message) ?? fallbackMessage, code);
}

function statusOf(status: unknown): number {
  return isErrorStatus(status) ? status : 500;
}

/** A message, or ValidationPipe's list of them joined by '; '. */
function messageOf(message: unknown): string | undefined {
  if (typeof message === 'string') return message;
  if (Array.isArray(message) && message.length > 0) return message.map(String).join('; ');
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
}
