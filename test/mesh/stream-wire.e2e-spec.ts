import { randomUUID } from 'node:crypto';
import { INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { connect, createInbox, Empty, headers, Msg, MsgHdrs, NatsConnection } from 'nats';
import { lastValueFrom, take, toArray } from 'rxjs';
import { MeshClient, MeshError, MeshFunction, meshMicroservice, MeshModule, MeshService } from 'nest-mesh';
import { describeWithNatsServer } from '../support/nats-server';
import { startBroker, TestBroker } from '../support/broker';
import { BROKERS } from '../support/mesh';

/**
 * The stream wire of docs/protocol.md#streams, spoken by bare NATS clients written from that page
 * alone (its example, as printed there): a responder that MeshClient reads, and a caller that reads
 * a nest-mesh service.
 */

const own = createInbox(); // its own inbox (see Inboxes); a mesh identity <name>: '_INBOX.<name>'
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const header = (entries: Record<string, string>): MsgHdrs => {
  const h = headers();
  for (const [name, value] of Object.entries(entries)) h.set(name, value);
  return h;
};

/** How far the bare responder got: items sent per stream, and whether it stopped early. */
const responder = { sent: 0, stopped: false, done: 0 };

/** The responder of docs/protocol.md, on `nc` (counters added for the test). */
function serveCount(nc: NatsConnection): void {
  nc.subscribe('mesh.numbers.count', { queue: 'q', callback: (_, req) => void count(req) });

  async function count(req: Msg): Promise<void> {
    const n = Number(JSON.parse(new TextDecoder().decode(req.data) || 'null')) || 0;
    const asked = req.headers?.get('Mesh-Stream');
    if (!asked) return void req.respond(json(n)); // no stream asked for: the last item
    let credits = Number(asked);
    let stopped = false;
    let heard = Date.now();
    let wake = () => {};
    const control = `${own}.c.${randomUUID()}`;
    const sub = nc.subscribe(control, {
      callback: (_, msg) => {
        heard = Date.now();
        if (msg.headers?.get('Mesh-Stream-Cancel')) stopped = true;
        credits += Number(msg.headers?.get('Mesh-Stream-Credit') || 0);
        wake();
      },
    });
    const deadline = Number(req.headers?.get('Mesh-Deadline') || Infinity);
    req.respond(Empty, { headers: header({ 'Mesh-Stream': 'open' }), reply: control });
    responder.sent = 0;
    responder.stopped = false;
    for (let i = 1; i <= n && !stopped; i++) {
      while (credits === 0 && !stopped && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 1000);
        });
        if (Date.now() - heard > 15_000) stopped = true; // the caller is gone
      }
      if (Date.now() >= deadline) {
        const timeout = { 'Nats-Service-Error': 'deadline passed', 'Nats-Service-Error-Code': '504', 'Mesh-Error-Code': 'TIMEOUT' };
        req.respond(Empty, { headers: header(timeout) });
        stopped = true;
      }
      if (stopped) break;
      credits--;
      req.respond(json(i), { headers: header({ 'Mesh-Stream-Seq': String(i) }), reply: control });
      responder.sent = i;
    }
    if (!stopped) req.respond(Empty, { headers: header({ 'Mesh-Stream-End': String(n) }) });
    responder.stopped = stopped;
    responder.done++;
    sub.unsubscribe();
  }
}

