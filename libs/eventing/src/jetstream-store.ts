import {
  AckPolicy,
  connect,
  ConnectionOptions,
  ConsumerMessages,
  headers as natsHeaders,
  JetStreamClient,
  JetStreamManager,
  JsMsg,
  NatsConnection,
  nanos,
  RetentionPolicy,
  StorageType,
  StoredMsg,
  StreamInfo,
} from 'nats';
import { DEDUP_WINDOW_MS, dedupKey, Delivery, EventRecord, EventSource, NewEvent } from './event';
import { EnqueueOptions, EnqueueResult, EventCounts, EventStore, StoreFullError } from './event-store';
import { decodeCursor, encodeCursor, EventPage, ListQuery, PageBuilder } from './page';
import { Wakeup } from './wakeup';

export interface JetStreamStoreOptions {
  /** How to reach the NATS server (servers, credentials...). */
  connection: ConnectionOptions;
  /** ack_wait of the consumer: how long a claimed delivery is leased (ms). */
  leaseMs: number;
  /** The stream of pending events; the dead ones live in `<stream>_DEAD`. Default `MESH_EVENTS`. */
  stream?: string;
  /** The subject root of that stream: deliveries are published on `<subject>.<trigger>`. Default `mesh-events`. */
  subject?: string;
  /**
   * The replicas of both streams (JetStream `num_replicas`), default 1. A stream that exists with
   * other replicas is scaled to these at open.
   */
  replicas?: number;
}

export const DEFAULT_EVENT_STREAM = 'MESH_EVENTS';
export const DEFAULT_EVENT_SUBJECT = 'mesh-events';
const CONSUMER = 'dispatch';
const NOT_BEFORE = 'Mesh-Not-Before';
/** How long one pull request waits (nats.js default: 30 s, so a lost consumer leader stalls delivery that long). */
const PULL_EXPIRES_MS = 5_000;
/** Bound on the messages looked at when listing, re-driving or removing. */
const MAX_SCAN = 100_000;
/** How old the reading of the streams' bytes that `maxPendingBytes` is checked against may be (ms). */
const HELD_BYTES_MAX_AGE_MS = 1_000;
/** What a message counts besides its data and subject until the streams' bytes are read again (JetStream's own per-message overhead and headers). */
const MESSAGE_OVERHEAD_BYTES = 128;

interface Body {
  id: string;
  type: string;
  source: EventSource;
  time: string;
  payload: unknown;
}

interface DeadBody extends Body {
  trigger: string;
  attempts: number;
  lastError: string;
}

/**
 * The event store on JetStream (docs/events.md), for gateways that use a real NATS (`conn`).
 * One work-queue stream holds one message per (event, trigger) on `<subject>.<trigger>`, published
 * with `Nats-Msg-Id: <trigger>|<dedupKey>` and a 24 h duplicate window (the same key is stored once;
 * a re-driven message's id is `<trigger>|redrive|<seq>`, which no dedupKey can be).
 * One durable pull consumer, shared by every gateway, hands each message to one of them; its
 * `ack_wait` is the lease. A retry is `nak(delay)`; a delayed event is `nak`ed until it is due; a
 * dead event is copied, with its last error, to the `<stream>_DEAD` stream, where an admin lists and
 * re-drives it. Attempts count JetStream deliveries. `maxPendingBytes` is checked against the bytes
 * of both streams as the server reports them, read at most once a second and counted on locally
 * in between (with several gateways, each sees what the others stored up to a second late).
 */
export class JetStreamEventStore implements EventStore {
  private readonly stream: string;
  private readonly deadStream: string;
  private readonly subject: string;
  private nc?: NatsConnection;
  private js?: JetStreamClient;
  private jsm?: JetStreamManager;
  private messages?: ConsumerMessages;
  private buffer: JsMsg[] = [];
  private readonly claimed = new WeakMap<Delivery, JsMsg>();
  private readonly wakeup = new Wakeup();
  private closed = false;
  /** The streams' bytes at the last reading, and what this store published since that reading was asked. */
  private held = { bytes: 0, readAt: 0, since: 0 };
  private reading?: Promise<void>;

