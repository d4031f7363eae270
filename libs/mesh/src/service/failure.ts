import { HttpException, LoggerService } from '@nestjs/common';
import { codeForStatus, MeshCodes } from '@nest-mesh/wire';
import { MeshError } from '../mesh-error';

/**
 * What a caller learns when a function throws: a MeshError keeps its status and code, a Nest
 * HttpException (e.g. ValidationPipe's 400) keeps its status and messages, anything else is a
 * generic 500 that names the function; its details go to the service's log only.
 */
export function failureOf(error: unknown, service: string, func: string, logger: LoggerService): MeshError {
  if (error instanceof MeshError) return error;
  if (error instanceof HttpException) {
    const status = error.getStatus();
    if (status >= 400 && status <= 599) return new MeshError(status, httpMessage(error), codeForStatus(status));
  }
  logger.error(`function ${service}.${func} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return new MeshError(500, `function ${service}.${func} failed`, MeshCodes.INTERNAL);
}

function httpMessage(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : error.message;
}
