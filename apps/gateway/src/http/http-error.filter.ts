import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject, Logger, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { codeForStatus } from '@nest-mesh/wire';
import { MeshCodes, MeshError } from 'nest-mesh';
import { meshErrorOf } from 'nest-mesh/internal';
import { replyJson } from './json-reply';
import { requestIdOf } from './request-id';
import { BodyErrors } from './request-body';

/** Told of every error answer the filter writes (the call pipeline counts a call refused before it began). */
export interface ErrorAnswerListener {
  answered(request: object, error: MeshError): void;
}

/** The injection token of the optional ErrorAnswerListener. */
export const ERROR_ANSWERS = Symbol('ErrorAnswers');

/**
 * Where the errors of the gateway's routes become HTTP: `{"error", "code"}` with the status of the
 * table in docs/protocol.md, and the request id. Works the same on express and fastify. (Requests
 * that never reach a route are answered in the same shape by client-errors.ts.)
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Gateway');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Optional() @Inject(ERROR_ANSWERS) private readonly listener?: ErrorAnswerListener,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest();
    const error = this.toMeshError(exception);
    replyJson(this.adapterHost.httpAdapter, http.getResponse(), error.status, JSON.stringify(error), requestIdOf(request));
    this.listener?.answered(request, error);
  }

  private toMeshError(exception: unknown): MeshError {
    if (exception instanceof MeshError) return exception;
    const status = statusOf(exception);
    if (status === 413) return BodyErrors.tooLarge();
    // express's raw parser refuses a compressed body (inflate: false); fastify a Content-Type that is not a media type.
    if (status === 415) return (exception as { type?: unknown }).type === 'encoding.unsupported' ? BodyErrors.encoded() : BodyErrors.notJsonType();
    if (status === 400 && (exception instanceof SyntaxError || isBodyParseError(exception))) return BodyErrors.notJson();
    if (status !== undefined && status >= 400 && status < 500) {
      // A Nest HttpException as a mesh function's would be answered; any other client error (a body parser's) by its message.
      if (exception instanceof HttpException) return meshErrorOf(exception, 'bad request')!;
      return new MeshError(status, exception instanceof Error ? exception.message : 'bad request', codeForStatus(status));
    }
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
