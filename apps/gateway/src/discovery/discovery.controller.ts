import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { GatewayConfig } from '../config/gateway-config';
import { API_ROOT, ApiRoutes } from '@nest-mesh/wire';
import { replyJson } from '../http/json-reply';
import { checkProject } from '../http/project';
import { requestIdOf } from '../http/request-id';
import { DiscoveryService } from './discovery.service';
import { openApiOf } from './openapi';
import { listingOf } from './services-listing';

type HttpRequest = Parameters<typeof requestIdOf>[0];

/**
 * `GET /v1/api/{project}/services` (the services and the functions callers may call) and
 * `GET /v1/api/{project}/openapi.json` (the same as OpenAPI 3.1): docs/discovery.md.
 */
@Controller(API_ROOT)
export class DiscoveryController {
  constructor(
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
    private readonly discovery: DiscoveryService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get(ApiRoutes.services)
  async services(@Param('project') project: string, @Req() request: HttpRequest, @Res() response: unknown): Promise<void> {
    checkProject(project, this.config.id);
    this.reply(request, response, await this.discovery.document('listing', ({ services }) => listingOf(services)));
  }

  @Get(ApiRoutes.openApi)
  async openApi(@Param('project') project: string, @Req() request: HttpRequest, @Res() response: unknown): Promise<void> {
    checkProject(project, this.config.id);
    const maxTimeout = this.config.modules.functions.timeout.max;
    this.reply(request, response, await this.discovery.document('openapi', ({ services }) => openApiOf(project, services, maxTimeout)));
  }

  private reply(request: HttpRequest, response: unknown, json: string): void {
    replyJson(this.adapterHost.httpAdapter, response, 200, json, requestIdOf(request));
  }
}
