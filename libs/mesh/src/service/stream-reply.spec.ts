import { headers as natsHeaders, Msg, MsgHdrs, NatsConnection } from 'nats';
import { finalize, Subject } from 'rxjs';
import { STREAM_IDLE_TIMEOUT_MS, STREAM_KEEPALIVE_MS } from '@nest-mesh/wire';
import { MeshError } from '../mesh-error';
import { MeshContext } from './mesh-context';
import { requestedCredits, ServedStreams, StreamOutcome } from './stream-reply';
import { StreamResult } from './stream-source';

interface Sent {
  data: string;
  headers: Record<string, string>;
  reply?: string;
}

/** A request as the service sees it: what it responds is recorded. */
function request(deadline?: number) {
  const sent: Sent[] = [];
  const headers = natsHeaders();
  if (deadline !== undefined) headers.set('Mesh-Deadline', String(deadline));
  const msg = {
    subject: 'mesh.s.f',
    reply: '_INBOX.caller.1',
    headers,
    data: new Uint8Array(),
    respond(data: Uint8Array, opts: { headers?: MsgHdrs; reply?: string }) {
      const h: Record<string, string> = {};
      for (const key of opts.headers?.keys() ?? []) h[key] = opts.headers!.get(key);
      sent.push({ data: Buffer.from(data).toString(), headers: h, reply: opts.reply });
      return true;
    },
  } as unknown as Msg;
  return { msg, sent, ctx: new MeshContext('mesh.s.f', headers, 's', 'f') };
}

