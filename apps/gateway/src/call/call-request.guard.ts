import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { isValidName, NAME_RULE } from '@nest-mesh/wire';
import { MeshCodes, MeshError } from 'nest-mesh';
import { GatewayConfig, TimeoutConfig } from '../config/gateway-config';
import { requestIdOf } from '../http/request-id';
import { requireJsonPost } from '../http/request-body';
import { CallObserver } from '../observability/call-observer';
import { attachCall } from './call-request';

interface HttpRequest {
  params: Record<string, string | undefined>;
  body?: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * First step of every call: checks that the body was declared JSON, the project, the names, the
 * body and the timeout (415 / 404 / 400 of docs/protocol.md) and attaches the parsed CallRequest.
 * It runs as a guard because the rules, which run next, need the validated names and params.
 */
@Injectable()
export class CallRequestGuard implements CanActivate {
  private readonly projectId: string;
  private readonly timeouts: TimeoutConfig;

  constructor(
    config: GatewayConfig,
    private readonly observer: CallObserver,
  ) {
    this.projectId = config.id;
    this.timeouts = config.modules.functions.timeout;
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<HttpRequest>();
    const trace = this.observer.begin(request);
    requireJsonPost(request.headers);
    const { project, service, func } = request.params;
    if (project !== this.projectId) {
      throw new MeshError(404, `project "${project}" not found`, MeshCodes.PROJECT_NOT_FOUND);
    }
    if (!isValidName(service) || !isValidName(func)) {
      throw new MeshError(400, `service and function names ${NAME_RULE}`, MeshCodes.BAD_REQUEST);
    }
    const body = request.body === undefined ? {} : request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new MeshError(400, 'request body must be a JSON object', MeshCodes.BAD_REQUEST);
    }
    const { params = null, timeout = this.timeouts.default } = body as { params?: unknown; timeout?: unknown };
    if (!Number.isInteger(timeout) || (timeout as number) < 1 || (timeout as number) > this.timeouts.max) {
      throw new MeshError(400, `timeout must be an integer from 1 to ${this.timeouts.max} (milliseconds)`, MeshCodes.BAD_REQUEST);
    }
    attachCall(request, {
      service,
      func,
      params,
      timeout: timeout as number,
      requestId: requestIdOf(request),
      trace,
    });
    return true;
  }
}
