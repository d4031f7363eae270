import { Injectable } from '@nestjs/common';
import type { MeshError } from 'nest-mesh';
import type { ErrorAnswerListener } from '../http/http-error.filter';
import { requestIdOf } from '../http/request-id';
import { CallObserver } from '../observability/call-observer';
import type { TracedRequest } from '../observability/http-span';
import { attachCall, callOf } from './call-request';

/**
 * The end of a call that failed: the HttpErrorFilter wrote its error answer; this ends its
 * observation (metrics, span, log line), also for a call refused before the CallGuard began it
 * (an unparsable body, a wrong Content-Type). Other routes are not calls.
 */
@Injectable()
export class CallErrors implements ErrorAnswerListener {
  constructor(private readonly observer: CallObserver) {}

  answered(request: object, error: MeshError): void {
    const call = callOf(request);
    if (call === null) return; // already answered
    if (call !== undefined) {
      this.observer.end(call.observed, error.status, error.code, call.requestId);
    } else if ((request as TracedRequest).params?.service !== undefined) {
      this.observer.refused(request as TracedRequest, error.status, error.code, requestIdOf(request as TracedRequest));
    } else {
      return;
    }
    attachCall(request, null);
  }
}