/** Just enough of a NatsConnection: the control subscription. */
class FakeConnection {
  readonly subscriptions: { subject: string; callback: (error: Error | null, msg: Msg) => void }[] = [];
  subscribe(subject: string, options: { callback: (error: Error | null, msg: Msg) => void }) {
    this.subscriptions.push({ subject, callback: options.callback });
    return { unsubscribe: () => undefined };
  }
  /** A caller's message to a control subject. */
  control(subject: string, header: string, value: string): void {
    const headers = natsHeaders();
    headers.set(header, value);
    this.subscriptions[this.subscriptions.length - 1].callback(null, { subject, headers, data: new Uint8Array() } as unknown as Msg);
  }
  get nc(): NatsConnection {
    return this as unknown as NatsConnection;
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
const kinds = (sent: Sent[]) =>
  sent.map((s) =>
    s.headers['Mesh-Stream'] ? 'open' : s.headers['Mesh-Stream-Seq'] ? `item ${s.headers['Mesh-Stream-Seq']}: ${s.data}` : s.headers['Mesh-Stream-End'] ? `end ${s.headers['Mesh-Stream-End']}` : `error ${s.headers['Nats-Service-Error-Code']} ${s.headers['Mesh-Error-Code']}`,
  );

describe('requestedCredits', () => {
  it('reads Mesh-Stream as a count; absent is no stream; anything else is a 400', () => {
    const h = (value?: string) => {
      const headers = natsHeaders();
      if (value !== undefined) headers.set('Mesh-Stream', value);
      return headers;
    };
    expect(requestedCredits(undefined)).toBeUndefined();
    expect(requestedCredits(h())).toBeUndefined();
    expect(requestedCredits(h('0'))).toBe(0);
    expect(requestedCredits(h('64'))).toBe(64);
    for (const bad of ['-1', '1.5', 'x', 'open', '1e3']) expect(() => requestedCredits(h(bad))).toThrow(expect.objectContaining({ status: 400 }));
  });
});

describe('ServedStreams', () => {
  let conn: FakeConnection;
  let streams: ServedStreams;
  const failureOf = (error: unknown) => (error instanceof MeshError ? error : new MeshError(500, 'function s.f failed'));

  beforeEach(() => {
    conn = new FakeConnection();
    streams = new ServedStreams({ log: () => undefined, warn: () => undefined, error: () => undefined }, '_INBOX.svc');
  });
  afterEach(() => {
    streams.closeAll(new MeshError(503, 'test over'));
    jest.useRealTimers();
  });

  function serve(source: StreamResult, credits: number, deadline?: number) {
    const { msg, sent, ctx } = request(deadline);
    const outcome = streams.serve(conn.nc, msg, source, credits, ctx, failureOf);
    return { sent, outcome, control: () => sent[0].reply! };
  }

  async function* numbers(n: number) {
    for (let i = 1; i <= n; i++) yield i;
  }

  it('opens with a control subject of its own inbox, sends as many items as credited, then waits', async () => {
    const { sent, control } = serve(numbers(10), 2);
    await settle();
    // _INBOX.<id>.c.<nuid>.<token>, the token random per stream (docs/protocol.md#inboxes)
    expect(conn.subscriptions.map((s) => s.subject)).toEqual([expect.stringMatching(/^_INBOX\.svc\.c\.\w{22}\.\*$/)]);
    expect(control()).toMatch(/^_INBOX\.svc\.c\.\w{22}\.[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(kinds(sent)).toEqual(['open', 'item 1: 1', 'item 2: 2']);
    expect(sent.slice(1).every((s) => s.reply === control())).toBe(true);
  });

  it('gives each stream a control subject of its own, and a client without an identity an inbox _INBOX.<nuid>', async () => {
    streams = new ServedStreams({ log: () => undefined, warn: () => undefined, error: () => undefined });
    const first = serve(numbers(1), 0);
    const second = serve(numbers(1), 0);
    await settle();
    expect(conn.subscriptions.map((s) => s.subject)).toEqual([expect.stringMatching(/^_INBOX\.\w{22}\.c\.\w{22}\.\*$/)]);
    const prefix = conn.subscriptions[0].subject.slice(0, -1);
    expect([first.control(), second.control()].map((c) => c.startsWith(prefix))).toEqual([true, true]);
    expect(first.control()).not.toBe(second.control());
  });

  it('sends more as credits come, then the end with the count', async () => {
    const { sent, control, outcome } = serve(numbers(3), 1);
    await settle();
    conn.control(control(), 'Mesh-Stream-Credit', '0'); // a keepalive: no item
    await settle();
    expect(kinds(sent)).toEqual(['open', 'item 1: 1']);
    conn.control(control(), 'Mesh-Stream-Credit', '5');
    await settle();
    expect(kinds(sent)).toEqual(['open', 'item 1: 1', 'item 2: 2', 'item 3: 3', 'end 3']);
    await expect(outcome).resolves.toEqual({ status: 200 });
    expect(streams.size).toBe(0);
  });

  it('answers a stream that fails before anything was sent with a plain error reply, without an open', async () => {
    const failing = new Subject<number>();
    failing.error(new MeshError(403, 'no', 'NOPE'));
    const { sent, outcome } = serve(failing, 10);
    expect(kinds(sent)).toEqual(['error 403 NOPE']);
    await expect(outcome).resolves.toMatchObject({ status: 403, error: { code: 'NOPE' } });
  });

  it('stops the source on a cancel and sends nothing more', async () => {
    let finalized = false;
    const source = new Subject<number>();
    const { sent, control, outcome } = serve(source.pipe(finalize(() => (finalized = true))), 5);
    source.next(1);
    conn.control(control(), 'Mesh-Stream-Cancel', '1');
    source.next(2);
    expect(finalized).toBe(true);
    expect(kinds(sent)).toEqual(['open', 'item 1: 1']);
    await expect(outcome).resolves.toEqual<StreamOutcome>({ status: 499 });
  });

  it('ends with 504 TIMEOUT at Mesh-Deadline and stops the source', async () => {
    jest.useFakeTimers();
    let finalized = false;
    const source = new Subject<number>();
    const { sent, outcome } = serve(source.pipe(finalize(() => (finalized = true))), 5, Date.now() + 1000);
    jest.advanceTimersByTime(1000);
    expect(finalized).toBe(true);
    expect(kinds(sent)).toEqual(['open', 'error 504 TIMEOUT']);
    await expect(outcome).resolves.toMatchObject({ status: 504 });
  });

  it(`ends a stream whose caller is silent for ${STREAM_IDLE_TIMEOUT_MS} ms, not one that sends keepalives`, async () => {
    jest.useFakeTimers();
    const quiet = serve(new Subject<number>(), 1);
    const chatty = serve(new Subject<number>(), 1);
    for (let t = 0; t < STREAM_IDLE_TIMEOUT_MS + STREAM_KEEPALIVE_MS; t += STREAM_KEEPALIVE_MS) {
      conn.control(chatty.control(), 'Mesh-Stream-Credit', '0');
      jest.advanceTimersByTime(STREAM_KEEPALIVE_MS);
    }
    expect(kinds(quiet.sent)).toEqual(['open', 'error 504 TIMEOUT']);
    expect(kinds(chatty.sent)).toEqual(['open']);
    expect(streams.size).toBe(1);
  });

  it('fails the open streams with 503 when the broker refuses the control inbox', async () => {
    const { sent, outcome } = serve(new Subject<number>(), 1);
    conn.subscriptions[0].callback(new Error('Permissions Violation for Subscription to "_INBOX.svc.x.*"'), {} as Msg);
    expect(kinds(sent)).toEqual(['open', 'error 503 SERVICE_UNAVAILABLE']);
    await expect(outcome).resolves.toMatchObject({ status: 503, error: { message: expect.stringContaining('set inboxPrefix') } });
  });
});
