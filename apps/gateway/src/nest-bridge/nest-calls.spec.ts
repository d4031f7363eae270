import type { Msg, NatsConnection } from 'nats';
import { isObservable, lastValueFrom, Observable, toArray } from 'rxjs';
import { MeshContext } from 'nest-mesh';
import type { NestTarget } from '../config/nest-targets';
import { NestCalls } from './nest-calls';

const target: NestTarget = { service: 'legacy', func: 'sum', pattern: { cmd: 'sum' }, subject: '{"cmd":"sum"}' };

/** A connection that records what is published and hands the test the inbox's callback. */
function fakeConnection() {
  const published: { subject: string; data: unknown; reply: string }[] = [];
  let deliver: ((error: Error | null, msg: Msg) => void) | undefined;
  let inbox = '';
  const nc = {
    subscribe(subject: string, options: { callback: typeof deliver }) {
      inbox = subject.slice(0, -1);
      deliver = options.callback;
      return { unsubscribe: () => undefined };
    },
    publish(subject: string, data: Uint8Array, options: { reply: string }) {
      published.push({ subject, data: JSON.parse(Buffer.from(data).toString()), reply: options.reply });
    },
  } as unknown as NatsConnection;
  /** Answers the last call with `body` (JSON unless it is a Uint8Array). */
  const answer = (body: unknown, headers?: { code: number }) => {
    const { reply } = published.at(-1)!;
    const data = body instanceof Uint8Array ? body : Buffer.from(JSON.stringify(body));
    deliver!(null, { subject: reply, data, headers } as unknown as Msg);
  };
  return { nc, published, answer, inbox: () => inbox };
}

const ctx = (deadline = Date.now() + 5000) => {
  const headers = new Map([['Mesh-Deadline', String(deadline)], ['Mesh-Request-Id', 'r1']]);
  return new MeshContext('mesh.legacy.sum', { get: (name: string) => headers.get(name) ?? '' } as never, 'legacy', 'sum');
};

describe('NestCalls', () => {
  it("publishes Nest's envelope on the pattern's subject, with a reply subject under one inbox", () => {
    const { nc, published, inbox } = fakeConnection();
    const calls = new NestCalls(60_000, undefined);
    calls.call(nc, target, [1, 2], ctx()).catch(() => undefined); // never answered: its deadline ends it after the test
    calls.call(nc, target, [3], ctx()).catch(() => undefined); // never answered: its deadline ends it after the test
    expect(published).toEqual([
      { subject: '{"cmd":"sum"}', data: { pattern: { cmd: 'sum' }, data: [1, 2], id: expect.any(String) }, reply: expect.stringMatching(/^_INBOX\./) },
      { subject: '{"cmd":"sum"}', data: { pattern: { cmd: 'sum' }, data: [3], id: expect.any(String) }, reply: expect.any(String) },
    ]);
    expect(published.every(({ reply }) => reply.startsWith(inbox()))).toBe(true);
    expect(new Set(published.map(({ data }) => (data as { id: string }).id)).size).toBe(2);
  });

  it('resolves to the value of a whole answer, to an empty stream for none, and reads a bare JSON answer as the value', async () => {
    const { nc, published, answer } = fakeConnection();
    const calls = new NestCalls(60_000, undefined);
    const value = calls.call(nc, target, [1, 2], ctx());
    answer({ response: 3, isDisposed: true, id: (published[0].data as { id: string }).id });
    await expect(value).resolves.toBe(3);
    const nothing = calls.call(nc, target, [], ctx());
    answer({ isDisposed: true });
    const empty = await nothing;
    expect(isObservable(empty) && (await lastValueFrom((empty as Observable<unknown>).pipe(toArray())))).toEqual([]);
    const bare = calls.call(nc, target, [], ctx());
    answer({ total: 0 });
    await expect(bare).resolves.toEqual({ total: 0 });
    expect(calls.size).toBe(0);
  });

  it('ignores an answer with another id, as ClientNats does', async () => {
    const { nc, answer } = fakeConnection();
    const calls = new NestCalls(60_000, undefined);
    const value = calls.call(nc, target, [1], ctx());
    answer({ response: 'not mine', isDisposed: true, id: 'other' });
    answer({ response: 'mine', isDisposed: true });
    await expect(value).resolves.toBe('mine');
  });

  it('resolves to a stream of every item, those before it was read included, then its end or its error', async () => {
    const { nc, answer } = fakeConnection();
    const calls = new NestCalls(60_000, undefined);
    const stream = calls.call(nc, target, [], ctx());
    answer({ response: 1 });
    answer({ response: 2 });
    const items = (await stream) as Observable<unknown>;
    answer({ response: 3, isDisposed: true });
    await expect(lastValueFrom(items.pipe(toArray()))).resolves.toEqual([1, 2, 3]);
    const failing = calls.call(nc, target, [], ctx());
    answer({ response: 1 });
    const seen: unknown[] = [];
    const error = new Promise((resolve) => void (failing as Promise<Observable<unknown>>).then((o) => o.subscribe({ next: (v) => seen.push(v), error: resolve })));
    await failing;
    answer({ err: { status: 409, message: 'no more', code: 'NO_MORE' }, isDisposed: true });
    await expect(error).resolves.toMatchObject({ status: 409, code: 'NO_MORE', message: 'no more' });
    expect(seen).toEqual([1]);
    expect(calls.size).toBe(0);
  });

  it('rejects with the mapped err, 503 for no responders, 500 for an answer that is not JSON, 504 past the deadline', async () => {
    const { nc, answer } = fakeConnection();
    const calls = new NestCalls(60_000, undefined);
    const failed = calls.call(nc, target, [], ctx());
    answer({ err: { status: 'error', message: 'Internal server error' }, isDisposed: true });
    await expect(failed).rejects.toMatchObject({ status: 500, code: 'INTERNAL', message: 'function legacy.sum failed' });
    const nobody = calls.call(nc, target, [], ctx());
    answer(new Uint8Array(0), { code: 503 });
    await expect(nobody).rejects.toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    const garbled = calls.call(nc, target, [], ctx());
    answer(Buffer.from('not json'));
    await expect(garbled).rejects.toMatchObject({ status: 500, code: 'INTERNAL' });
    await expect(calls.call(nc, target, [], ctx(Date.now() + 20))).rejects.toMatchObject({ status: 504, code: 'TIMEOUT' });
    expect(calls.size).toBe(0);
  });
});
