import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { MeshCodes, MeshError } from 'nest-mesh';
import { REQUEST_ID_HEADER, requestIdOf } from '../http/request-id';
import { EventingAccess } from './eventing-access';
import { EventingService } from './eventing.service';
import { parseQueueRequest } from './queue-request';

type HttpRequest = { headers: Record<string, string | undefined> };
const MAX_LIST = 1000;

/**
 * The eventing routes (docs/events.md): queue an event over HTTP (rules per
 * event type), and the admin routes that list events and re-drive dead ones (rule `eventing.admin`).
 */
@Controller('v1/api/:project/eventing')
export class EventingController {
  constructor(
    private readonly eventing: EventingService,
    private readonly access: EventingAccess,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** `202 {"id"}` once the event is stored durably; the same `id` within 24 hours is stored once. */
  @Post('queue')
  @HttpCode(202)
  async queue(@Param('project') project: string, @Req() request: HttpRequest, @Body() body: unknown, @Res({ passthrough: true }) response: unknown) {
    this.withRequestId(request, response);
    this.access.checkProject(project);
    const auth = await this.access.verify(request);
    const queued = parseQueueRequest(body === undefined ? {} : body, this.eventing.maxPayload);
    await this.access.allowQueue(queued.type, auth, queued.payload, requestIdOf(request));
    const { id } = await this.eventing.queue(queued);
    return { id };
  }

  @Get('events')
  async list(
    @Param('project') project: string,
    @Query('status') status: unknown,
    @Query('limit') limit: unknown,
    @Req() request: HttpRequest,
    @Res({ passthrough: true }) response: unknown,
  ) {
    this.withRequestId(request, response);
    await this.access.allowAdmin(project, request);
    if (status !== 'dead' && status !== 'pending') throw new MeshError(400, 'status must be dead or pending', MeshCodes.BAD_REQUEST);
    const count = limit === undefined ? 100 : Number(limit);
    if (!Number.isInteger(count) || count < 1 || count > MAX_LIST) {
      throw new MeshError(400, `limit must be an integer from 1 to ${MAX_LIST}`, MeshCodes.BAD_REQUEST);
    }
    return { events: (await this.eventing.store.list({ status, limit: count })).events };
  }

  /** Makes the dead deliveries of an event pending again: `200 {"id", "redriven"}`, 404 when it has none. */
  @Post('events/:id/retry')
  @HttpCode(200)
  async retry(@Param('project') project: string, @Param('id') id: string, @Req() request: HttpRequest, @Res({ passthrough: true }) response: unknown) {
    this.withRequestId(request, response);
    await this.access.allowAdmin(project, request);
    const redriven = await this.eventing.store.redrive(id);
    if (redriven === 0) throw new MeshError(404, `no dead event with id "${id}"`, 'NOT_FOUND');
    return { id, redriven };
  }

  private withRequestId(request: HttpRequest, response: unknown): void {
    this.adapterHost.httpAdapter.setHeader(response, REQUEST_ID_HEADER, requestIdOf(request));
  }
}
