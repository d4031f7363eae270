/**
 * `npm run soak [-- --calls 200000 --concurrency 256 --warmup 200000 --only p,a-fastify --no-write]`
 *
 * Endurance: per system, a warm-up, then `calls` calls at `concurrency` in ten slices. After each
 * slice: errors, the resident memory of every process of the system, and the gateway's event-loop
 * lag p99 (prom-client's `nodejs_eventloop_lag_p99_seconds` from its /metrics, when it serves one).
 * Passes when there are no errors and the gateway's RSS grew less than 10 % after the warm-up: the
 * median RSS of the last three slices against that of the first three (one sample swings with GC).
 * The warm-up is as long as the run: with little garbage per call, V8 sizes the gateway's heap over the
 * first few hundred thousand calls (bench/RESULTS.md, Production profile).
 * Writes the `## Endurance` section of bench/RESULTS.md (unless --no-write). Not part of `npm test`.
 */
import { join } from 'node:path';
import { checkAnswer } from './check';
import { systemContext } from './harness';
import { writeResultsMarkdown } from './report';
import { compileBenchPrograms } from './support/compile';
import { LoadClient } from './support/load-client';
import { ProcessRegistry, rssMiB } from './support/processes';
import { selectSystems } from './systems';
import type { RunningSystem } from './systems/types';

const HEADING = '## Endurance';
const SLICES = 10;

interface Args {
  calls: number;
  concurrency: number;
  warmup: number;
  only: string[];
  write: boolean;
}

interface SoakResult {
  id: string;
  label: string;
  calls: number;
  errors: number;
  rps: number;
  /** RSS in MiB by process role: the median of the first three slices, and of the last three. */
  rss: Record<string, { start: number | null; end: number | null }>;
  growth: number | null;
  /** The highest event-loop lag p99 of the gateway over the slices, in ms; null when not served. */
  lagP99Ms: number | null;
  pass: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { calls: 200_000, concurrency: 256, warmup: 200_000, only: ['p', 'a-fastify'], write: true };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => argv[++i] ?? fail(`${flag} needs a value`);
    const count = () => (Number.isInteger(Number(argv[i + 1])) && Number(argv[i + 1]) > 0 ? Number(value()) : fail(`${flag}: not a positive integer`));
    if (flag === '--calls') args.calls = count();
    else if (flag === '--concurrency') args.concurrency = count();
    else if (flag === '--warmup') args.warmup = count();
    else if (flag === '--only') args.only = value().split(',').filter(Boolean);
    else if (flag === '--no-write') args.write = false;
    else fail(`unknown argument ${flag}`);
  }
  return args;
}

function fail(message: string): never {
  process.stderr.write(`soak: ${message}\n`);
  process.exit(2);
}

async function lagP99Ms(running: RunningSystem): Promise<number | null> {
  if (!running.metricsUrl) return null;
  try {
    const response = await fetch(running.metricsUrl, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) return null;
    const match = /^nodejs_eventloop_lag_p99_seconds(?:\{[^}]*\})? (\S+)/m.exec(await response.text());
    return match ? Number(match[1]) * 1000 : null;
  } catch {
    return null;
  }
}

