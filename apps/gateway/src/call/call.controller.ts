import { Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { API_ROOT } from '@nest-mesh/wire';
import { MeshClient } from 'nest-mesh';
import { replyJson } from '../http/json-reply';
import { CallObserver } from '../observability/call-observer';
import { CALL_ROUTES, callOf, CallRequest, attachCall } from './call-request';
import { CallGuard } from './call.guard';

/**
 * `POST /v1/api/{project}/functions/{service}/{func}` (and `/services/...`): the call is checked
 * by the CallGuard, then made on the caller's behalf; `{"result"}` on success (the function's JSON as
 * it was sent, not decoded and encoded again). Errors go to the HttpErrorFilter, which tells
 * CallErrors (call-errors.ts).
 */
@Controller(API_ROOT)
@UseGuards(CallGuard)
export class CallController {
  constructor(
    private readonly mesh: MeshClient,
    private readonly adapterHost: HttpAdapterHost,
    private readonly observer: CallObserver,
  ) {}

  @Post(CALL_ROUTES)
  @HttpCode(200)
  async call(@Req() request: object, @Res() response: unknown): Promise<void> {
    const call = callOf(request) as CallRequest;
    const result = await this.mesh.callJson(call.service, call.func, call.params, call);
    replyJson(this.adapterHost.httpAdapter, response, 200, `{"result":${result}}`, call.requestId);
    attachCall(request, null);
    this.observer.end(call.observed, 200, 'OK', call.requestId);
  }
}
