import { CallHandler, ExecutionContext, INestApplication, Injectable, Module, NestInterceptor, UseInterceptors } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MeshClient, MeshContext, MeshError, MeshFunction, meshMicroservice, MeshModule, MeshService } from 'nest-mesh';
import { encodeJson, MeshConnection } from 'nest-mesh/internal';
import type { NatsConnection } from 'nats';
import { finalize, interval, lastValueFrom, map, Observable, of, range, take, toArray } from 'rxjs';
import { TestProcess } from '../support/child';
import { describeWithNatsServer } from '../support/nats-server';
import { startBroker, TestBroker } from '../support/broker';
import { BROKERS } from '../support/mesh';
import { FLOOD_ITEMS } from '../fixtures/stream-services';
import { testProgram } from '../support/programs';

/** Streams (docs/protocol.md#streams): a function that returns an Observable or an async generator, read with MeshClient.stream. */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** When each source of the `streams` service was last let go of (its finally / finalize), by name. */
const released = new Map<string, number>();
/** Calls of `streams.counted`. */
let countedCalls = 0;
/** Resolves the `handshake` generator's wait for its reader. */
let letSecondGo: (() => void) | undefined;

/** An interceptor that changes nothing. */
@Injectable()
class PassThrough implements NestInterceptor {
  intercept(_: ExecutionContext, next: CallHandler) {
    return next.handle();
  }
}

@MeshService('streams')
class StreamsService {
  @MeshFunction('count')
  async *count(n: number) {
    for (let i = 1; i <= n; i++) yield i;
  }

  @MeshFunction('count-obs')
  countObservable(n: number) {
    return range(1, n);
  }

  @MeshFunction('counted')
  counted() {
    countedCalls++;
    return of('a', 'b');
  }

  @MeshFunction('empty')
  async *empty() {}

  @MeshFunction('plain')
  plain() {
    return { a: 1 };
  }

  @MeshFunction('failing')
  async *failing() {
    yield 1;
    yield 2;
    throw new MeshError(409, 'no more', 'NO_MORE');
  }

  @MeshFunction('refused')
  refused(): Observable<number> {
    throw new MeshError(403, 'not you', 'NOT_YOU');
  }

  /** Yields 'first', then waits until the test has read it before it yields 'second'. */
  @MeshFunction('handshake')
  async *handshake() {
    yield 'first';
    await new Promise<void>((resolve) => (letSecondGo = resolve));
    yield 'second';
  }

  /** An item every 20 ms, forever; records when it is let go of. */
  @MeshFunction('endless')
  async *endless(name: string) {
    try {
      for (let i = 1; ; i++) {
        await sleep(20);
        yield i;
      }
    } finally {
      released.set(name, Date.now());
    }
  }

  @MeshFunction('endless-obs')
  endlessObservable(name: string) {
    return interval(20).pipe(finalize(() => released.set(name, Date.now())));
  }

  /** Waits `ms` before its first item. */
  @MeshFunction('late')
  async *late(params: { ms: number; name: string }) {
    try {
      await sleep(params.ms);
      yield 'late';
    } finally {
      released.set(params.name, Date.now());
    }
  }

  /** A small item, then one larger than the broker accepts. */
  @MeshFunction('huge')
  async *huge() {
    yield 'small';
    yield 'x'.repeat(2 * 1024 * 1024);
  }

  /** An async generator behind an interceptor (Nest hands the generator over inside an Observable). */
  @MeshFunction('intercepted')
  @UseInterceptors(PassThrough)
  async *intercepted(n: number) {
    for (let i = 1; i <= n; i++) yield i;
  }

  /** The deadline and request id it was called with, as one item. */
  @MeshFunction('context')
  async *context(_: unknown, ctx: MeshContext) {
    yield { remaining: ctx.remainingMs(), requestId: ctx.requestId };
  }
}

@MeshService('fresh')
class FreshService {
  @MeshFunction('count')
  async *count(n: number) {
    for (let i = 1; i <= n; i++) yield i;
  }
}

function appModule(url: string) {
  @Module({ imports: [MeshModule.forRoot({ servers: url, callTimeout: 5000 })], controllers: [StreamsService] })
  class AppModule {}
  return AppModule;
}

/** The subscriptions a nats.js connection holds (nats.js keeps them in `protocol.subscriptions`). */
function subscriptions(nc: NatsConnection): number {
  return (nc as unknown as { protocol: { subscriptions: { size(): number } } }).protocol.subscriptions.size();
}

