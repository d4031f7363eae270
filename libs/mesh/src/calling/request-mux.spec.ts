import { headers as natsHeaders, Msg, MsgHdrs, NatsConnection } from 'nats';
import { MeshError } from '../mesh-error';
import { callFailure } from './call-failure';
import { RequestMux } from './request-mux';

interface Published {
  subject: string;
  reply: string;
  data: string;
}

/** Just enough of a NatsConnection: records subscriptions and publishes, and lets a test reply. */
class FakeConnection {
  readonly published: Published[] = [];
  readonly subscriptions: { subject: string; callback: (error: Error | null, msg: Msg) => void; unsubscribed: boolean }[] = [];
  failPublish?: Error;

  subscribe(subject: string, options: { callback: (error: Error | null, msg: Msg) => void }) {
    const sub = { subject, callback: options.callback, unsubscribed: false };
    this.subscriptions.push(sub);
    return { unsubscribe: () => void (sub.unsubscribed = true) };
  }

  publish(subject: string, data: Uint8Array, options: { reply: string; headers: MsgHdrs }): void {
    if (this.failPublish) throw this.failPublish;
    this.published.push({ subject, reply: options.reply, data: Buffer.from(data).toString() });
  }

  /** Delivers a message on the inbox subscription, as the broker would. */
  deliver(subject: string, data: string, headers?: MsgHdrs): void {
    const sub = this.subscriptions[this.subscriptions.length - 1];
    sub.callback(null, { subject, data: Buffer.from(data), headers } as unknown as Msg);
  }