  constructor(private readonly options: JetStreamStoreOptions) {
    this.stream = options.stream ?? DEFAULT_EVENT_STREAM;
    this.deadStream = `${this.stream}_DEAD`;
    this.subject = options.subject ?? DEFAULT_EVENT_SUBJECT;
  }

  async open(): Promise<void> {
    this.nc = await connect({ name: 'nest-mesh events', maxReconnectAttempts: -1, ...this.options.connection });
    this.jsm = await this.nc.jetstreamManager();
    this.js = this.nc.jetstream();
    await this.ensureStream(this.stream, `${this.subject}.*`, RetentionPolicy.Workqueue);
    await this.ensureStream(this.deadStream, `${this.subject}-dead.*`, RetentionPolicy.Limits);
    const consumer = {
      durable_name: CONSUMER,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(this.options.leaseMs),
      max_deliver: -1,
      max_ack_pending: 100_000,
    };
    try {
      await this.jsm.consumers.info(this.stream, CONSUMER);
      await this.jsm.consumers.update(this.stream, CONSUMER, { ack_wait: consumer.ack_wait, max_ack_pending: consumer.max_ack_pending });
    } catch {
      await this.jsm.consumers.add(this.stream, consumer);
    }
    const pull = await this.js.consumers.get(this.stream, CONSUMER);
    this.messages = await pull.consume({
      max_messages: 256,
      // Pulls live PULL_EXPIRES_MS with heartbeats at half of it: when the consumer's leader is lost
      // (a node of a cluster dies), the gateway notices and pulls from the new one within seconds.
      expires: PULL_EXPIRES_MS,
      callback: (msg) => {
        // One that still arrives while closing (a pull was outstanding) goes back at once, not after ack_wait.
        if (this.closed) return void msg.nak();
        this.buffer.push(msg);
        this.wakeup.wake();
      },
    });
  }

  async enqueue(event: NewEvent, options: EnqueueOptions = {}): Promise<EnqueueResult> {
    const data = new TextEncoder().encode(JSON.stringify({ id: event.id, type: event.type, source: event.source, time: event.time, payload: event.payload ?? null }));
    const size = event.triggers.reduce((sum, trigger) => sum + data.length + this.subject.length + trigger.length + MESSAGE_OVERHEAD_BYTES, 0);
    const max = options.maxPendingBytes;
    if (max !== undefined && size > 0) {
      if (Date.now() - this.held.readAt > HELD_BYTES_MAX_AGE_MS) await this.readHeldBytes();
      if (this.held.bytes + this.held.since + size > max) throw new StoreFullError(max);
    }
    this.held.since += size;
    const key = dedupKey(event);
    let duplicate = event.triggers.length > 0;
    for (const trigger of event.triggers) {
      const headers = natsHeaders();
      if (event.notBefore !== undefined && event.notBefore > Date.now()) headers.set(NOT_BEFORE, String(event.notBefore));
      const ack = await this.js!.publish(`${this.subject}.${trigger}`, data, { msgID: `${trigger}|${key}`, headers });
      if (!ack.duplicate) duplicate = false;
    }
    return { id: event.id, duplicate };
  }

  /** Reads the bytes of both streams (one reading at a time); what was published before it was asked is in it. */
  private readHeldBytes(): Promise<void> {
    this.reading ??= (async () => {
      const since = this.held.since;
      const [pending, dead] = await Promise.all([this.jsm!.streams.info(this.stream), this.jsm!.streams.info(this.deadStream)]);
      this.held = { bytes: pending.state.bytes + dead.state.bytes, readAt: Date.now(), since: Math.max(0, this.held.since - since) };
    })().finally(() => (this.reading = undefined));
    return this.reading;
  }

