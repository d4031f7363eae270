import { Controller, Get, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { GatewayMetrics } from './gateway-metrics';
import { ProbeAnswer, Readiness } from './readiness';

/**
 * `GET /livez`, `/readyz`, `/metrics` on the API port; only when `management.port` is not set
 * (then ManagementServer serves them on that port instead).
 */
@Controller()
export class ObservabilityController {
  constructor(
    private readonly readiness: Readiness,
    private readonly metrics: GatewayMetrics,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get('livez')
  livez(@Res() response: unknown): void {
    this.answer(response, this.readiness.livez());
  }

  @Get('readyz')
  async readyz(@Res() response: unknown): Promise<void> {
    this.answer(response, await this.readiness.readyz());
  }

  @Get('metrics')
  async scrape(@Res() response: unknown): Promise<void> {
    const { contentType, text } = await this.metrics.render();
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(response, 'Content-Type', contentType);
    adapter.reply(response, text, 200);
  }

  private answer(response: unknown, { status, body }: ProbeAnswer): void {
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(response, 'Content-Type', 'application/json; charset=utf-8');
    adapter.setHeader(response, 'Cache-Control', 'no-store');
    adapter.reply(response, JSON.stringify(body), status);
  }
}
