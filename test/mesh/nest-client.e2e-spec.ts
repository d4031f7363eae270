import { Controller, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxy, ClientProxyFactory, Ctx, EventPattern, NatsContext, Payload, Transport } from '@nestjs/microservices';
import { generateKeyPairSync } from 'node:crypto';
import { connect, headers, NatsConnection, StringCodec } from 'nats';
import { lastValueFrom, Observable, range, toArray } from 'rxjs';
import { MeshClient, MeshError, MeshFunction, meshMicroservice, MeshModule, MeshService } from 'nest-mesh';
import { describeWithNatsServer } from '../support/nats-server';
import { startBroker, TestBroker } from '../support/broker';
import { BROKERS } from '../support/mesh';

/**
 * A Nest ClientProxy with Transport.NATS calling mesh functions with `send('mesh.<service>.<func>',
 * params)` and `emit(...)`, and reaching a mesh app's @EventPattern handlers
 * (docs/getting-started.md#coming-from-transportnats); mesh and plain NATS callers of the same
 * subjects are unchanged. Both brokers.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the mesh app received: `seen.<name>` the params of each call or event, in order. */
const seen = new Map<string, unknown[]>();
const note = (name: string, value: unknown) => seen.set(name, [...(seen.get(name) ?? []), value]);

async function waitFor<T>(probe: () => T | undefined, ms = 5000): Promise<T | undefined> {
  for (const until = Date.now() + ms; Date.now() < until; await sleep(10)) {
    const value = probe();
    if (value !== undefined) return value;
  }
  return probe();
}

@MeshService('nestcalls')
class NestCallsService {
  @MeshFunction('echo')
  echo(params: unknown) {
    return { params };
  }

  @MeshFunction('nothing')
  nothing(): void {}

  @MeshFunction('count')
  async *count(n: number) {
    for (let i = 1; i <= n; i++) yield i;
  }

  @MeshFunction('count-obs')
  countObservable(n: number) {
    return range(1, n);
  }

  @MeshFunction('broken')
  async *broken() {
    yield 1;
    throw new MeshError(409, 'no more', 'NO_MORE');
  }

  @MeshFunction('record')
  record(params: unknown) {
    note('record', params);
    return 'recorded';
  }
}

/** A controller of the mesh app with Nest's own event handlers. */
@Controller()
class OrderEvents {
  @EventPattern('orders.created')
  created(@Payload() data: unknown, @Ctx() ctx: NatsContext) {
    note('created', { data, subject: ctx.getSubject() });
  }

  @EventPattern('orders.shipped', { queue: 'shipping' })
  shipped(data: unknown) {
    note('shipped', data);
  }

  @EventPattern('orders.failing')
  failing(): never {
    throw new Error('event handler failed');
  }

  /** Left to Nest's own Transport.NATS server (none runs here): the mesh does not serve it. */
  @EventPattern('orders.legacy', Transport.NATS)
  legacy(data: unknown) {
    note('legacy', data);
  }

  @EventPattern('orders.observed')
  observed(data: unknown) {
    return new Observable((subscriber) => {
      note('observed', data);
      subscriber.complete();
    });
  }
}

function appModule(url: string) {
  @Module({ imports: [MeshModule.forRoot({ servers: url, callTimeout: 5000 })], controllers: [NestCallsService, OrderEvents] })
  class AppModule {}
  return AppModule;
}

/** The subscriptions a nats.js connection holds, with their queue groups. */
function subscriptionsOf(nc: NatsConnection): { subject: string; queue?: string }[] {
  return (nc as unknown as { protocol: { subscriptions: { all(): { subject: string; queue?: string }[] } } }).protocol.subscriptions.all();
}