  async claim(max: number, waitMs: number): Promise<Delivery[]> {
    const until = Date.now() + waitMs;
    for (;;) {
      if (this.closed) return [];
      const out: Delivery[] = [];
      while (out.length < max && this.buffer.length > 0) {
        const msg = this.buffer.shift()!;
        const notBefore = Number(msg.headers?.get(NOT_BEFORE) || 0);
        const delayed = notBefore > 0 ? 1 : 0;
        if (delayed && msg.info.deliveryCount === 1) {
          // A delayed event's first delivery is always given back, to come again when it is due:
          // so its attempts are its deliveries minus one, even when it was already due.
          msg.nak(Math.max(1, notBefore - Date.now()));
          continue;
        }
        let body: Body;
        try {
          body = msg.json<Body>();
        } catch {
          msg.term(); // not an event of ours: never hand it out
          continue;
        }
        msg.working(); // the lease starts now, not when it reached the buffer
        const delivery: Delivery = {
          ...body,
          trigger: msg.subject.slice(this.subject.length + 1),
          attempt: Math.max(1, msg.info.deliveryCount - delayed),
        };
        this.claimed.set(delivery, msg);
        out.push(delivery);
      }
      if (out.length > 0) return out;
      const now = Date.now();
      if (now >= until) return [];
      await this.wakeup.wait(until - now);
    }
  }

  async ack(delivery: Delivery): Promise<void> {
    await this.take(delivery)?.ackAck();
  }

  async retry(delivery: Delivery, delayMs: number): Promise<void> {
    this.take(delivery)?.nak(Math.max(1, delayMs));
  }

  async bury(delivery: Delivery, error: string): Promise<void> {
    const msg = this.take(delivery);
    const dead: DeadBody = {
      id: delivery.id,
      type: delivery.type,
      source: delivery.source,
      time: delivery.time,
      payload: delivery.payload,
      trigger: delivery.trigger,
      attempts: delivery.attempt,
      lastError: error,
    };
    await this.js!.publish(`${this.subject}-dead.${delivery.trigger}`, new TextEncoder().encode(JSON.stringify(dead)));
    await msg?.ackAck();
  }

  async list(query: ListQuery): Promise<EventPage> {
    const { status, limit } = query;
    const after = query.cursor === undefined ? 0 : (decodeCursor(query.cursor, status, ['number'])[0] as number);
    const page = new PageBuilder(limit, query.maxBytes);
    let last = 0;
    let more = false;
    for await (const msg of status === 'dead' ? this.scanDead(after + 1) : this.scanPending(after + 1)) {
      let record: EventRecord;
      if (status === 'dead') {
        const { lastError, attempts, trigger, ...body } = msg.json<DeadBody>();
        record = { ...body, trigger, status, attempts, lastError };
      } else {
        record = { ...msg.json<Body>(), trigger: msg.subject.slice(this.subject.length + 1), status, attempts: 0 };
      }
      if (!page.add(record)) {
        more = true;
        break;
      }
      last = msg.seq;
    }
    return { events: page.events, next: more ? encodeCursor(status, [last]) : null };
  }

  async redrive(id: string, type?: string): Promise<number> {
    let count = 0;
    for await (const msg of this.scanDead()) {
      const dead = msg.json<DeadBody>();
      if (!matches(dead, id, type)) continue;
      const body: Body = { id: dead.id, type: dead.type, source: dead.source, time: dead.time, payload: dead.payload };
      await this.js!.publish(`${this.subject}.${dead.trigger}`, new TextEncoder().encode(JSON.stringify(body)), {
        msgID: `${dead.trigger}|redrive|${msg.seq}`,
      });
      await this.jsm!.streams.deleteMessage(this.deadStream, msg.seq);
      count++;
    }
    return count;
  }

  async remove(id: string, type?: string): Promise<number> {
    let count = 0;
    for (const [stream, messages] of [
      [this.stream, this.scanPending()],
      [this.deadStream, this.scanDead()],
    ] as const) {
      for await (const msg of messages) {
        if (!matches(bodyOf(msg), id, type)) continue;
        // false: gone meanwhile (acked, or removed by another gateway)
        if (await this.jsm!.streams.deleteMessage(stream, msg.seq).catch(() => false)) count++;
      }
    }
    return count;
  }

