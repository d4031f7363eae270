import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { codeForStatus } from '@nest-mesh/wire';
import { MeshCodes, MeshError } from 'nest-mesh';
import { CallObserver } from '../observability/call-observer';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id';
import { BodyErrors } from './request-body';

/**
 * The one place where errors become HTTP: `{"error", "code"}` with the status of the table
 * in docs/protocol.md, and the request id. Works the same on express and fastify.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Gateway');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly observer: CallObserver,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest();
    const response = http.getResponse();
    const error = this.toMeshError(exception);
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(response, REQUEST_ID_HEADER, requestIdOf(request));
    adapter.setHeader(response, 'Content-Type', 'application/json; charset=utf-8');
    adapter.reply(response, JSON.stringify(error), error.status);
    this.observer.end(request, error.status, error.code);
  }

  private toMeshError(exception: unknown): MeshError {
    if (exception instanceof MeshError) return exception;
    const status = statusOf(exception);
    if (status === 413) return BodyErrors.tooLarge();
    // express's raw parser refuses a compressed body (inflate: false); fastify a Content-Type that is not a media type.
    if (status === 415) return (exception as { type?: unknown }).type === 'encoding.unsupported' ? BodyErrors.encoded() : BodyErrors.notJsonType();
    if (status === 400) {
      const parseFailure = exception instanceof SyntaxError || isBodyParseError(exception);
      return parseFailure ? BodyErrors.notJson() : new MeshError(400, messageOf(exception), MeshCodes.BAD_REQUEST);
    }
    if (status !== undefined && status >= 400 && status < 500) return new MeshError(status, messageOf(exception), codeForStatus(status));
    this.logger.error(`unexpected error: ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`);
    return new MeshError(500, 'internal error', MeshCodes.INTERNAL);
  }
}

function statusOf(exception: unknown): number | undefined {
  if (exception instanceof HttpException) return exception.getStatus();
  if (exception !== null && typeof exception === 'object') {
    const { status, statusCode } = exception as { status?: unknown; statusCode?: unknown };
    if (typeof status === 'number') return status;
    if (typeof statusCode === 'number') return statusCode;
  }
  return undefined;
}

function isBodyParseError(exception: unknown): boolean {
  const { type, code } = exception as { type?: unknown; code?: unknown };
  return type === 'entity.parse.failed' || code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY';
}

function messageOf(exception: unknown): string {
  if (exception instanceof HttpException) {
    const response = exception.getResponse();
    const message = typeof response === 'string' ? response : (response as { message?: unknown }).message;
    if (Array.isArray(message)) return message.join('; ');
    if (typeof message === 'string') return message;
  }
  return exception instanceof Error ? exception.message : 'bad request';
}
