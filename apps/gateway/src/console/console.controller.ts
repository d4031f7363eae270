import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { GatewayConfig } from '../config/gateway-config';
import { DiscoveryService } from '../discovery/discovery.service';
import { HttpHeaders } from '@nest-mesh/wire';
import { replyJson } from '../http/json-reply';
import { requestIdOf } from '../http/request-id';
import { consoleOverviewOf } from './console-overview';
import { consolePage, ConsolePage } from './console-page';

type HttpRequest = Parameters<typeof requestIdOf>[0];

/**
 * The console (`console.enabled`, docs/discovery.md): the page at `/console/` and the data it
 * reads at `/console/api/services`. Calls and event admin go through the gateway's own routes,
 * with the rules and tokens of any other caller.
 */
@Controller('console')
export class ConsoleController {
  private readonly page: ConsolePage = consolePage();

  constructor(
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
    private readonly discovery: DiscoveryService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get('api/services')
  async services(@Req() request: HttpRequest, @Res() response: unknown): Promise<void> {
    const json = await this.discovery.document('console', (catalog) => consoleOverviewOf(this.config.id, catalog));
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(response, 'Cache-Control', 'no-store');
    replyJson(adapter, response, 200, json, requestIdOf(request));
  }

  /** `/console` (also `/console/`) and `/console/index.html`: the page. */
  @Get(['', 'index.html'])
  show(@Req() request: HttpRequest, @Res() response: unknown): void {
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(response, HttpHeaders.requestId, requestIdOf(request));
    adapter.setHeader(response, 'Content-Type', 'text/html; charset=utf-8');
    adapter.setHeader(response, 'Content-Security-Policy', this.page.csp);
    adapter.setHeader(response, 'X-Content-Type-Options', 'nosniff');
    adapter.setHeader(response, 'Cache-Control', 'no-store');
    adapter.reply(response, this.page.html, 200);
  }
}
