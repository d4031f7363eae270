import { Controller, Get, Req, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { PROBE_PATHS, Probes } from './probes';

/**
 * `GET /livez`, `/readyz`, `/metrics` on the API port; only when `management.port` is not set
 * (then ManagementServer serves them on that port instead).
 */
@Controller()
export class ObservabilityController {
  constructor(
    private readonly probes: Probes,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get([...PROBE_PATHS])
  async probe(@Req() request: { url?: string; originalUrl?: string }, @Res() response: unknown): Promise<void> {
    const url = request.originalUrl ?? request.url ?? '';
    const answer = (await this.probes.answer(url.slice(1).split('?', 1)[0]))!;
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(response, 'Content-Type', answer.contentType);
    adapter.setHeader(response, 'Cache-Control', 'no-store');
    adapter.reply(response, answer.body, answer.status);
  }
}
