/**
 * `npm run bench:events [-- --events 20000 --stores local,jetstream --concurrency 64]`: eventing
 * throughput and latency, queue -> acknowledged delivery, on each store. For each store it starts
 * the built gateway (embedded broker + local SQLite store, or a nats-server with JetStream given as
 * `conn`), a plain-NATS service in this process that fails the first attempt of one event in ten
 * (503, retried after 50 ms), queues N events over HTTP with a fixed number in flight, and waits until
 * every event was delivered. It reports events/s (N / time from the first queue to the last
 * successful delivery), the p50/p99 of queue -> first call of events that did not fail, how many
 * were lost (never delivered) and how many were delivered more than once (duplicates). Then it
 * queues `--idle-events` (200) events one at a time and reports their p50/p99 queue -> call.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, Msg } from 'nats';
import { QUEUE_GROUP, subjectFor } from '@nest-mesh/wire';
import { MeshError } from 'nest-mesh';
import { decodeJson, errorHeaders } from 'nest-mesh/internal';
import { freePort } from '../test/support/free-port';
import { startGateway } from '../test/support/mesh';
import { writeConfig } from '../test/support/config-file';
import { NatsServerProcess } from '../test/support/nats-server';

type StoreKind = 'local' | 'jetstream';

interface Options {
  events: number;
  stores: StoreKind[];
  concurrency: number;
  timeoutMs: number;
  idleEvents: number;
}

function options(argv: string[]): Options {
  const value = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    events: Number(value('events') ?? 20_000),
    stores: (value('stores') ?? 'local,jetstream').split(',') as StoreKind[],
    concurrency: Number(value('concurrency') ?? 64),
    timeoutMs: Number(value('timeout') ?? 300_000),
    idleEvents: Number(value('idle-events') ?? 200),
  };
}

interface Result {
  store: StoreKind;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  queuePerSecond: number;
  p50ms: number;
  p99ms: number;
  lost: number;
  duplicates: number;
  failedFirstAttempts: number;
  /** Queue -> call of events queued one at a time (nothing else running). */
  idleP50ms: number;
  idleP99ms: number;
}

async function run(store: StoreKind, opts: Options): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'nest-mesh-bench-events-'));
  let nats: NatsServerProcess | undefined;
  let gateway: Awaited<ReturnType<typeof startGateway>> | undefined;
  try {
    if (store === 'jetstream') nats = await new NatsServerProcess({ args: ['-js', '-sd', join(dir, 'js')] }).start();
    const functions = nats ? { conn: nats.url } : { embedded: { host: '127.0.0.1', port: await freePort() } };
    gateway = await startGateway(
      writeConfig({
        id: 'bench',
        port: await freePort(),
        modules: {
          functions: { ...functions, rules: {} },
          eventing: {
            enabled: true,
            store: join(dir, 'events'),
            triggers: { bench: { on: { event: 'bench.event' }, call: { service: 'bench', func: 'handle' }, retries: 3, backoff: [50] } },
            rules: { 'bench.event': { rule: 'allow' } },
          },
        },
      }),
    );

    const queuedAt = new Map<string, number>();
    const firstCall = new Map<string, number>();
    const delivered = new Map<string, number>();
    const failing = new Set<string>();
    let lastDelivery = 0;
    const nc = await connect({ servers: gateway.brokerUrl });
    nc.subscribe(subjectFor('bench', 'handle'), {
      queue: QUEUE_GROUP,
      callback: (error, msg: Msg) => {
        if (error) return;
        const { id, attempt } = decodeJson(msg.data) as { id: string; attempt: number };
        if (!firstCall.has(id)) firstCall.set(id, Date.now());
        if (attempt === 1 && Number(id.slice(2)) % 10 === 0) {
          failing.add(id);
          msg.respond(new Uint8Array(0), { headers: errorHeaders(new MeshError(503, 'first attempt fails')) });
          return;
        }
        delivered.set(id, (delivered.get(id) ?? 0) + 1);
        lastDelivery = Date.now();
        msg.respond(new Uint8Array(0));
      },
    });
    await nc.flush();

    const url = `${gateway.url}/v1/api/bench/eventing/queue`;
    const started = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < opts.events) {
        const id = `e-${next++}`;
        queuedAt.set(id, Date.now());
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ type: 'bench.event', id, payload: { n: id } }),
        });
        if (res.status !== 202) throw new Error(`queue answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer().catch(() => undefined);
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    const queuedIn = (Date.now() - started) / 1000;
    const deadline = Date.now() + opts.timeoutMs;
    while (delivered.size < opts.events && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1000)); // late duplicates, if any

    const seconds = (lastDelivery - started) / 1000;
    const deliveredCount = delivered.size;
    const duplicates = [...delivered.values()].reduce((sum, n) => sum + n - 1, 0);

    // Idle latency: events queued one at a time, each waited for before the next.
    const idle: number[] = [];
    for (let i = 0; i < opts.idleEvents; i++) {
      const id = `idle-${i}`;
      const at = Date.now();
      const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ type: 'bench.event', id }) });
      await res.arrayBuffer();
      while (!firstCall.has(id) && Date.now() - at < 10_000) await new Promise((r) => setImmediate(r));
      idle.push((firstCall.get(id) ?? NaN) - at);
    }
    idle.sort((a, b) => a - b);
    await nc.close();

    const latencies = [...queuedAt].filter(([id]) => !failing.has(id) && firstCall.has(id)).map(([id, at]) => firstCall.get(id)! - at);
    latencies.sort((a, b) => a - b);
    return {
      store,
      events: opts.events,
      seconds: round(seconds),
      eventsPerSecond: round(deliveredCount / seconds),
      queuePerSecond: round(opts.events / queuedIn),
      p50ms: latencies[Math.floor(latencies.length * 0.5)] ?? NaN,
      p99ms: latencies[Math.floor(latencies.length * 0.99)] ?? NaN,
      lost: opts.events - deliveredCount,
      duplicates,
      failedFirstAttempts: failing.size,
      idleP50ms: idle[Math.floor(idle.length * 0.5)] ?? NaN,
      idleP99ms: idle[Math.floor(idle.length * 0.99)] ?? NaN,
    };
  } finally {
    await gateway?.process.stop();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  const results: Result[] = [];
  for (const store of opts.stores) {
    process.stdout.write(`store ${store}: ${opts.events} events, ${opts.concurrency} queue requests in flight...\n`);
    const result = await run(store, opts);
    results.push(result);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
  process.stdout.write('\n| store | events | events/s (queue -> ack) | queue req/s | p50 ms | p99 ms | lost | duplicates | failed 1st attempts | idle p50 ms | idle p99 ms |\n|---|---|---|---|---|---|---|---|---|---|---|\n');
  for (const r of results) {
    process.stdout.write(`| ${r.store} | ${r.events} | ${r.eventsPerSecond} | ${r.queuePerSecond} | ${r.p50ms} | ${r.p99ms} | ${r.lost} | ${r.duplicates} | ${r.failedFirstAttempts} | ${r.idleP50ms} | ${r.idleP99ms} |\n`);
  }
  if (results.some((r) => r.lost > 0)) process.exitCode = 1;
}

main().catch((error: Error) => {
  process.stderr.write(`bench:events: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
