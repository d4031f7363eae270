/**
 * Request-reply through the embedded broker and through a nats-server on a free port, with the same
 * nats.js clients in the same run: req/s and p50/p99 latency at concurrency 1 and 64.
 * Two placements of the clients (responder + requester connections):
 *  - "worker": in a worker thread, so the embedded broker has the main thread to itself (as nats-server
 *    has its own process): broker against broker;
 *  - "same thread": in the broker's own thread, as in the gateway, where the broker shares the event
 *    loop with the requester.
 *
 *   npx ts-node --transpile-only -r tsconfig-paths/register bench/broker.ts [seconds=5]
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { connect, NatsConnection } from 'nats';
import { EmbeddedBroker } from '@nest-mesh/broker';
import { NatsServerProcess } from '../test/support/nats-server';

const SECONDS = Number(process.argv[2] ?? 5);
const WARMUP_MS = 1000;
const PAYLOAD = new TextEncoder().encode(JSON.stringify({ params: { name: 'bench', n: 42 } }));

interface Result {
  concurrency: number;
  rps: number;
  p50: number;
  p99: number;
}

async function run(url: string, concurrency: number, durationMs: number): Promise<Result> {
  const responder: NatsConnection = await connect({ servers: url });
  const requester: NatsConnection = await connect({ servers: url });
  try {
    responder.subscribe('bench.echo', { queue: 'q', callback: (_e, m) => m.respond(m.data) });
    await responder.flush();
    const latencies: number[] = [];
    let record = false;
    let stop = false;
    let count = 0;
    const worker = async () => {
      while (!stop) {
        const t = process.hrtime.bigint();
        await requester.request('bench.echo', PAYLOAD, { timeout: 5000 });
        if (record) {
          count++;
          latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
        }
      }
    };
    const workers = Array.from({ length: concurrency }, worker);
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    record = true;
    const started = process.hrtime.bigint();
    await new Promise((r) => setTimeout(r, durationMs));
    record = false;
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    stop = true;
    await Promise.all(workers);
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
    return { concurrency, rps: count / elapsed, p50: pct(0.5), p99: pct(0.99) };
  } finally {
    await requester.close();
    await responder.close();
  }
}

function line(name: string, placement: string, r: Result): string {
  return `| ${name} | ${placement} | ${r.concurrency} | ${Math.round(r.rps)} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} |`;
}

/** Runs the clients in a worker thread (loaded through ts-node like this file). */
function runInWorker(url: string, concurrency: number, durationMs: number): Promise<Result> {
  const code = `require('ts-node').register({ transpileOnly: true }); require('tsconfig-paths/register'); require(${JSON.stringify(__filename)});`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: { url, concurrency, durationMs } });
    worker.once('message', (r: Result) => resolve(r));
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`bench worker exited with ${code}`)));
  });
}

async function main(): Promise<void> {
  const broker = await new EmbeddedBroker({ port: 0 }).start();
  const server = await new NatsServerProcess().start();
  const rows: string[] = [];
  const ratios: string[] = [];
  try {
    for (const [placement, runner] of [['worker', runInWorker], ['same thread', run]] as const) {
      for (const concurrency of [1, 64]) {
        const embedded = await runner(broker.url, concurrency, SECONDS * 1000);
        const nats = await runner(server.url, concurrency, SECONDS * 1000);
        rows.push(line('embedded broker', placement, embedded), line('nats-server', placement, nats));
        ratios.push(`${placement}, concurrency ${concurrency}: embedded/nats-server = ${(embedded.rps / nats.rps).toFixed(2)}`);
      }
    }
  } finally {
    await broker.close();
    await server.stop();
  }
  console.log('| broker | clients | concurrency | req/s | p50 ms | p99 ms |');
  console.log('|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  console.log('');
  for (const r of ratios) console.log(r);
}

if (isMainThread) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  const { url, concurrency, durationMs } = workerData as { url: string; concurrency: number; durationMs: number };
  run(url, concurrency, durationMs).then((r) => parentPort?.postMessage(r));
}
