import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { MeshCodes, MeshError } from 'nest-mesh';
import { GatewayConfig } from '../config/gateway-config';
import { REQUEST_ID_HEADER, requestIdOf } from '../http/request-id';
import { DiscoveryService } from './discovery.service';
import { openApiOf } from './openapi';
import { listingOf } from './services-listing';

type HttpRequest = Parameters<typeof requestIdOf>[0];

/**
 * `GET /v1/api/{project}/services` (the services and the functions callers may call) and
 * `GET /v1/api/{project}/openapi.json` (the same as OpenAPI 3.1): docs/discovery.md.
 */
@Controller('v1/api/:project')
export class DiscoveryController {
  constructor(
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
    private readonly discovery: DiscoveryService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get('services')
  async services(@Param('project') project: string, @Req() request: HttpRequest, @Res() response: unknown): Promise<void> {
    this.checkProject(project);
    this.reply(request, response, await this.discovery.document('listing', ({ services }) => listingOf(services)));
  }

  @Get('openapi.json')
  async openApi(@Param('project') project: string, @Req() request: HttpRequest, @Res() response: unknown): Promise<void> {
    this.checkProject(project);
    const maxTimeout = this.config.modules.functions.timeout.max;
    this.reply(request, response, await this.discovery.document('openapi', ({ services }) => openApiOf(project, services, maxTimeout)));
  }

  private checkProject(project: string): void {
    if (project !== this.config.id) throw new MeshError(404, `project "${project}" not found`, MeshCodes.PROJECT_NOT_FOUND);
  }

  private reply(request: HttpRequest, response: unknown, json: string): void {
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(response, REQUEST_ID_HEADER, requestIdOf(request));
    adapter.setHeader(response, 'Content-Type', 'application/json; charset=utf-8');
    adapter.reply(response, json, 200);
  }
}
