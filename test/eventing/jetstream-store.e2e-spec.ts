import { EventStore, JetStreamEventStore } from '@nest-mesh/eventing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithNatsServer, NatsServerProcess } from '../support/nats-server';
import { eventStoreSuite } from './store-suite';

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