/** Waits (at most `ms`) until `name`'s source was let go of; resolves to when that happened. */
async function releasedAt(name: string, ms = 3000): Promise<number | undefined> {
  const until = Date.now() + ms;
  while (!released.has(name) && Date.now() < until) await sleep(10);
  return released.get(name);
}

for (const kind of BROKERS) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;

  describeFor(`streams with MeshClient.stream (${kind})`, () => {
    let broker: TestBroker;
    let app: INestApplication;
    let client: MeshClient;

    beforeAll(async () => {
      broker = await startBroker(kind);
      app = await NestFactory.create(appModule(broker.url), { logger: false });
      app.connectMicroservice(meshMicroservice({ servers: broker.url }));
      await app.startAllMicroservices();
      await app.init();
      client = app.get(MeshClient);
    });
    afterAll(async () => {
      await app?.close();
      await broker?.stop();
    });

    const all = <T>(func: string, params?: unknown, options = {}) => lastValueFrom(client.stream<T>('streams', func, params, options).pipe(toArray()));

    it('costs plain calls no subscription: the caller and the service subscribe their stream inboxes with their first stream', async () => {
      // a fresh pair, so that no stream has run on it yet, with a service of its own
      @Module({ imports: [MeshModule.forRoot({ servers: broker.url })], controllers: [FreshService] })
      class FreshModule {}
      const fresh = await NestFactory.create(FreshModule, { logger: false });
      try {
        fresh.connectMicroservice(meshMicroservice({ servers: broker.url }));
        await fresh.startAllMicroservices();
        await fresh.init();
        const caller = fresh.get(MeshConnection).current!;
        const service = fresh.getMicroservices()[0].unwrap<NatsConnection>();
        const freshClient = fresh.get(MeshClient);
        await freshClient.call('fresh', 'count', 1);
        const before = [subscriptions(caller), subscriptions(service)];
        for (let i = 0; i < 20; i++) await freshClient.call('fresh', 'count', 3);
        expect([subscriptions(caller), subscriptions(service)]).toEqual(before);
        await lastValueFrom(freshClient.stream('fresh', 'count', 3).pipe(toArray()));
        expect([subscriptions(caller), subscriptions(service)]).toEqual([before[0] + 1, before[1] + 1]);
        await lastValueFrom(freshClient.stream('fresh', 'count', 3).pipe(toArray()));
        expect([subscriptions(caller), subscriptions(service)]).toEqual([before[0] + 1, before[1] + 1]);
      } finally {
        await fresh.close();
      }
    });

    it('gives every item of an async generator and of an Observable, in order', async () => {
      await expect(all('count', 200)).resolves.toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      await expect(all('count-obs', 200)).resolves.toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      await expect(all('empty')).resolves.toEqual([]);
    });

    it('delivers each item as it is produced', async () => {
      const seen: string[] = [];
      const done = lastValueFrom(
        client.stream<string>('streams', 'handshake').pipe(
          map((item) => {
            seen.push(item);
            if (item === 'first') setImmediate(() => letSecondGo?.()); // only once 'first' has arrived
            return item;
          }),
          toArray(),
        ),
      );
      await expect(done).resolves.toEqual(['first', 'second']);
    });

    it('answers a caller that asked for no stream with the last item (null when there is none)', async () => {
      await expect(client.call('streams', 'count', 5)).resolves.toBe(5);
      await expect(client.call('streams', 'count-obs', 5)).resolves.toBe(5);
      await expect(client.call('streams', 'empty')).resolves.toBeNull();
    });

    it('gives a plain result as one item', async () => {
      await expect(all('plain')).resolves.toEqual([{ a: 1 }]);
    });

    it('fails with 500 RESULT_TOO_LARGE on an item larger than the broker accepts, after the items before it', async () => {
      const items: string[] = [];
      const error = await lastValueFrom(client.stream<string>('streams', 'huge').pipe(map((item) => items.push(item)))).catch((e: unknown) => e);
      expect(items).toEqual(['small']);
      expect(error).toMatchObject({ status: 500, code: 'RESULT_TOO_LARGE' });
    });

    it('streams an async generator behind a Nest interceptor (which hands it over inside an Observable)', async () => {
      await expect(all('intercepted', 100, { window: 4 })).resolves.toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      await expect(client.call('streams', 'intercepted', 5)).resolves.toBe(5);
    });

    it('ends an open stream with 503 when its service stops, and stops the generator', async () => {
      @MeshService('stopping')
      class StoppingService {
        @MeshFunction('endless')
        async *endless(name: string) {
          try {
            for (let i = 1; ; i++) {
              await sleep(20);
              yield i;
            }
          } finally {
            released.set(name, Date.now());
          }
        }
      }
      @Module({ controllers: [StoppingService] })
      class StoppingModule {}
      const service = await NestFactory.createMicroservice(StoppingModule, { ...meshMicroservice({ servers: broker.url, gracePeriod: 300 }), logger: false });
      await service.listen();
      const name = `stopping-${kind}`;
      const items: number[] = [];
      const ended = lastValueFrom(client.stream<number>('stopping', 'endless', name).pipe(map((n) => items.push(n)))).catch((e: unknown) => e);
      while (items.length < 2) await sleep(10);
      await service.close();
      await expect(ended).resolves.toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE', message: 'the service instance is stopping' });
      expect(await releasedAt(name)).toBeDefined();
    });

    it('is cold: subscribing makes the call', async () => {
      const before = countedCalls;
      const stream = client.stream('streams', 'counted');
      await sleep(100);
      expect(countedCalls).toBe(before);
      await expect(lastValueFrom(stream.pipe(toArray()))).resolves.toEqual(['a', 'b']);
      expect(countedCalls).toBe(before + 1);
    });

    it('fails with the MeshError the function ends with, after the items before it', async () => {
      const items: number[] = [];
      const error = await lastValueFrom(client.stream<number>('streams', 'failing').pipe(map((n) => items.push(n)))).catch((e: unknown) => e);
      expect(items).toEqual([1, 2]);
      expect(error).toBeInstanceOf(MeshError);
      expect(error).toMatchObject({ status: 409, code: 'NO_MORE', message: 'no more' });
      await expect(all('refused')).rejects.toMatchObject({ status: 403, code: 'NOT_YOU' });
    });

    it('fails with 503 at once when no instance serves the function', async () => {
      const started = Date.now();
      await expect(lastValueFrom(client.stream('nobody', 'home'))).rejects.toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(1000);
    });

    for (const func of ['endless', 'endless-obs']) {
      it(`ends the service's ${func === 'endless' ? 'generator' : 'Observable'} within a second when the reader unsubscribes`, async () => {
        const name = `${func}-${kind}-unsubscribe`;
        await expect(lastValueFrom(client.stream<number>('streams', func, name).pipe(take(3), toArray()))).resolves.toEqual(
          func === 'endless' ? [1, 2, 3] : [0, 1, 2],
        );
        const left = Date.now();
        const at = await releasedAt(name);
        expect(at).toBeDefined();
        expect(at! - left).toBeLessThan(1000);
      });
    }

    it('fails with 504 when an item takes longer than timeout, and stops the service\'s work', async () => {
      const name = `late-${kind}`;
      const started = Date.now();
      await expect(all('late', { ms: 2000, name }, { timeout: 300 })).rejects.toMatchObject({ status: 504, code: 'TIMEOUT' });
      expect(Date.now() - started).toBeLessThan(2000);
      // the generator waits in its sleep: it is let go of once that ends (an await cannot be interrupted)
      expect(await releasedAt(name, 5000)).toBeDefined();
    });

    it('fails with 504 when the whole stream takes longer than streamTimeout (Mesh-Deadline), and stops the service\'s work', async () => {
      const name = `endless-${kind}-deadline`;
      const started = Date.now();
      await expect(all('endless', name, { streamTimeout: 600 })).rejects.toMatchObject({ status: 504, code: 'TIMEOUT' });
      expect(Date.now() - started).toBeLessThan(2000);
      const at = await releasedAt(name);
      expect(at! - started).toBeLessThan(1600);
    });

    it('sends the stream deadline as Mesh-Deadline, bounded by the call being served', async () => {
      const [{ remaining }] = await all<{ remaining: number }>('context', null, { streamTimeout: 20_000 });
      expect(remaining).toBeGreaterThan(10_000);
      expect(remaining).toBeLessThanOrEqual(20_000);
    });

    it('reads the items one at a time through the pull API, and cancels on return()', async () => {
      const name = `endless-${kind}-pull`;
      const replies = await client.openStream('streams', 'endless', encodeJson(name), { window: 2 });
      const items: string[] = [];
      for await (const msg of replies) {
        items.push(Buffer.from(msg.data).toString());
        if (items.length === 3) break;
      }
      expect(items).toEqual(['1', '2', '3']);
      expect(await releasedAt(name)).toBeDefined();
    });
  });
}

