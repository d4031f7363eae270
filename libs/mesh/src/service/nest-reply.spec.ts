import { ErrorCode, headers as natsHeaders, NatsError, ServiceMsg } from 'nats';
import { concat, interval, map, Observable, of, range, throwError } from 'rxjs';
import { MeshError } from '../mesh-error';
import { MeshContext } from './mesh-context';
import { NestCaller } from './nest-reply';
import { StreamResult } from './stream-source';

const logger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** A request of a Nest ClientProxy as the service sees it: what it responds is recorded. */
function nestRequest(options: { id?: string; requestId?: string; tooLarge?: (data: string) => boolean } = {}) {
  const sent: unknown[] = [];
  const headers = natsHeaders();
  if (options.requestId) headers.set('Mesh-Request-Id', options.requestId);
  const envelope = { pattern: 'mesh.s.f', data: { a: 1 }, ...(options.id !== undefined && { id: options.id }) };
  const msg = {
    subject: 'mesh.s.f',
    reply: '_INBOX.nest.1',
    headers,
    data: Buffer.from(JSON.stringify(envelope)),
    respond(data: Uint8Array) {
      const text = Buffer.from(data).toString();
      if (options.tooLarge?.(text)) throw new NatsError('too large', ErrorCode.MaxPayloadExceeded);
      sent.push(JSON.parse(text));
      return true;
    },
  } as unknown as ServiceMsg;
  return { msg, sent, envelope };
}

const ctx = () => new MeshContext('mesh.s.f', undefined, 's', 'f');
const failureOf = (error: unknown) => (error instanceof MeshError ? error : new MeshError(500, 'function s.f failed'));

async function streamed(source: StreamResult, options: Parameters<typeof nestRequest>[0] = {}) {
  const { msg, sent } = nestRequest({ id: 'n1', ...options });
  const caller = NestCaller.of(msg, JSON.parse(Buffer.from(msg.data).toString()))!;
  const outcome = await caller.stream(source, ctx(), undefined, failureOf, logger).outcome;
  return { sent, outcome };
}

describe('NestCaller', () => {
  it("is a request in Nest's envelope of its own subject, without Mesh-Request-Id", () => {
    const { msg, envelope } = nestRequest({ id: 'n1' });
    expect(NestCaller.of(msg, envelope)?.data).toEqual({ a: 1 });
    expect(NestCaller.of(msg, { a: 1 })).toBeUndefined();
    const mesh = nestRequest({ id: 'n1', requestId: 'r1' });
    expect(NestCaller.of(mesh.msg, mesh.envelope)).toBeUndefined();
    expect(NestCaller.ofRaw(msg)?.data).toEqual({ a: 1 });
    expect(NestCaller.ofRaw(mesh.msg)).toBeUndefined();
  });

  it('answers a value in one message, an error as {status, code, message}, and nothing to an emit', () => {
    const { msg, sent, envelope } = nestRequest({ id: 'n1' });
    const caller = NestCaller.of(msg, envelope)!;
    expect(caller.value({ ok: true }, ctx(), undefined, logger)).toBe(200);
    caller.error(new MeshError(404, 'no such user', 'NO_USER'), logger);
    expect(sent).toEqual([
      { response: { ok: true }, isDisposed: true, id: 'n1' },
      { err: { status: 404, code: 'NO_USER', message: 'no such user' }, isDisposed: true, id: 'n1' },
    ]);
    const emitted = nestRequest();
    const silent = NestCaller.of(emitted.msg, emitted.envelope)!;
    expect(silent.waits).toBe(false);
    silent.value(1, ctx(), undefined, logger);
    silent.error(new MeshError(400, 'no'), logger);
    expect(emitted.sent).toEqual([]);
  });

  it('answers a value too large for the broker with 500 RESULT_TOO_LARGE', () => {
    const { msg, sent, envelope } = nestRequest({ id: 'n1', tooLarge: (text) => text.includes('"response"') });
    expect(NestCaller.of(msg, envelope)!.value('x'.repeat(10), ctx(), undefined, logger)).toBe(500);
    expect(sent).toEqual([{ err: { status: 500, code: 'RESULT_TOO_LARGE', message: expect.stringContaining('s.f') }, isDisposed: true, id: 'n1' }]);
  });
});

