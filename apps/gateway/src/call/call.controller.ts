import { Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { acceptsEventStream, API_ROOT } from '@nest-mesh/wire';
import { MeshClient } from 'nest-mesh';
import { replyJson } from '../http/json-reply';
import { CallObserver } from '../observability/call-observer';
import { CALL_ROUTES, callOf, CallRequest, attachCall, HttpCallRequest } from './call-request';
import { CallGuard } from './call.guard';
import { StreamCalls } from './stream-calls';

/**
 * `POST /v1/api/{project}/functions/{service}/{func}` (and `/services/...`): the call is checked
 * by the CallGuard, then made on the caller's behalf; `{"result"}` on success (the function's JSON as
 * it was sent, not decoded and encoded again); with `Accept: text/event-stream`, its items as
 * server-sent events (StreamCalls). Errors go to the HttpErrorFilter, which tells CallErrors (call-errors.ts).
 */
@Controller(API_ROOT)
@UseGuards(CallGuard)
export class CallController {
  constructor(
    private readonly mesh: MeshClient,
    private readonly adapterHost: HttpAdapterHost,
    private readonly observer: CallObserver,
    private readonly streams: StreamCalls,
  ) {}

  @Post(CALL_ROUTES)
  @HttpCode(200)
  async call(@Req() request: object, @Res() response: unknown): Promise<void> {
    const call = callOf(request) as CallRequest;
    if (acceptsEventStream((request as HttpCallRequest).headers.accept)) return this.streams.answer(request, response, call);
    const result = await this.mesh.callJson(call.service, call.func, call.params, call);
    replyJson(this.adapterHost.httpAdapter, response, 200, `{"result":${result}}`, call.requestId);
    attachCall(request, null);
    this.observer.end(call.observed, 200, 'OK', call.requestId);
  }
}