  get nc(): NatsConnection {
    return this as unknown as NatsConnection;
  }
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
const text = (msg: Msg) => Buffer.from(msg.data).toString();
const hdrs = () => natsHeaders();

describe('RequestMux, with the MeshErrors of callFailure', () => {
  let conn: FakeConnection;
  let inbox: RequestMux<MeshError>;

  beforeEach(() => {
    conn = new FakeConnection();
    inbox = new RequestMux(callFailure);
  });

  afterEach(() => inbox.failAll(new MeshError(503, 'test over')));

  it('listens on one wildcard inbox; a request made when none is under way leaves at once, those made while others are, together after the turn', async () => {
    const calls = [1, 2, 3].map((n) => inbox.request(conn.nc, `mesh.s.f${n}`, Buffer.from(`${n}`), hdrs(), 1000));
    expect(conn.subscriptions).toHaveLength(1);
    expect(conn.subscriptions[0].subject).toMatch(/^_INBOX\.\w+\.\*$/);
    expect(conn.published.map((p) => p.subject)).toEqual(['mesh.s.f1']);
    await turn();
    expect(conn.published.map((p) => p.subject)).toEqual(['mesh.s.f1', 'mesh.s.f2', 'mesh.s.f3']);
    const prefix = conn.subscriptions[0].subject.slice(0, -1);
    expect(new Set(conn.published.map((p) => p.reply)).size).toBe(3);
    for (const p of conn.published) expect(p.reply.startsWith(prefix)).toBe(true);
    // replies in another order still reach their own calls
    for (const p of [...conn.published].reverse()) conn.deliver(p.reply, `reply to ${p.data}`);
    await expect(Promise.all(calls).then((msgs) => msgs.map(text))).resolves.toEqual(['reply to 1', 'reply to 2', 'reply to 3']);
    expect(inbox.size).toBe(0);
  });

  it('uses the inboxPrefix option', async () => {
    inbox = new RequestMux(callFailure, '_I.acme');
    void inbox.request(conn.nc, 'mesh.s.f', Buffer.from('1'), hdrs(), 1000).catch(() => undefined);
    expect(conn.subscriptions[0].subject).toMatch(/^_I\.acme\.\w+\.\*$/);
  });

  it('rejects with 504 TIMEOUT after the timeout and ignores the late reply', async () => {
    const call = inbox.request(conn.nc, 'mesh.s.slow', Buffer.from('1'), hdrs(), 20);
    await turn();
    await expect(call).rejects.toMatchObject({ status: 504, code: 'TIMEOUT', message: 's.slow did not answer within 20 ms' });
    expect(inbox.size).toBe(0);
    expect(() => conn.deliver(conn.published[0].reply, 'late')).not.toThrow();
  });

  it('does not publish a call that has already failed', async () => {
    const first = inbox.request(conn.nc, 'mesh.s.first', Buffer.from('1'), hdrs(), 1000);
    const queued = inbox.request(conn.nc, 'mesh.s.queued', Buffer.from('2'), hdrs(), 1000);
    inbox.failAll(new MeshError(503, 'the connection to the broker was lost'));
    await expect(first).rejects.toMatchObject({ status: 503 });
    await expect(queued).rejects.toMatchObject({ status: 503 });
    await turn();
    expect(conn.published.map((p) => p.subject)).toEqual(['mesh.s.first']);
  });

  it('sends a request at once again once the requests before it were answered', async () => {
    const first = inbox.request(conn.nc, 'mesh.s.f1', Buffer.from('1'), hdrs(), 1000);
    conn.deliver(conn.published[0].reply, 'one');
    await expect(first.then(text)).resolves.toBe('one');
    void inbox.request(conn.nc, 'mesh.s.f2', Buffer.from('2'), hdrs(), 1000).catch(() => undefined);
    expect(conn.published.map((p) => p.subject)).toEqual(['mesh.s.f1', 'mesh.s.f2']);
  });

  it('rejects with 503 SERVICE_UNAVAILABLE on the broker\'s "no responders" status', async () => {
    const call = inbox.request(conn.nc, 'mesh.s.none', Buffer.from('1'), hdrs(), 1000);
    await turn();
    conn.deliver(conn.published[0].reply, '', natsHeaders(503, 'No Responders'));
    await expect(call).rejects.toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE', message: 'no instance serves s.none' });
  });

  it('resolves an empty reply without a 503 status (a function that returned nothing)', async () => {
    const call = inbox.request(conn.nc, 'mesh.s.void', Buffer.from('1'), hdrs(), 1000);
    await turn();
    conn.deliver(conn.published[0].reply, '');
    await expect(call.then(text)).resolves.toBe('');
  });

  it('rejects with 503 when nats.js refuses the publish (connection closed or draining)', async () => {
    conn.failPublish = new Error('CONNECTION_CLOSED');
    const call = inbox.request(conn.nc, 'mesh.s.f', Buffer.from('1'), hdrs(), 1000);
    await expect(call).rejects.toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(inbox.size).toBe(0);
  });

  it('ignores messages for unknown tokens or other subjects', async () => {
    const call = inbox.request(conn.nc, 'mesh.s.f', Buffer.from('1'), hdrs(), 1000);
    await turn();
    const reply = conn.published[0].reply;
    conn.deliver(`${reply}x`, 'not mine');
    conn.deliver('other.subject', 'not mine');
    conn.deliver(reply.slice(0, reply.lastIndexOf('.') + 1), 'no token');
    expect(inbox.size).toBe(1);
    conn.deliver(reply, 'mine');
    await expect(call.then(text)).resolves.toBe('mine');
  });

  it('fails every waiting call with the given error', async () => {
    const calls = [1, 2].map((n) => inbox.request(conn.nc, 'mesh.s.f', Buffer.from(`${n}`), hdrs(), 60_000));
    await turn();
    inbox.failAll(new MeshError(503, 'the connection to the broker was lost', 'SERVICE_UNAVAILABLE'));
    for (const call of calls) await expect(call).rejects.toMatchObject({ status: 503, message: 'the connection to the broker was lost' });
    expect(inbox.size).toBe(0);
  });

  it('subscribes again on a new connection, and drops the old subscription', async () => {
    void inbox.request(conn.nc, 'mesh.s.f', Buffer.from('1'), hdrs(), 1000).catch(() => undefined);
    const first = conn.subscriptions[0];
    const next = new FakeConnection();
    const call = inbox.request(next.nc, 'mesh.s.f', Buffer.from('2'), hdrs(), 1000);
    expect(first.unsubscribed).toBe(true);
    expect(next.subscriptions).toHaveLength(1);
    await turn();
    next.deliver(next.published[0].reply, 'from the new connection');
    await expect(call.then(text)).resolves.toBe('from the new connection');
  });

  it('fails the waiting calls at once when the broker refuses the inbox, and subscribes again for the next call', async () => {
    const call = inbox.request(conn.nc, 'mesh.s.f', Buffer.from('1'), hdrs(), 60_000);
    await turn();
    const [refused] = conn.subscriptions;
    refused.callback(new Error("Permissions Violation for Subscription to \"_INBOX.x.*\""), {} as Msg);
    await expect(call).rejects.toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('set inboxPrefix') });
    expect(inbox.size).toBe(0);
    void inbox.request(conn.nc, 'mesh.s.f', Buffer.from('2'), hdrs(), 1000).catch(() => undefined);
    expect(conn.subscriptions).toHaveLength(2);
  });
});
