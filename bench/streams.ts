/**
 * `npm run bench:streams [-- --items 50000 --runs 3 --first-runs 30]`: streams end to end. nest-mesh:
 * the built gateway (embedded broker) and a streaming mesh service (an async generator of
 * `--items` items of ~100 bytes), read as server-sent events over HTTP (`Accept: text/event-stream`),
 * flow control on. The peer: a plain Nest microservice on `Transport.NATS` (`@MessagePattern`
 * returning an Observable) read with `ClientProxy.send` from this process, through the same broker.
 * Reports items per second (best of `--runs`) and the median time to the first item of
 * `--first-runs` streams; writes the "Streams" section of bench/RESULTS.md unless `--no-write`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import { lastValueFrom, tap } from 'rxjs';
import { TestProcess } from '../test/support/child';
import { writeConfig } from '../test/support/config-file';
import { freePort } from '../test/support/free-port';
import { startGateway } from '../test/support/mesh';
import { compiledPath, compileBenchPrograms, ROOT } from './support/compile';

export interface StreamsBenchOptions {
  items: number;
  runs: number;
  firstRuns: number;
  write: boolean;
}

export interface StreamFigures {
  system: string;
  items: number;
  itemsPerSecond: number;
  firstItemMs: number;
}

function optionsOf(argv: string[]): StreamsBenchOptions {
  const value = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    items: Number(value('items') ?? 50_000),
    runs: Number(value('runs') ?? 3),
    firstRuns: Number(value('first-runs') ?? 30),
    write: !argv.includes('--no-write'),
  };
}

/** Reads one stream as server-sent events; resolves to ms to the first item and to the end, and the items. */
async function readEventStream(url: string, count: number): Promise<{ firstMs: number; totalMs: number; items: number }> {
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ params: count, timeout: 30_000 }),
  });
  if (response.status !== 200) throw new Error(`the gateway answered ${response.status}: ${await response.text()}`);
  let firstMs = -1;
  let items = 0;
  let tail = '';
  let ended = false;
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    if (firstMs < 0) firstMs = performance.now() - started;
    const text = tail + decoder.decode(chunk, { stream: true });
    let at = 0;
    for (;;) {
      const next = text.indexOf('event: ', at);
      if (next === -1 || text.indexOf('\n\n', next) === -1) break;
      if (text.startsWith('event: item', next)) items++;
      else if (text.startsWith('event: end', next)) ended = true;
      else if (text.startsWith('event: error', next)) throw new Error(`the stream failed: ${text.slice(next, text.indexOf('\n\n', next))}`);
      at = text.indexOf('\n\n', next) + 2;
    }
    tail = text.slice(at);
  }
  if (!ended || items !== count) throw new Error(`the stream ended after ${items} of ${count} items`);
  return { firstMs, totalMs: performance.now() - started, items };
}

/** Reads one stream with a Nest ClientProxy; the same figures. */
async function readNestStream(client: ClientProxy, count: number): Promise<{ firstMs: number; totalMs: number; items: number }> {
  const started = performance.now();
  let firstMs = -1;
  let items = 0;
  await lastValueFrom(
    client.send('bench.items', count).pipe(
      tap(() => {
        if (firstMs < 0) firstMs = performance.now() - started;
        items++;
      }),
    ),
  );
  if (items !== count) throw new Error(`the Nest stream gave ${items} of ${count} items`);
  return { firstMs, totalMs: performance.now() - started, items };
}

async function measure(system: string, read: (count: number) => Promise<{ firstMs: number; totalMs: number; items: number }>, opts: StreamsBenchOptions): Promise<StreamFigures> {
  await read(Math.min(opts.items, 1000)); // warm-up
  let best = 0;
  for (let run = 0; run < opts.runs; run++) {
    const { totalMs, items } = await read(opts.items);
    best = Math.max(best, items / (totalMs / 1000));
  }
  const firsts: number[] = [];
  for (let run = 0; run < opts.firstRuns; run++) firsts.push((await read(1)).firstMs);
  firsts.sort((a, b) => a - b);
  return { system, items: opts.items, itemsPerSecond: Math.round(best), firstItemMs: Math.round(firsts[Math.floor(firsts.length / 2)] * 100) / 100 };
}

