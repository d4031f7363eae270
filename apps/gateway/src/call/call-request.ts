import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Context } from '@opentelemetry/api';
import type { MeshAuth } from 'nest-mesh';

/** One function call as the gateway understands it, parsed once per HTTP request. */
export interface CallRequest {
  service: string;
  func: string;
  params: unknown;
  /** Milliseconds, within the configured maximum. */
  timeout: number;
  requestId: string;
  /** The trace context the call to the function continues (see CallObserver.begin). */
  trace?: Context;
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
