import { Injectable, Logger } from '@nestjs/common';
import type { Msg } from 'nats';
import { MESH_CODES, MeshCodes } from '@nest-mesh/wire';
import { MeshClient, MeshError } from 'nest-mesh';
import { encodeJson, replyJson } from 'nest-mesh/internal';
import { GatewayConfig } from '../config/gateway-config';
import { EventStream } from '../http/event-stream';
import { CallObserver } from '../observability/call-observer';
import { attachCall, CallRequest } from './call-request';

const CLIENT_CLOSED_STATUS = MESH_CODES.CLIENT_CLOSED.status;

/**
 * A call asked for with `Accept: text/event-stream` (docs/protocol.md#streams-over-http): its items
 * as server-sent events, each read from the function only once the one before has been written
 * out (the credits follow the client's pace: nothing piles up in the gateway). A failure before the
 * first item is the ordinary JSON error (thrown to the HttpErrorFilter); after it, `event: error`.
 * The client going away cancels the function's stream (499 CLIENT_CLOSED in metrics and logs).
 * The call is observed once, when the stream is over.
 */
@Injectable()
export class StreamCalls {
  private readonly logger = new Logger('Streams');
  private readonly streamTimeout: number;

  constructor(
    private readonly mesh: MeshClient,
    private readonly observer: CallObserver,
    config: GatewayConfig,
  ) {
    this.streamTimeout = config.modules.functions.timeout.stream;
  }

  async answer(request: object, response: unknown, call: CallRequest): Promise<void> {
    const events = new EventStream(response);
    const replies = await this.mesh.openStream(call.service, call.func, encodeJson(call.params), { ...call, streamTimeout: this.streamTimeout });
    events.onClose(() => replies.cancel());
    if (events.closed) replies.cancel();

    let next: IteratorResult<Msg>;
    try {
      next = await replies.next();
    } catch (error) {
      if (!events.closed) throw error; // not answered yet: the JSON error
      next = { done: true, value: undefined };
    }
    if (events.closed) return this.ended(request, call, CLIENT_CLOSED_STATUS, MeshCodes.CLIENT_CLOSED);

    events.open(call.requestId);
    let count = 0;
    try {
      while (!next.done) {
        count++;
        if (!events.item(replyJson(next.value, call.service, call.func)) && !(await events.drained())) break;
        next = await replies.next();
      }
    } catch (error) {
      if (!events.closed) {
        replies.cancel();
        const failure = this.meshErrorOf(error, call);
        events.fail(failure);
        return this.ended(request, call, failure.status, failure.code);
      }
    }
    if (events.closed) {
      replies.cancel();
      return this.ended(request, call, CLIENT_CLOSED_STATUS, MeshCodes.CLIENT_CLOSED);
    }
    events.end(count);
    this.ended(request, call, 200, 'OK');
  }

  private ended(request: object, call: CallRequest, status: number, code: string): void {
    attachCall(request, null);
    this.observer.end(call.observed, status, code, call.requestId);
  }

  private meshErrorOf(error: unknown, call: CallRequest): MeshError {
    if (error instanceof MeshError) return error;
    this.logger.error(`${call.requestId} ${call.service}.${call.func}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return new MeshError(500, 'internal error', MeshCodes.INTERNAL);
  }
}