async function soak(running: RunningSystem, load: LoadClient, args: Args, log: (line: string) => void): Promise<Omit<SoakResult, 'id' | 'label'>> {
  const processes = [{ role: running.measured, pid: running.measuredPid }, ...running.others];
  const target = running.target;
  if (target.kind !== 'http') throw new Error('the soak calls HTTP systems only');
  const job = (amount: number) => ({ kind: 'http' as const, url: target.url, body: target.body, headers: target.headers, concurrency: args.concurrency, seconds: 0, warmupSeconds: 0, amount });
  const warm = await load.run(job(args.warmup));
  await lagP99Ms(running); // starts a fresh lag window
  const samples = new Map<string, number[]>(processes.map((p) => [p.role, []]));
  let errors = warm.errors;
  let calls = 0;
  let seconds = 0;
  let lag: number | null = null;
  const slice = Math.ceil(args.calls / SLICES);
  for (let done = 0; done < args.calls; done += slice) {
    const result = await load.run(job(Math.min(slice, args.calls - done)));
    errors += result.errors;
    calls += result.requests;
    seconds += result.seconds;
    for (const p of processes) {
      const mib = rssMiB(p.pid);
      if (mib !== null) samples.get(p.role)!.push(mib);
    }
    const sliceLag = await lagP99Ms(running);
    if (sliceLag !== null) lag = Math.max(lag ?? 0, sliceLag);
    log(`  ${done + slice} calls: ${Math.round(result.rps)} req/s, ${result.errors} errors, gateway RSS ${rssMiB(running.measuredPid)} MiB, lag p99 ${sliceLag?.toFixed(1) ?? '-'} ms`);
  }
  const median = (values: number[]) => (values.length === 0 ? null : [...values].sort((a, b) => a - b)[values.length >> 1]);
  const rss = Object.fromEntries(
    [...samples].map(([role, values]) => [role, { start: median(values.slice(0, 3)), end: median(values.slice(-3)) }]),
  );
  const main = rss[running.measured];
  const growth = main.start && main.end ? main.end / main.start - 1 : null;
  return { calls, errors, rps: calls / seconds, rss, growth, lagP99Ms: lag, pass: errors === 0 && growth !== null && growth < 0.1 };
}

function render(results: SoakResult[], args: Args): string {
  const lines = [
    HEADING,
    '',
    `Date: ${new Date().toISOString()} · command: \`npm run soak -- --calls ${args.calls} --concurrency ${args.concurrency} --warmup ${args.warmup} --only ${args.only.join(',')}\``,
    '',
    '| system | calls | errors | req/s | RSS first -> last slices, MiB (per process) | gateway RSS growth | event-loop lag p99 (gateway) | result |',
    '|---|---:|---:|---:|---|---:|---:|---|',
  ];
  for (const r of results) {
    const rss = Object.entries(r.rss).map(([role, { start, end }]) => `${role} ${start ?? '-'} -> ${end ?? '-'}`).join(', ');
    const growth = r.growth === null ? '-' : `${(r.growth * 100).toFixed(1)} %`;
    lines.push(`| (${r.id}) ${r.label} | ${r.calls} | ${r.errors} | ${Math.round(r.rps)} | ${rss} | ${growth} | ${r.lagP99Ms === null ? '-' : `${r.lagP99Ms.toFixed(1)} ms`} | ${r.pass ? 'pass' : 'fail'} |`);
  }
  lines.push('', 'Passes with 0 errors and the gateway\'s RSS growing < 10 % after the warm-up. The lag is the highest of the');
  lines.push('ten slices\' p99 (prom-client\'s event-loop delay histogram, reset at every scrape).');
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (line: string) => process.stdout.write(`${line}\n`);
  compileBenchPrograms();
  const registry = new ProcessRegistry();
  const ctx = systemContext(registry);
  const stop = () => void registry.stopAll().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const results: SoakResult[] = [];
  try {
    const load = registry.track(LoadClient.start());
    for (const system of selectSystems(args.only)) {
      log(`${system.id}: ${system.label}`);
      const running = await system.start(ctx);
      try {
        await checkAnswer(running.target);
        results.push({ id: system.id, label: system.label, ...(await soak(running, load, args, log)) });
      } finally {
        await running.stop();
      }
    }
  } finally {
    await registry.stopAll();
  }
  const section = render(results, args);
  process.stdout.write(`\n${section}`);
  if (args.write) writeResultsMarkdown(join(__dirname, 'RESULTS.md'), section, HEADING);
  process.exitCode = results.every((r) => r.pass) ? 0 : 1;
}

main().catch((error: Error) => {
  process.stderr.write(`soak: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
