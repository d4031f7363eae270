import { headers as natsHeaders, Msg, MsgHdrs, NatsConnection } from 'nats';
import { STREAM_KEEPALIVE_MS } from '@nest-mesh/wire';
import { errorHeaders } from '../error-headers';
import { MeshError } from '../mesh-error';
import { streamFailure } from './call-failure';
import { ReplyStream, StreamMux } from './stream-mux';

interface Published {
  subject: string;
  reply?: string;
  headers?: MsgHdrs;
}

/** Just enough of a NatsConnection: records subscriptions and publishes, and delivers messages to the inbox. */
class FakeConnection {
  readonly published: Published[] = [];
  readonly subscriptions: { subject: string; callback: (error: Error | null, msg: Msg) => void }[] = [];

  subscribe(subject: string, options: { callback: (error: Error | null, msg: Msg) => void }) {
    this.subscriptions.push({ subject, callback: options.callback });
    return { unsubscribe: () => undefined };
  }

  publish(subject: string, _data: Uint8Array, options: { reply?: string; headers?: MsgHdrs }): void {
    this.published.push({ subject, reply: options.reply, headers: options.headers });
  }

  /** The control messages sent to `control`, as "credit:<n>" or "cancel". */
  controls(control = CONTROL): string[] {
    return this.published
      .filter((p) => p.subject === control)
      .map((p) => (p.headers?.get('Mesh-Stream-Cancel') ? 'cancel' : `credit:${p.headers?.get('Mesh-Stream-Credit')}`));
  }

  deliver(subject: string, data: string, headers?: Record<string, string> | MsgHdrs, reply?: string): void {
    let h: MsgHdrs | undefined;
    if (headers && !('get' in headers)) {
      h = natsHeaders();
      for (const [k, v] of Object.entries(headers)) h.append(k, v);
    } else h = headers as MsgHdrs | undefined;
    this.subscriptions[this.subscriptions.length - 1].callback(null, { subject, data: Buffer.from(data), headers: h, reply } as unknown as Msg);
  }

  get nc(): NatsConnection {
    return this as unknown as NatsConnection;
  }
}

const CONTROL = '_INBOX.service.ctl.0';
const text = (msg: Msg) => Buffer.from(msg.data).toString();