describe('a stream to a Nest caller, as ServerNats sends it', () => {
  it('sends a value an interceptor wrapped in an Observable as one message', async () => {
    const { sent, outcome } = await streamed(of({ a: 1 }));
    expect(sent).toEqual([{ response: { a: 1 }, isDisposed: true, id: 'n1' }]);
    expect(outcome).toEqual({ status: 200 });
  });

  it('sends what comes in one turn together, the end with the last item', async () => {
    const { sent } = await streamed(range(1, 3));
    expect(sent).toEqual([
      { response: 1, id: 'n1' },
      { response: 2, id: 'n1' },
      { response: 3, isDisposed: true, id: 'n1' },
    ]);
  });

  it('sends items as they come, and an end that comes later on its own', async () => {
    const later = (fn: () => void) => void setTimeout(fn, 1);
    const source = new Observable((subscriber) => {
      later(() => {
        subscriber.next(1);
        later(() => {
          subscriber.next(2);
          later(() => subscriber.complete());
        });
      });
    });
    const { sent } = await streamed(source);
    expect(sent).toEqual([{ response: 1, id: 'n1' }, { response: 2, id: 'n1' }, { isDisposed: true, id: 'n1' }]);
    const generator = await streamed(
      (async function* () {
        yield 'a';
        await new Promise((resolve) => setTimeout(resolve, 1));
        yield 'b';
      })(),
    );
    // The generator returns in the same turn as its last item: the end goes with it.
    expect(generator.sent).toEqual([{ response: 'a', id: 'n1' }, { response: 'b', isDisposed: true, id: 'n1' }]);
  });

  it('sends an empty stream as its end only', async () => {
    const { sent } = await streamed(new Observable((subscriber) => subscriber.complete()));
    expect(sent).toEqual([{ isDisposed: true, id: 'n1' }]);
  });

  it('sends an error after the items before it', async () => {
    const { sent, outcome } = await streamed(concat(range(1, 2), throwError(() => new MeshError(409, 'no more', 'NO_MORE'))));
    expect(sent).toEqual([
      { response: 1, id: 'n1' },
      { response: 2, id: 'n1' },
      { err: { status: 409, code: 'NO_MORE', message: 'no more' }, isDisposed: true, id: 'n1' },
    ]);
    expect(outcome).toMatchObject({ status: 409 });
  });

  it('ends with 500 RESULT_TOO_LARGE at an item the broker refuses, and stops the source', async () => {
    let produced = 0;
    const source = interval(1).pipe(map(() => (++produced === 2 ? 'x'.repeat(100) : produced)));
    const { sent, outcome } = await streamed(source, { tooLarge: (text) => text.includes('"response"') && text.length > 80 });
    expect(sent).toEqual([{ response: 1, id: 'n1' }, { err: expect.objectContaining({ status: 500, code: 'RESULT_TOO_LARGE' }), isDisposed: true, id: 'n1' }]);
    expect(outcome).toMatchObject({ status: 500 });
    const before = produced;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(produced).toBe(before);
  });

  it('ends at once with the error it is aborted with', async () => {
    const { msg, sent, envelope } = nestRequest({ id: 'n1' });
    const stream = NestCaller.of(msg, envelope)!.stream(interval(1000), ctx(), undefined, failureOf, logger);
    stream.abort(new MeshError(503, 'the service instance is stopping'));
    expect(sent).toEqual([{ err: { status: 503, code: 'SERVICE_UNAVAILABLE', message: 'the service instance is stopping' }, isDisposed: true, id: 'n1' }]);
    await expect(stream.outcome).resolves.toMatchObject({ status: 503 });
  });
});
