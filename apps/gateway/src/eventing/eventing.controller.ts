import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { EventPage, EventStatus, InvalidCursorError, LIST_PAGE_BYTES } from '@nest-mesh/eventing';
import { MeshCodes, MeshError } from 'nest-mesh';
import { EVENT_TYPE_RULE, HttpHeaders, isValidEventType } from '@nest-mesh/wire';
import { requestIdOf } from '../http/request-id';
import { requireJsonPost } from '../http/request-body';
import { EventingAccess } from './eventing-access';
import { EventingService } from './eventing.service';
import { parseQueueRequest } from './queue-request';

type HttpRequest = { headers: Record<string, string | undefined>; ip?: string };
const MAX_LIST = 1000;
const DEFAULT_LIST = 100;
/** `limit`: plain decimal digits only (no `0x10`, `1e2`, `+5`, spaces), then 1..MAX_LIST. */
const DECIMAL = /^[0-9]{1,4}$/;

/**
 * The eventing routes (docs/events.md): queue an event over HTTP (rules and rate limits per event
 * type), and the admin routes that list events, re-drive dead ones and remove them (rule `eventing.admin`).
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
    requireJsonPost(request.headers);
    this.access.checkProject(project);
    const auth = await this.access.verify(request);
    const queued = parseQueueRequest(body === undefined ? {} : body, this.eventing.maxPayload);
    await this.access.allowQueue(queued.type, auth, queued.payload, request, response);
    const { id } = await this.eventing.queue(queued);
    return { id };
  }

  /** One page of events of a status: `{"events", "next"}`, at most `limit` events and LIST_PAGE_BYTES of JSON. */
  @Get('events')
  async list(
    @Param('project') project: string,
    @Query('status') status: unknown,
    @Query('limit') limit: unknown,
    @Query('cursor') cursor: unknown,
    @Req() request: HttpRequest,
    @Res({ passthrough: true }) response: unknown,
  ): Promise<EventPage> {
    this.withRequestId(request, response);
    await this.access.allowAdmin(project, request);
    if (status !== 'dead' && status !== 'pending') bad('status must be dead or pending');
    if (limit !== undefined && (typeof limit !== 'string' || !DECIMAL.test(limit) || Number(limit) < 1 || Number(limit) > MAX_LIST)) {
      bad(`limit must be a whole number from 1 to ${MAX_LIST}`);
    }
    if (cursor !== undefined && typeof cursor !== 'string') bad('cursor must be the next of a page');
    try {
      return await this.eventing.store.list({
        status: status as EventStatus,
        limit: limit === undefined ? DEFAULT_LIST : Number(limit),
        cursor: cursor as string | undefined,
        maxBytes: LIST_PAGE_BYTES,
      });
    } catch (error) {
      if (error instanceof InvalidCursorError) bad(`cursor: ${error.message}`);
      throw error;
    }
  }

  /** Makes the dead deliveries of an event pending again: `200 {"id", "redriven"}`, 404 when it has none. */
  @Post('events/:id/retry')
  @HttpCode(200)
  async retry(
    @Param('project') project: string,
    @Param('id') id: string,
    @Query('type') type: unknown,
    @Req() request: HttpRequest,
    @Res({ passthrough: true }) response: unknown,
  ) {
    this.withRequestId(request, response);
    await this.access.allowAdmin(project, request);
    const redriven = await this.eventing.store.redrive(id, typeOf(type));
    if (redriven === 0) throw new MeshError(404, `no dead event with id "${id}"`, MeshCodes.NOT_FOUND);
    return { id, redriven };
  }

  /** Removes the pending and dead deliveries of an event: `200 {"id", "removed"}`, 404 when it has none. */
  @Delete('events/:id')
  @HttpCode(200)
  async remove(
    @Param('project') project: string,
    @Param('id') id: string,
    @Query('type') type: unknown,
    @Req() request: HttpRequest,
    @Res({ passthrough: true }) response: unknown,
  ) {
    this.withRequestId(request, response);
    await this.access.allowAdmin(project, request);
    const removed = await this.eventing.store.remove(id, typeOf(type));
    if (removed === 0) throw new MeshError(404, `no pending or dead event with id "${id}"`, MeshCodes.NOT_FOUND);
    return { id, removed };
  }

  private withRequestId(request: HttpRequest, response: unknown): void {
    this.adapterHost.httpAdapter.setHeader(response, HttpHeaders.requestId, requestIdOf(request));
  }
}

/** The optional `type` query of the admin routes: an event type, else 400. */
function typeOf(type: unknown): string | undefined {
  if (type === undefined) return undefined;
  if (!isValidEventType(type)) bad(`type ${EVENT_TYPE_RULE}`);
  return type as string;
}

function bad(message: string): never {
  throw new MeshError(400, message, MeshCodes.BAD_REQUEST);
}
