import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { MeshAuth } from 'nest-mesh';

/** One function call as the gateway understands it, parsed once per HTTP request. */
export interface CallRequest {
  service: string;
  func: string;
  params: unknown;
  /** Milliseconds, within the configured maximum. */
  timeout: number;
  requestId: string;
  /** The caller's W3C trace context, passed on to the function. */
  traceparent?: string;
  /** Verified claims, set by the RulesGuard; undefined when no token was sent. */
  auth?: MeshAuth;
}

const CALL = Symbol('meshCall');

export function attachCall(request: object, call: CallRequest): void {
  (request as { [CALL]?: CallRequest })[CALL] = call;
}

export function callOf(request: object): CallRequest {
  const call = (request as { [CALL]?: CallRequest })[CALL];
  if (!call) throw new Error('CallRequestGuard did not run');
  return call;
}

/** The CallRequest of this HTTP request, as a handler parameter. */
export const Call = createParamDecorator((_: unknown, context: ExecutionContext) => callOf(context.switchToHttp().getRequest()));
