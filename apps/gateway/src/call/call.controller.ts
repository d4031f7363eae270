import { Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { MeshClient } from 'nest-mesh';
import { REQUEST_ID_HEADER } from '../http/request-id';
import { InFlightGuard } from '../limits';
import { CallObserver } from '../observability/call-observer';
import { RulesGuard } from '../rules/rules.guard';
import { Call, CallRequest } from './call-request';
import { CallRequestGuard } from './call-request.guard';

/**
 * `POST /v1/api/{project}/functions/{service}/{func}` (and `/services/...`): the call is checked
 * by the guards, then made on the caller's behalf; `{"result"}` on success (the function's JSON as
 * it was sent, not decoded and encoded again), errors go to the HttpErrorFilter.
 */
@Controller('v1/api/:project')
@UseGuards(InFlightGuard, CallRequestGuard, RulesGuard)
export class CallController {
  constructor(
    private readonly mesh: MeshClient,
    private readonly adapterHost: HttpAdapterHost,
    private readonly observer: CallObserver,
  ) {}

  @Post(['functions/:service/:func', 'services/:service/:func'])
  @HttpCode(200)
  async call(@Call() call: CallRequest, @Req() request: object, @Res() response: unknown): Promise<void> {
    const result = await this.mesh.callJson(call.service, call.func, call.params, {
      timeout: call.timeout,
      requestId: call.requestId,
      auth: call.auth,
      trace: call.trace,
    });
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(response, REQUEST_ID_HEADER, call.requestId);
    adapter.setHeader(response, 'Content-Type', 'application/json; charset=utf-8');
    adapter.reply(response, `{"result":${result}}`, 200);
    this.observer.end(request, 200, 'OK');
  }
}
