import { connect, Msg, NatsConnection } from 'nats';
import { MeshHeaders, QUEUE_GROUP, subjectFor } from '@nest-mesh/wire';
import { MeshError } from 'nest-mesh';
import { decodeJson, encodeJson, errorHeaders } from 'nest-mesh/internal';

/** One call a trigger made, as the function saw it. */
export interface Seen {
  func: string;
  params: { id: string; type: string; source: string; time: string; attempt: number; payload: unknown };
  eventId: string | undefined;
}

export type Outcome = 'ok' | 'silent' | MeshError;
export type Behaviour = (seen: Seen) => Outcome | Promise<Outcome>;

/**
 * A plain-NATS service `mail` in the test process (any NATS client can serve the wire): every
 * function records the calls it gets and answers as `behaviour` says (ok, an error, or nothing).
 */
export class EventService {
  readonly seen: Seen[] = [];
  private nc?: NatsConnection;

  constructor(private readonly behaviour: Record<string, Behaviour> = {}) {}

  async start(servers: string, funcs: string[]): Promise<this> {
    this.nc = await connect({ servers, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
    for (const func of funcs) {
      this.nc.subscribe(subjectFor('mail', func), { queue: QUEUE_GROUP, callback: (error, msg) => error || void this.answer(func, msg) });
    }
    await this.nc.flush();
    return this;
  }

  private async answer(func: string, msg: Msg): Promise<void> {
    const seen: Seen = { func, params: decodeJson(msg.data) as Seen['params'], eventId: msg.headers?.get(MeshHeaders.eventId) || undefined };
    this.seen.push(seen);
    const outcome = await (this.behaviour[func] ?? (() => 'ok'))(seen);
    if (outcome === 'silent') return;
    if (outcome instanceof MeshError) msg.respond(new Uint8Array(0), { headers: errorHeaders(outcome) });
    else msg.respond(encodeJson({ ok: true }));
  }

  of(func: string): Seen[] {
    return this.seen.filter((s) => s.func === func);
  }

  async stop(): Promise<void> {
    await this.nc?.close().catch(() => undefined);
    this.nc = undefined;
  }
}