  async counts(): Promise<EventCounts> {
    const [pending, dead] = await Promise.all([this.jsm!.streams.info(this.stream), this.jsm!.streams.info(this.deadStream)]);
    return { pending: pending.state.messages, dead: dead.state.messages };
  }

  async isReady(): Promise<boolean> {
    if (this.closed || !this.nc || this.nc.isClosed()) return false;
    try {
      await this.jsm!.streams.info(this.stream);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeup.wake();
    this.messages?.stop();
    for (const msg of this.buffer.splice(0)) msg.nak(); // not handed out: back to the stream at once
    await this.nc?.drain().catch(() => undefined);
  }

  private take(delivery: Delivery): JsMsg | undefined {
    const msg = this.claimed.get(delivery);
    this.claimed.delete(delivery);
    return msg;
  }

  private async ensureStream(name: string, subjects: string, retention: RetentionPolicy): Promise<void> {
    const config = {
      name,
      subjects: [subjects],
      retention,
      storage: StorageType.File,
      duplicate_window: nanos(DEDUP_WINDOW_MS),
      allow_direct: true,
      num_replicas: this.options.replicas ?? 1,
    };
    let existing: StreamInfo;
    try {
      existing = await this.jsm!.streams.info(name);
    } catch {
      await this.jsm!.streams.add(config);
      return;
    }
    if (existing.config.num_replicas !== config.num_replicas) await this.scale(existing, config.num_replicas);
  }

  /**
   * Scales an existing stream (its consumers follow) and waits until JetStream elected its leader
   * again: until then its API does not answer. Another gateway may scale it at the same time.
   */
  private async scale(existing: StreamInfo, replicas: number, timeoutMs = 30_000): Promise<void> {
    const name = existing.config.name;
    const deadline = Date.now() + timeoutMs;
    let info: StreamInfo | undefined = existing;
    let failure = '';
    for (;;) {
      if (info && info.config.num_replicas !== replicas) {
        await this.jsm!.streams.update(name, { ...info.config, num_replicas: replicas }).catch((error: Error) => (failure = `: ${error.message}`));
      } else if (info && (!info.cluster || info.cluster.leader)) {
        return;
      }
      if (Date.now() > deadline) throw new Error(`stream ${name} was not scaled to ${replicas} replicas within ${timeoutMs} ms${failure}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      info = await this.jsm!.streams.info(name).catch(() => undefined);
    }
  }

  private scanPending(from = 0): AsyncGenerator<StoredMsg> {
    return this.scan(this.stream, `${this.subject}.*`, from);
  }

  private scanDead(from = 0): AsyncGenerator<StoredMsg> {
    return this.scan(this.deadStream, `${this.subject}-dead.*`, from);
  }

  /** The messages of a stream from `from` on, in order, read one by one with direct gets (a work queue allows no second consumer). */
  private async *scan(stream: string, subject: string, from: number): AsyncGenerator<StoredMsg> {
    const info = await this.jsm!.streams.info(stream);
    let seq = Math.max(from, info.state.first_seq);
    for (let seen = 0; seq <= info.state.last_seq && seen < MAX_SCAN; seen++) {
      let msg: StoredMsg;
      try {
        msg = await directOf(this.jsm!).getMessage(stream, { seq, next_by_subj: subject });
      } catch {
        return; // no message at or after seq
      }
      yield msg;
      seq = msg.seq + 1;
    }
  }
}

/** Is this the event `id` (of `type`, when given)? */
function matches(body: Body | undefined, id: string, type: string | undefined): boolean {
  return body !== undefined && body.id === id && (type === undefined || body.type === type);
}

function bodyOf(msg: StoredMsg): Body | undefined {
  try {
    return msg.json<Body>();
  } catch {
    return undefined; // not an event of ours
  }
}

/** nats.js 2.x has the direct-get API on its JetStreamManager, but its interface does not declare it. */
interface DirectGet {
  getMessage(stream: string, query: { seq: number; next_by_subj: string }): Promise<StoredMsg>;
}

function directOf(jsm: JetStreamManager): DirectGet {
  return (jsm as unknown as { direct: DirectGet }).direct;
}
