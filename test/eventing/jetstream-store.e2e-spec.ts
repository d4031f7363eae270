import { EventStore, JetStreamEventStore } from '@nest-mesh/eventing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithNatsServer, NatsServerProcess } from '../support/nats-server';
import { eventStoreSuite } from '@nest-mesh/eventing/testing';

describeWithNatsServer('JetStreamEventStore (a nats-server with JetStream)', () => {
  let nats: NatsServerProcess;
  let dir: string;
  const streams = new Map<EventStore, string>();
  let n = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nest-mesh-js-'));
    nats = await new NatsServerProcess({ args: ['-js', '-sd', dir] }).start();
  });
  afterAll(async () => {
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = async (stream: string, leaseMs: number) => {
    const store = new JetStreamEventStore({ connection: { servers: nats.url }, leaseMs, stream, subject: `ev${stream.toLowerCase()}` });
    await store.open();
    streams.set(store, stream);
    return store;
  };

  eventStoreSuite({
    make: (leaseMs) => open(`T${process.pid}_${++n}`, leaseMs),
    reopen: (previous, leaseMs) => open(streams.get(previous)!, leaseMs),
  });
});

describeWithNatsServer('JetStreamEventStore across a nats-server restart', () => {
  let nats: NatsServerProcess;
  let dir: string;
  let store: JetStreamEventStore | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nest-mesh-js-restart-'));
    nats = await new NatsServerProcess({ args: ['-js', '-sd', dir] }).start();
  });
  afterAll(async () => {
    await store?.close();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps what was stored, and stores and hands out again once the server is back', async () => {
    store = new JetStreamEventStore({ connection: { servers: nats.url, reconnectTimeWait: 200 }, leaseMs: 30_000 });
    await store.open();
    const base = { type: 't', source: 'event' as const, time: new Date().toISOString(), payload: null, triggers: ['w'] };
    await store.enqueue({ ...base, id: 'before-restart' });
    const port = nats.port;
    await nats.stop();
    expect(await store.isReady()).toBe(false);
    nats = await new NatsServerProcess({ port, args: ['-js', '-sd', dir] }).start();
    const deadline = Date.now() + 20_000;
    while (!(await store.isReady()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    await store.enqueue({ ...base, id: 'after-restart' });
    const ids: string[] = [];
    while (ids.length < 2 && Date.now() < deadline + 20_000) {
      for (const d of await store.claim(5, 500)) {
        ids.push(d.id);
        await store.ack(d);
      }
    }
    expect(ids.sort()).toEqual(['after-restart', 'before-restart']);
  });
});