/**
 * Flow control, measured: a reader that takes one item per second from a function that emits
 * 100,000 items of 1 KB as fast as it can. The service runs in a process of its own, so its memory
 * is its own.
 */
/** Far below 100,000 items of 1 KB (about 100 MB): a service that buffered them would exceed it. */
const HEAP_BOUND = 40 * 1024 * 1024;
const RSS_BOUND = 80 * 1024 * 1024;

interface Memory {
  heapUsed: number;
  rss: number;
  produced: number;
  finalized: boolean;
}

for (const kind of BROKERS) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;

  describeFor(`streams to a slow reader stay bounded (${kind})`, () => {
    let broker: TestBroker;
    let service: TestProcess;
    let app: INestApplication;
    let client: MeshClient;

    beforeAll(async () => {
      broker = await startBroker(kind);
      service = await TestProcess.start(
        'flood service',
        process.execPath,
        ['--expose-gc', testProgram('stream-services')],
        { env: { MESH_SERVERS: broker.url }, ready: /^ready$/m, timeoutMs: 40_000 },
      );
      app = await NestFactory.create(appModule(broker.url), { logger: false });
      await app.init();
      client = app.get(MeshClient);
    }, 60_000);
    afterAll(async () => {
      await app?.close();
      await service?.stop();
      await broker?.stop();
    });

    const memory = () => client.call<Memory>('flood', 'memory');

    /** Reads `n` items, one per second, through the pull API (as the gateway writes server-sent events). */
    async function readSlowly(func: string, n: number, window: number) {
      const replies = await client.openStream('flood', func, encodeJson(null), { timeout: 10_000, window });
      const items: number[] = [];
      let error: unknown;
      try {
        while (items.length < n) {
          const next = await replies.next();
          if (next.done) break;
          items.push((JSON.parse(Buffer.from(next.value.data).toString()) as { n: number }).n);
          await sleep(1000);
        }
      } catch (e) {
        error = e;
      }
      return { replies, items, error };
    }

    it('pulls an async generator only as far as the reader reads, and its memory stays bounded', async () => {
      const before = await memory();
      const { replies, items, error } = await readSlowly('generator', 5, 16);
      const during = await memory();
      expect(error).toBeUndefined();
      expect(items).toEqual([1, 2, 3, 4, 5]);
      // the credits: the window (16) and the half of it granted back, plus the one next() in flight
      expect(during.produced).toBeLessThanOrEqual(16 + 8 + 1);
      expect(during.heapUsed - before.heapUsed).toBeLessThan(HEAP_BOUND);
      expect(during.rss - before.rss).toBeLessThan(RSS_BOUND);
      process.stdout.write(`flow control (${kind}, generator): produced ${during.produced} of ${FLOOD_ITEMS}; heap ${mb(before.heapUsed)} -> ${mb(during.heapUsed)}, rss ${mb(before.rss)} -> ${mb(during.rss)}\n`);
      const left = Date.now();
      replies.cancel();
      while (!(await memory()).finalized && Date.now() - left < 3000) await sleep(20);
      expect(Date.now() - left).toBeLessThan(1000);
    });

    it('fails an Observable that cannot be paused with 503 SLOW_CONSUMER instead of growing, and unsubscribes it', async () => {
      const before = await memory();
      const reading = readSlowly('observable', 100, 4);
      await sleep(2000); // long enough to emit all 100,000 items (a few hundred ms), were it let
      const during = await memory();
      expect(during.heapUsed - before.heapUsed).toBeLessThan(HEAP_BOUND);
      expect(during.rss - before.rss).toBeLessThan(RSS_BOUND);
      expect(during.finalized).toBe(true);
      expect(during.produced).toBeLessThan(FLOOD_ITEMS);
      const { items, error } = await reading;
      // the items on their way when the service gave up (at most the window), then the error
      expect(items.length).toBeLessThanOrEqual(4);
      expect(error).toBeInstanceOf(MeshError);
      expect(error).toMatchObject({ status: 503, code: 'SLOW_CONSUMER' });
      process.stdout.write(`flow control (${kind}, Observable): emitted ${during.produced} of ${FLOOD_ITEMS} before SLOW_CONSUMER; heap ${mb(before.heapUsed)} -> ${mb(during.heapUsed)}, rss ${mb(before.rss)} -> ${mb(during.rss)}\n`);
    });
  });
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