describe('StreamMux, with the MeshErrors of streamFailure', () => {
  let conn: FakeConnection;
  let mux: StreamMux<MeshError>;
  let streams: ReplyStream<MeshError>[];

  beforeEach(() => {
    conn = new FakeConnection();
    mux = new StreamMux(streamFailure);
    streams = [];
  });
  afterEach(() => {
    mux.failAll(new MeshError(503, 'test over'));
    jest.useRealTimers();
  });

  function open(options: { window?: number; timeout?: number; deadline?: number; highWaterMark?: number } = {}) {
    const stream = mux.open(conn.nc, 'mesh.s.f', Buffer.from('null'), natsHeaders(), { timeout: 60_000, deadline: Infinity, ...options });
    streams.push(stream);
    const reply = conn.published[conn.published.length - 1].reply!;
    const send = {
      open: () => conn.deliver(reply, '', { 'Mesh-Stream': 'open' }, CONTROL),
      item: (seq: number, data = `${seq}`) => conn.deliver(reply, data, { 'Mesh-Stream-Seq': String(seq) }, CONTROL),
      end: (count: number) => conn.deliver(reply, '', { 'Mesh-Stream-End': String(count) }),
      plain: (data: string) => conn.deliver(reply, data),
      error: (error: MeshError) => conn.deliver(reply, '', errorHeaders(error)),
    };
    return { stream, reply, send };
  }

  async function read(stream: ReplyStream<MeshError>, n: number): Promise<string[]> {
    const items: string[] = [];
    for (let i = 0; i < n; i++) {
      const next = await stream.next();
      if (next.done) break;
      items.push(text(next.value));
    }
    return items;
  }

  it('asks for a stream with Mesh-Stream: <window> on a reply subject of one wildcard inbox', () => {
    open({ window: 8 });
    open();
    expect(conn.subscriptions).toHaveLength(1);
    expect(conn.published.map((p) => [p.subject, p.headers?.get('Mesh-Stream')])).toEqual([
      ['mesh.s.f', '8'],
      ['mesh.s.f', '64'],
    ]);
  });

  it('reads its streams on _INBOX.<id>.s.<nuid>.<token>: a nuid for <id> without an identity, a random token per stream (docs/protocol.md#inboxes)', () => {
    const first = open().reply;
    const second = open().reply;
    const sub = conn.subscriptions[0].subject;
    expect(sub).toMatch(/^_INBOX\.\w{22}\.s\.\w{22}\.\*$/);
    const token = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const reply of [first, second]) {
      expect(reply.startsWith(sub.slice(0, -1))).toBe(true);
      expect(reply.slice(sub.length - 1)).toMatch(token);
    }
    expect(first).not.toBe(second);
  });

  it('reads them under the inbox of its identity (inboxPrefix); nats.js\'s default prefix _INBOX names none', () => {
    mux = new StreamMux(streamFailure, '_INBOX.orders');
    open();
    expect(conn.subscriptions[0].subject).toMatch(/^_INBOX\.orders\.s\.\w{22}\.\*$/);
    mux.failAll(new MeshError(503, 'next'));
    mux = new StreamMux(streamFailure, '_INBOX');
    open();
    expect(conn.subscriptions[1].subject).toMatch(/^_INBOX\.\w{22}\.s\.\w{22}\.\*$/);
  });

  it('hands over the items in order, then done after the end', async () => {
    const { stream, send } = open({ window: 4 });
    send.open();
    [1, 2, 3].forEach((n) => send.item(n));
    send.end(3);
    expect(await read(stream, 10)).toEqual(['1', '2', '3']);
    await expect(stream.next()).resolves.toEqual({ done: true, value: undefined });
    expect(mux.size).toBe(0);
  });

  it('grants credits only as items are read: half the window at a time', async () => {
    const { stream, send } = open({ window: 4 });
    send.open();
    [1, 2, 3, 4].forEach((n) => send.item(n));
    expect(conn.controls()).toEqual([]); // nothing read: no credit, however long it waits
    await read(stream, 1);
    expect(conn.controls()).toEqual([]);
    await read(stream, 1);
    expect(conn.controls()).toEqual(['credit:2']);
    await read(stream, 2);
    expect(conn.controls()).toEqual(['credit:2', 'credit:2']);
  });

  it('takes a reply without stream headers as the one item (a plain responder, a function that returned a value)', async () => {
    const { stream, send } = open();
    send.plain('{"a":1}');
    expect(await read(stream, 5)).toEqual(['{"a":1}']);
    expect(mux.size).toBe(0);
  });

  it('fails with the function\'s error after the items that came before it', async () => {
    const { stream, send } = open();
    send.open();
    send.item(1);
    send.error(new MeshError(409, 'taken', 'EMAIL_TAKEN'));
    expect(await read(stream, 1)).toEqual(['1']);
    await expect(stream.next()).rejects.toMatchObject({ status: 409, code: 'EMAIL_TAKEN', message: 'taken' });
    await expect(stream.next()).resolves.toMatchObject({ done: true });
  });

  it('fails with 503 on the broker\'s no-responders status', async () => {
    const { stream, reply } = open();
    conn.deliver(reply, '', natsHeaders(503, 'No Responders'));
    await expect(stream.next()).rejects.toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE', message: 'no instance serves s.f' });
  });

  it('cancels on return(): at once when the control subject is known', async () => {
    const { stream, send } = open();
    send.open();
    send.item(1);
    await stream.return();
    expect(conn.controls()).toEqual(['cancel']);
    expect(mux.size).toBe(0);
    await expect(stream.next()).resolves.toMatchObject({ done: true });
  });

  it('cancels on return() before the service opened: once its first message names the control subject', async () => {
    const { stream, send } = open();
    await stream.return();
    expect(conn.published).toHaveLength(1);
    send.open();
    expect(conn.controls()).toEqual(['cancel']);
    expect(mux.size).toBe(0);
  });

  it('fails with 502 when an item is missing, and cancels', async () => {
    const { stream, send } = open();
    send.open();
    send.item(1);
    send.item(3);
    expect(await read(stream, 1)).toEqual(['1']);
    await expect(stream.next()).rejects.toMatchObject({ status: 502, message: 'the stream of s.f lost items (item 3 came after item 1)' });
    expect(conn.controls()).toEqual(['cancel']);
  });

  it('fails with 503 SLOW_CONSUMER when a responder without flow control runs past the high-water mark', async () => {
    const { stream, send } = open({ window: 2, highWaterMark: 5 });
    send.open();
    for (let n = 1; n <= 6; n++) send.item(n);
    expect(conn.controls()).toEqual(['cancel']);
    expect(await read(stream, 6)).toEqual(['1', '2', '3', '4', '5', '6']);
    await expect(stream.next()).rejects.toMatchObject({ status: 503, code: 'SLOW_CONSUMER' });
  });

  it('fails with 504 when an item does not come within the timeout while credits are out, and cancels', async () => {
    jest.useFakeTimers();
    const { stream, send } = open({ timeout: 1000, window: 2 });
    send.open();
    send.item(1);
    jest.advanceTimersByTime(999);
    const next = read(stream, 2).catch((error: unknown) => error);
    jest.advanceTimersByTime(1);
    await expect(next).resolves.toMatchObject({ status: 504, code: 'TIMEOUT', message: 's.f sent no item within 1000 ms' });
    expect(conn.controls()).toEqual(['credit:1', 'cancel']);
  });

  it('does not count the time a slow reader takes against the service', async () => {
    jest.useFakeTimers();
    const { stream, send } = open({ timeout: 1000, window: 2 });
    send.open();
    send.item(1);
    send.item(2); // all credits used: the service waits for the reader
    jest.advanceTimersByTime(10_000);
    expect(await read(stream, 2)).toEqual(['1', '2']); // credits again: the service's time starts now
    jest.advanceTimersByTime(999);
    send.item(3);
    expect(await read(stream, 1)).toEqual(['3']);
    jest.advanceTimersByTime(1000);
    await expect(stream.next()).rejects.toMatchObject({ status: 504 });
  });

  it('fails with 504 at the deadline however the items flow', async () => {
    jest.useFakeTimers();
    const { stream, send } = open({ timeout: 1000, deadline: Date.now() + 2500 });
    send.open();
    for (let n = 1; n <= 3; n++) {
      jest.advanceTimersByTime(800);
      send.item(n);
    }
    jest.advanceTimersByTime(100);
    expect(await read(stream, 3)).toEqual(['1', '2', '3']);
    await expect(stream.next()).rejects.toMatchObject({ status: 504, message: 'the stream of s.f passed its deadline' });
  });

  it(`sends a keepalive (credit 0) when it sent nothing for a while: never ${STREAM_KEEPALIVE_MS} ms without a message`, async () => {
    jest.useFakeTimers();
    const { stream, send } = open({ window: 2 });
    send.open();
    jest.advanceTimersByTime(STREAM_KEEPALIVE_MS);
    expect(conn.controls()).toEqual(['credit:0']);
    send.item(1);
    await read(stream, 1); // a credit counts as a sign of life
    expect(conn.controls()).toEqual(['credit:0', 'credit:1']);
    jest.advanceTimersByTime(STREAM_KEEPALIVE_MS - 1);
    expect(conn.controls()).toEqual(['credit:0', 'credit:1', 'credit:0']);
    jest.advanceTimersByTime(2 * STREAM_KEEPALIVE_MS);
    expect(conn.controls()).toEqual(['credit:0', 'credit:1', 'credit:0', 'credit:0', 'credit:0']);
  });

  it('fails every open stream with the given error (the connection was lost)', async () => {
    const { stream } = open();
    mux.failAll(new MeshError(503, 'the connection to the broker was lost'));
    await expect(stream.next()).rejects.toMatchObject({ status: 503, message: 'the connection to the broker was lost' });
    expect(mux.size).toBe(0);
  });

  it('fails the open streams at once when the broker refuses the inbox', async () => {
    const { stream } = open();
    conn.subscriptions[0].callback(new Error('Permissions Violation for Subscription to "_INBOX.x.*"'), {} as Msg);
    await expect(stream.next()).rejects.toMatchObject({ status: 503, message: expect.stringContaining('set inboxPrefix') });
  });
});