/** The caller of docs/protocol.md, reading `n` numbers from `subject` with a window of 4. */
async function readCount(nc: NatsConnection, subject: string, n: number): Promise<unknown[]> {
  const inbox = `${own}.s.${randomUUID()}`;
  const sub = nc.subscribe(inbox);
  nc.publish(subject, json(n), {
    reply: inbox,
    headers: header({ 'Mesh-Stream': '4', 'Mesh-Deadline': String(Date.now() + 60_000) }),
  });
  const items: unknown[] = [];
  let read = 0;
  const timer = setTimeout(() => sub.unsubscribe(), 10_000); // bounded for the test
  try {
    for await (const msg of sub) {
      const h = msg.headers;
      if (h?.get('Nats-Service-Error-Code')) throw new Error(`${h.get('Nats-Service-Error-Code')} ${h.get('Nats-Service-Error')}`);
      if (h?.code === 503) throw new Error('no responders');
      if (h?.get('Mesh-Stream') === 'open') continue;
      if (h?.get('Mesh-Stream-End')) break;
      items.push(JSON.parse(new TextDecoder().decode(msg.data) || 'null'));
      if (!h?.get('Mesh-Stream-Seq')) break; // not a stream: that was the whole answer
      if (++read % 2 === 0) nc.publish(msg.reply!, Empty, { headers: header({ 'Mesh-Stream-Credit': '2' }) });
    }
  } finally {
    clearTimeout(timer);
    sub.unsubscribe();
  }
  return items;
}

@MeshService('mesh-numbers')
class NumbersService {
  @MeshFunction('count')
  async *count(n: number) {
    for (let i = 1; i <= n; i++) yield i;
  }

  @MeshFunction('failing')
  async *failing() {
    yield 1;
    throw new MeshError(422, 'no further', 'NO_FURTHER');
  }

  @MeshFunction('plain')
  plain(n: number) {
    return { n };
  }
}

const until = async (check: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 10));
  return check();
};

for (const kind of BROKERS) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;

  describeFor(`the stream wire with bare NATS clients (${kind})`, () => {
    let broker: TestBroker;
    let bare: NatsConnection;
    let app: INestApplication;
    let client: MeshClient;

    beforeAll(async () => {
      broker = await startBroker(kind);
      bare = await connect({ servers: broker.url });
      serveCount(bare);
      await bare.flush();
      @Module({ imports: [MeshModule.forRoot({ servers: broker.url, callTimeout: 5000 })], controllers: [NumbersService] })
      class AppModule {}
      app = await NestFactory.create(AppModule, { logger: false });
      app.connectMicroservice(meshMicroservice({ servers: broker.url }));
      await app.startAllMicroservices();
      await app.init();
      client = app.get(MeshClient);
    });
    afterAll(async () => {
      await app?.close();
      await bare?.close();
      await broker?.stop();
    });

    it('MeshClient.stream reads a bare responder, paced by credits', async () => {
      const items = await lastValueFrom(client.stream('numbers', 'count', 300, { window: 8 }).pipe(toArray()));
      expect(items).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
      expect(responder.stopped).toBe(false);
    });

    it('MeshClient.call gets the bare responder\'s last item', async () => {
      await expect(client.call('numbers', 'count', 7)).resolves.toBe(7);
    });

    it('a bare responder stops when MeshClient cancels', async () => {
      const done = responder.done;
      await expect(lastValueFrom(client.stream('numbers', 'count', 100_000, { window: 4 }).pipe(take(5), toArray()))).resolves.toEqual([1, 2, 3, 4, 5]);
      expect(await until(() => responder.done > done)).toBe(true);
      expect(responder.stopped).toBe(true);
      expect(responder.sent).toBeLessThan(20);
    });

    it('a bare caller reads a nest-mesh generator with its credits', async () => {
      await expect(readCount(bare, 'mesh.mesh-numbers.count', 50)).resolves.toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    });

    it('a bare caller gets the error that ends a nest-mesh stream, and a plain result as the whole answer', async () => {
      await expect(readCount(bare, 'mesh.mesh-numbers.failing', 0)).rejects.toThrow('422 no further');
      await expect(readCount(bare, 'mesh.mesh-numbers.plain', 3)).resolves.toEqual([{ n: 3 }]);
    });

    it('a bare caller reads a bare responder', async () => {
      await expect(readCount(bare, 'mesh.numbers.count', 11)).resolves.toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    });
  });
}