/** Runs both systems, one after the other, on the gateway's embedded broker. */
export async function runStreamsBench(opts: StreamsBenchOptions): Promise<StreamFigures[]> {
  compileBenchPrograms();
  const started: { stop(): Promise<void> }[] = [];
  let client: ClientProxy | undefined;
  try {
    const gateway = await startGateway(
      writeConfig({ id: 'bench', port: await freePort(), modules: { functions: { embedded: { host: '127.0.0.1', port: await freePort() }, rules: { bench: { default: { rule: 'allow' } } } } } }),
    );
    started.push(gateway.process);
    const start = (name: string, program: string, env: NodeJS.ProcessEnv) =>
      TestProcess.start(name, process.execPath, [compiledPath(join(ROOT, program))], { env, ready: /^ready$/m, timeoutMs: 40_000 }).then((p) => {
        started.push(p);
        return p;
      });
    await start('mesh stream service', 'bench/servers/mesh-stream-service.ts', { MESH_SERVERS: gateway.brokerUrl });
    const url = `${gateway.url}/v1/api/bench/functions/bench/items`;
    const mesh = await measure('nest-mesh: gateway SSE -> embedded broker -> mesh service (async generator)', (count) => readEventStream(url, count), opts);

    await start('nest stream service', 'bench/servers/nest-stream-service.ts', { NATS_URL: gateway.brokerUrl });
    client = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: [gateway.brokerUrl] } });
    await client.connect();
    const nest = await measure('Nest Transport.NATS: ClientProxy.send -> broker -> @MessagePattern (Observable)', (count) => readNestStream(client!, count), opts);
    return [mesh, nest];
  } finally {
    await client?.close();
    for (const item of started.reverse()) await item.stop().catch(() => undefined);
  }
}

const SECTION = '## Streams (`npm run bench:streams`)';

function writeResults(figures: StreamFigures[], opts: StreamsBenchOptions): void {
  const path = join(ROOT, 'bench', 'RESULTS.md');
  const before = readFileSync(path, 'utf8');
  const section = [
    SECTION,
    '',
    '`bench/streams.ts`: one stream at a time, on one machine (bench client, gateway, broker and services',
    `share it), items of ~100 bytes. Items/s: the best of ${opts.runs} streams of ${opts.items} items; first item: the median of`,
    `${opts.firstRuns} streams of one item, from the request to the first item read. nest-mesh is read over HTTP as server-sent`,
    'events, with flow control (the function runs only as far as the client reads); the peer is Nest\'s own NATS',
    'transport read in-process, without HTTP and without flow control (a slow reader buffers without bound).',
    '',
    '| system | items/s | first item (ms) |',
    '|---|---:|---:|',
    ...figures.map((f) => `| ${f.system} | ${f.itemsPerSecond} | ${f.firstItemMs} |`),
    '',
    `Run ${new Date().toISOString().slice(0, 10)}, Node ${process.version}.`,
    '',
  ].join('\n');
  const at = before.indexOf(SECTION);
  let after: string;
  if (at === -1) {
    after = `${before.trimEnd()}\n\n${section}`;
  } else {
    const next = before.indexOf('\n## ', at + SECTION.length);
    after = before.slice(0, at) + section + (next === -1 ? '' : `\n${before.slice(next + 1)}`);
  }
  writeFileSync(path, after);
}

async function main(): Promise<void> {
  const opts = optionsOf(process.argv.slice(2));
  const figures = await runStreamsBench(opts);
  for (const f of figures) process.stdout.write(`${f.system}: ${f.itemsPerSecond} items/s, first item ${f.firstItemMs} ms\n`);
  if (opts.write) writeResults(figures, opts);
}

if (require.main === module) {
  main().catch((error: Error) => {
    process.stderr.write(`${error.stack ?? error.message}\n`);
    process.exit(1);
  });
}
