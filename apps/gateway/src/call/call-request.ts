import { ApiRoutes, isValidName, MeshCodes, NAME_RULE } from '@nest-mesh/wire';
import { CallOptions, MeshError } from 'nest-mesh';
import type { TimeoutConfig } from '../config/gateway-config';
import { checkProject } from '../http/project';
import { requireJsonPost } from '../http/request-body';
import type { ObservedCall } from '../observability/call-observer';

/**
 * One function call as the gateway understands it: the MeshClient call it makes (its options, with
 * the service, the function and the params), parsed once per HTTP request, and how it is observed.
 */
export interface CallRequest extends CallOptions {
  service: string;
  func: string;
  params: unknown;
  /** Milliseconds, within the configured maximum. */
  timeout: number;
  requestId: string;
  observed: ObservedCall;
}

/** What the gateway reads of an HTTP request to parse a call (express and fastify requests both have it). */
export interface HttpCallRequest {
  params: Record<string, string | undefined>;
  body?: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Checks that the call is a JSON POST (415), then the project, the names, the body and the timeout
 * of a call (404 / 400 of docs/protocol.md), and makes its CallRequest.
 */
export function parseCall(request: HttpCallRequest, projectId: string, timeouts: TimeoutConfig, requestId: string, observed: ObservedCall): CallRequest {
  requireJsonPost(request.headers);
  const { project, service, func } = request.params;
  checkProject(project, projectId);
  if (!isValidName(service) || !isValidName(func)) {
    throw new MeshError(400, `service and function names ${NAME_RULE}`, MeshCodes.BAD_REQUEST);
  }
  const body = request.body === undefined ? {} : request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new MeshError(400, 'request body must be a JSON object', MeshCodes.BAD_REQUEST);
  }
  const { params = null, timeout = timeouts.default } = body as { params?: unknown; timeout?: unknown };
  if (!Number.isInteger(timeout) || (timeout as number) < 1 || (timeout as number) > timeouts.max) {
    throw new MeshError(400, `timeout must be an integer from 1 to ${timeouts.max} (milliseconds)`, MeshCodes.BAD_REQUEST);
  }
  return { service, func, params, timeout: timeout as number, requestId, trace: observed.trace, observed };
}

/** The routes of a call, under `API_ROOT`. */
export const CALL_ROUTES = [ApiRoutes.call, ApiRoutes.callAlias];

const CALL = Symbol('meshCall');

type WithCall = { [CALL]?: CallRequest | null };

/** The CallRequest of an HTTP request: undefined when none was made, null once the call was answered. */
export function callOf(request: object): CallRequest | null | undefined {
  return (request as WithCall)[CALL];
}

export function attachCall(request: object, call: CallRequest | null): void {
  (request as WithCall)[CALL] = call;
}
