import type { LoggerService } from '@nestjs/common';
import { MessageHandler, NatsContext, ReadPacket, Server } from '@nestjs/microservices';
import type { Msg, NatsConnection, Subscription } from 'nats';
import { decodeJson, encodeJson } from '../json';

/**
 * The `@EventPattern` handlers of a mesh app, served as Nest's `ServerNats` serves them, so that a
 * `ClientProxy.emit(pattern, data)` with `Transport.NATS` reaches them (docs/getting-started.md#coming-from-transportnats):
 * one subscription per pattern, in the queue group `@EventPattern(pattern, { queue })` names (none
 * by default: every instance gets every event); a message is Nest's envelope `{pattern, data}`, or
 * any other JSON, which is the data itself; the handler gets the data and a `NatsContext`. A payload
 * that is not JSON is logged and dropped. Stopping unsubscribes and waits for the handlers running.
 */
export class NestEvents {
  private subs: Subscription[] = [];
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly server: Pick<Server, 'handleEvent' | 'getHandlerByPattern' | 'transformToObservable' | 'send'>,
    private readonly logger: LoggerService,
  ) {}

  /** Subscribes every event handler of `handlers` on `nc`; returns their patterns. */
  subscribe(nc: NatsConnection, handlers: Map<string, MessageHandler>): string[] {
    const patterns: string[] = [];
    for (const [pattern, handler] of handlers) {
      if (!handler.isEventHandler) continue;
      const queue = handler.extras?.queue;
      const sub = nc.subscribe(pattern, {
        ...(typeof queue === 'string' && { queue }),
        callback: (error, msg) => {
          if (error) return this.logger.error(`events on ${pattern} stopped: ${error.message}`);
          const handling = this.handle(pattern, msg).catch((failure: unknown) => this.logger.error(`event handler of ${pattern} failed: ${describe(failure)}`));
          this.running.add(handling);
          void handling.finally(() => this.running.delete(handling));
        },
      });
      this.subs.push(sub);
      patterns.push(pattern);
    }
    return patterns;
  }

  /** No new events; resolves once the handlers running now have finished, or after `ms`. */
  async stop(ms: number): Promise<void> {
    for (const sub of this.subs) sub.unsubscribe();
    this.subs = [];
    if (this.running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.running]), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }

  private async handle(channel: string, msg: Msg): Promise<void> {
    let value: unknown;
    try {
      value = decodeJson(msg.data);
    } catch {
      this.logger.warn(`event on ${msg.subject} dropped: its payload is not JSON`);
      return;
    }
    const packet = packetOf(value, channel);
    const ctx = new NatsContext([msg.subject, msg.headers]);
    if (packet.id === undefined) return this.server.handleEvent(channel, packet, ctx);
    // `send` to an event pattern: ServerNats answers with what the handler returns, in its envelope.
    const handler = this.server.getHandlerByPattern(channel);
    if (!handler || !msg.reply) return;
    const answers = this.server.transformToObservable(await handler(packet.data, ctx));
    this.server.send(answers, (answer) => void msg.respond(encodeJson({ ...answer, id: packet.id })));
  }
}

/** Nest's reading of a message (IncomingRequestDeserializer): an object with `pattern` or `data` is the envelope, anything else the data. */
function packetOf(value: unknown, channel: string): ReadPacket & { id?: unknown } {
  if (value !== null && typeof value === 'object') {
    const envelope = value as { pattern?: unknown; data?: unknown; id?: unknown };
    if (envelope.pattern !== undefined || envelope.data !== undefined) return envelope as ReadPacket & { id?: unknown };
  }
  return { pattern: channel, data: value };
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