for (const kind of BROKERS) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;

  describeFor(`a Nest ClientProxy (Transport.NATS) calling mesh functions (${kind})`, () => {
    let broker: TestBroker;
    let app: INestApplication;
    let mesh: MeshClient;
    let nest: ClientProxy;
    let nc: NatsConnection;
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);

    beforeAll(async () => {
      process.on('unhandledRejection', onRejection);
      broker = await startBroker(kind);
      app = await NestFactory.create(appModule(broker.url), { logger: false });
      app.connectMicroservice(meshMicroservice({ servers: broker.url }));
      await app.startAllMicroservices();
      await app.init();
      mesh = app.get(MeshClient);
      nest = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: [broker.url] } });
      await nest.connect();
      nc = await connect({ servers: broker.url });
    });
    afterAll(async () => {
      process.off('unhandledRejection', onRejection);
      await nc?.close();
      await nest?.close();
      await app?.close();
      await broker?.stop();
    });
    beforeEach(() => seen.clear());

    const all = <T>(func: string, params: unknown) => lastValueFrom(nest.send<T>(`mesh.nestcalls.${func}`, params).pipe(toArray()));

    it("hands the function the params (not Nest's envelope) and answers the result", async () => {
      await expect(all('echo', { name: 'Ada' })).resolves.toEqual([{ params: { name: 'Ada' } }]);
      await expect(all('echo', [1, 2])).resolves.toEqual([{ params: [1, 2] }]);
      await expect(all('echo', 'text')).resolves.toEqual([{ params: 'text' }]);
    });

    it('answers a function that returns nothing with null, as a mesh caller gets it', async () => {
      await expect(all('nothing', {})).resolves.toEqual([null]);
    });

    it('gives every item of a stream, then completes', async () => {
      await expect(all('count', 300)).resolves.toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
      await expect(all('count-obs', 300)).resolves.toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
      await expect(all('count', 0)).resolves.toEqual([]);
    });

    it('fails a stream with {status, code, message} after the items before the failure', async () => {
      const items: unknown[] = [];
      const error = await new Promise((resolve) => nest.send('mesh.nestcalls.broken', {}).subscribe({ next: (item) => items.push(item), error: resolve, complete: () => resolve('completed') }));
      expect(items).toEqual([1]);
      expect(error).toEqual({ status: 409, code: 'NO_MORE', message: 'no more' });
    });

    it('runs a function that a ClientProxy emits to, without answering', async () => {
      await lastValueFrom(nest.emit('mesh.nestcalls.record', { order: 7 }), { defaultValue: undefined });
      await expect(waitFor(() => seen.get('record'))).resolves.toEqual([{ order: 7 }]);
    });

    it('serves the same subjects unchanged to MeshClient and to plain NATS callers, even with params that look like an envelope', async () => {
      const envelope = { pattern: 'mesh.nestcalls.echo', data: 1, id: 'x' };
      await expect(mesh.call('nestcalls', 'echo', envelope)).resolves.toEqual({ params: envelope });
      await expect(lastValueFrom(mesh.stream('nestcalls', 'count', 3).pipe(toArray()))).resolves.toEqual([1, 2, 3]);
      const codec = StringCodec();
      const plain = await nc.request('mesh.nestcalls.echo', codec.encode('{"pattern":"elsewhere","data":1}'), { timeout: 5000 });
      expect(JSON.parse(codec.decode(plain.data))).toEqual({ params: { pattern: 'elsewhere', data: 1 } });
      const last = await nc.request('mesh.nestcalls.count', codec.encode('4'), { timeout: 5000 });
      expect(codec.decode(last.data)).toBe('4');
      // A mesh caller's request id says it is no Nest caller, whatever its params.
      const withId = headers();
      withId.set('Mesh-Request-Id', 'r1');
      const mesh2 = await nc.request('mesh.nestcalls.echo', codec.encode(JSON.stringify(envelope)), { timeout: 5000, headers: withId });
      expect(JSON.parse(codec.decode(mesh2.data))).toEqual({ params: envelope });
    });

    it("delivers ClientProxy.emit to the app's @EventPattern handlers, with Nest's context", async () => {
      await lastValueFrom(nest.emit('orders.created', { id: 1 }), { defaultValue: undefined });
      await lastValueFrom(nest.emit('orders.observed', { id: 2 }), { defaultValue: undefined });
      await expect(waitFor(() => seen.get('created'))).resolves.toEqual([{ data: { id: 1 }, subject: 'orders.created' }]);
      await expect(waitFor(() => seen.get('observed'))).resolves.toEqual([{ id: 2 }]);
      // A plain NATS publisher's JSON is the data itself, as with Transport.NATS.
      nc.publish('orders.created', StringCodec().encode('{"id":3}'));
      await expect(waitFor(() => (seen.get('created')?.length === 2 ? seen.get('created') : undefined))).resolves.toEqual([
        { data: { id: 1 }, subject: 'orders.created' },
        { data: { id: 3 }, subject: 'orders.created' },
      ]);
    });

    it('answers a ClientProxy.send to an event pattern as ServerNats does: with what the handler returns', async () => {
      await expect(lastValueFrom(nest.send('orders.created', { id: 9 }).pipe(toArray()))).resolves.toEqual([]);
      expect(seen.get('created')).toEqual([{ data: { id: 9 }, subject: 'orders.created' }]);
    });

    it('subscribes each event pattern as ServerNats does: in the queue group the handler names, else in none; not one left to Transport.NATS', () => {
      const subscriptions = subscriptionsOf(app.getMicroservices()[0].unwrap<NatsConnection>());
      const events = subscriptions.filter((sub) => sub.subject.startsWith('orders.')).map(({ subject, queue }) => ({ subject, queue }));
      expect(events.sort((a, b) => a.subject.localeCompare(b.subject))).toEqual([
        { subject: 'orders.created', queue: undefined },
        { subject: 'orders.failing', queue: undefined },
        { subject: 'orders.observed', queue: undefined },
        { subject: 'orders.shipped', queue: 'shipping' },
      ]);
    });

    it('drops a payload that is not JSON and a handler that throws, with no unhandled rejection, and goes on serving', async () => {
      nc.publish('orders.created', StringCodec().encode('not json {'));
      await lastValueFrom(nest.emit('orders.failing', { id: 4 }), { defaultValue: undefined });
      await lastValueFrom(nest.emit('orders.shipped', { id: 5 }), { defaultValue: undefined });
      await expect(waitFor(() => seen.get('shipped'))).resolves.toEqual([{ id: 5 }]);
      expect(seen.get('created')).toBeUndefined();
      await sleep(100);
      expect(rejections).toEqual([]);
    });
  });
}

describe("a Nest ClientProxy calling a service that verifies Mesh-Tokens", () => {
  let broker: TestBroker;
  let app: INestApplication;
  let nest: ClientProxy;

  beforeAll(async () => {
    broker = await startBroker('embedded');
    const { publicKey } = generateKeyPairSync('ed25519');
    app = await NestFactory.create(appModule(broker.url), { logger: false });
    app.connectMicroservice(meshMicroservice({ servers: broker.url, verify: { publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(), audience: 'demo' } }));
    await app.startAllMicroservices();
    await app.init();
    nest = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: [broker.url] } });
    await nest.connect();
  });
  afterAll(async () => {
    await nest?.close();
    await app?.close();
    await broker?.stop();
  });

  it("is refused with 401 in Nest's envelope (it carries no token)", async () => {
    await expect(lastValueFrom(nest.send('mesh.nestcalls.echo', {}))).rejects.toEqual({ status: 401, code: 'UNAUTHENTICATED', message: expect.any(String) });
  });
});
