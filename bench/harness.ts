import { join } from 'node:path';
import { NatsServerProcess } from '../test/support/nats-server';
import { checkAnswer } from './check';
import { compiledPath, compileBenchPrograms, ROOT } from './support/compile';
import { LoadClient } from './support/load-client';
import type { LoadJob, LoadResult } from './support/load-types';
import { cpuSeconds, peakRssMiB, ProcessRegistry } from './support/processes';
import { selectSystems } from './systems';
import { BenchSystem, SystemContext, SystemUnavailable, Target } from './systems/types';

export interface BenchOptions {
  /** Seconds measured per system and concurrency. */
  duration: number;
  /** Seconds of load before each measurement, not counted. */
  warmup: number;
  concurrency: number[];
  /** Groups to run (a, a', b, c, d, e, f); all when absent. */
  only?: string[];
  /**
   * Rounds: every system is run this many times, in turn (a, b, c, a, b, c...), and the figures
   * reported are the medians, so that one disturbed run on a shared machine does not decide a ratio.
   * Default 1.
   */
  rounds?: number;
  /**
   * Profiles this system's measured process into `dir`: `cpu` with `node --cpu-prof`, `alloc` with
   * bench/support/alloc-sampler (every allocation, also those already collected).
   */
  profile?: { system: string; dir: string; kind: 'cpu' | 'alloc' };
  log?: (line: string) => void;
}

export interface Measurement extends LoadResult {
  concurrency: number;
  /**
   * CPU time per call in µs, of every process of the system together (`total`) and of each
   * (`byProcess`, by role), from /proc/<pid>/stat; absent when a process could not be read.
   */
  cpuUsPerCall?: { total: number; byProcess: Record<string, number> };
}

export interface SystemResult {
  id: string;
  group: string;
  label: string;
  /** ok: measured; n/a: cannot run here (reason says why); failed: it ran and something went wrong. */
  status: 'ok' | 'n/a' | 'failed';
  reason?: string;
  /** Per concurrency: the medians of the rounds (req/s, p50 and p99 each), errors and requests summed. */
  measurements: Measurement[];
  /** Every round's measurements, when there was more than one round. */
  rounds?: Measurement[][];
  /** Peak RSS (VmHWM) of the measured process, in MiB, read at the end of its runs (highest round). */
  peakRssMiB: number | null;
  measured?: string;
}

export interface BenchResults {
  options: { duration: number; warmup: number; concurrency: number[]; only?: string[]; rounds?: number };
  startedAt: string;
  systems: SystemResult[];
}

/**
 * Runs the selected systems one after the other: start its processes on free ports, check one
 * answer, then for each concurrency a warm-up and a measured run from the load process; read the
 * peak RSS; stop its processes. Every process started is stopped at the end, on failure and on
 * SIGINT/SIGTERM.
 */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const log = options.log ?? (() => undefined);
  const systems = selectSystems(options.only);
  compileBenchPrograms();
  // Read by bench/support/alloc-sampler in the profiled process, which inherits this environment.
  if (options.profile?.kind === 'alloc') process.env.NEST_MESH_ALLOC_PROFILE_DIR = options.profile.dir;
  const registry = new ProcessRegistry();
  const ctx = systemContext(registry, (id) => (options.profile?.system === id ? profilerArgs(options.profile) : []));
  let aborted = false;
  const interrupted = (signal: NodeJS.Signals) => {
    aborted = true;
    log(`${signal}: stopping every process of the run`);
    void registry.stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const results: BenchResults = {
    options: { duration: options.duration, warmup: options.warmup, concurrency: options.concurrency, only: options.only, rounds: options.rounds ?? 1 },
    startedAt: new Date().toISOString(),
    systems: [],
  };
  const rounds = Math.max(1, options.rounds ?? 1);
  const byId = new Map<string, SystemResult>();
  try {
    const load = registry.track(LoadClient.start());
    for (let round = 1; round <= rounds && !aborted; round++) {
      if (rounds > 1) log(`round ${round} of ${rounds}`);
      for (const system of systems) {
        if (aborted) break;
        let result = byId.get(system.id);
        if (!result) {
          result = { id: system.id, group: system.group, label: system.label, status: 'ok', measurements: [], peakRssMiB: null };
          byId.set(system.id, result);
          results.systems.push(result);
        }
        if (result.status !== 'ok') continue; // n/a or failed in an earlier round
        const measurements = await runSystemOnce(system, result, ctx, load, options, log, () => aborted);
        if (measurements) (result.rounds ??= []).push(measurements);
      }
    }
  } finally {
    await registry.stopAll();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
  for (const result of results.systems) {
    const all = result.rounds ?? [];
    result.measurements = options.concurrency.flatMap((concurrency) => {
      const runs = all.map((round) => round.find((m) => m.concurrency === concurrency)).filter((m): m is Measurement => m !== undefined);
      return runs.length > 0 ? [medianOf(concurrency, runs)] : [];
    });
    if (rounds === 1) delete result.rounds;
  }
  return results;
}

/** What systems start with: the run's process registry, and one nats-server started when first asked for. */
export function systemContext(registry: ProcessRegistry, nodeArgsFor: SystemContext['nodeArgsFor'] = () => []): SystemContext {
  let nats: Promise<NatsServerProcess> | undefined;
  let natsPid: number | undefined;
  return {
    registry,
    natsUrl: async () => {
      nats ??= new NatsServerProcess().start().then((server) => registry.track(server));
      const server = await nats;
      natsPid = server.pid;
      return server.url;
    },
    natsPid: () => natsPid,
    nodeArgsFor,
  };
}

/**
 * One round of one system: start its processes, check an answer, measure every concurrency, read
 * the peak RSS, stop them. Returns the measurements, or undefined when the system did not run
 * (its result then says n/a or failed, and why).
 */
async function runSystemOnce(
  system: BenchSystem,
  result: SystemResult,
  ctx: SystemContext,
  load: LoadClient,
  options: BenchOptions,
  log: (line: string) => void,
  aborted: () => boolean,
): Promise<Measurement[] | undefined> {
  log(`${system.id}: ${system.label}`);
  let running;
  try {
    running = await system.start(ctx);
  } catch (error) {
    result.status = error instanceof SystemUnavailable ? 'n/a' : 'failed';
    result.reason = (error as Error).message;
    log(`${system.id}: ${result.status}: ${result.reason}`);
    return undefined;
  }
  const measurements: Measurement[] = [];
  try {
    if (aborted()) return undefined;
    await checkAnswer(running.target);
    const processes = [{ role: running.measured, pid: running.measuredPid }, ...running.others];
    for (const concurrency of options.concurrency) {
      const cpuBefore = processes.map((p) => cpuSeconds(p.pid));
      const measured = await load.run(jobFor(running.target, concurrency, options));
      const cpuAfter = processes.map((p) => cpuSeconds(p.pid));
      const cpuUsPerCall = cpuPerCall(processes, cpuBefore, cpuAfter, measured.rps * (options.duration + options.warmup));
      measurements.push({ concurrency, ...measured, ...(cpuUsPerCall && { cpuUsPerCall }) });
      const cpu = cpuUsPerCall
        ? `, ~${Math.round(cpuUsPerCall.total)} µs CPU/req (${Object.entries(cpuUsPerCall.byProcess).map(([role, us]) => `${role} ${Math.round(us)}`).join(', ')})`
        : '';
      log(`${system.id} c=${concurrency}: ${Math.round(measured.rps)} req/s, p50 ${measured.p50.toFixed(3)} ms, p99 ${measured.p99.toFixed(3)} ms, ${measured.errors} errors${cpu}`);
    }
    const rss = peakRssMiB(running.measuredPid);
    if (rss !== null) result.peakRssMiB = Math.max(result.peakRssMiB ?? 0, rss);
    result.measured = running.measured;
    return measurements;
  } catch (error) {
    result.status = 'failed';
    result.reason = (error as Error).message;
    log(`${system.id}: failed: ${result.reason}`);
    return undefined;
  } finally {
    await running.stop();
  }
}

/**
 * CPU µs per call of each process and of all together. The load process runs warm-up and
 * measurement in one job, so the CPU read spans both: `calls` estimates the calls of both as the
 * measured rate times their seconds. Undefined when a process could not be read.
 */
function cpuPerCall(
  processes: { role: string; pid: number | undefined }[],
  before: (number | null)[],
  after: (number | null)[],
  calls: number,
): Measurement['cpuUsPerCall'] {
  if (calls <= 0) return undefined;
  const byProcess: Record<string, number> = {};
  let total = 0;
  for (let i = 0; i < processes.length; i++) {
    const [b, a] = [before[i], after[i]];
    if (b === null || a === null) return undefined;
    const us = ((a - b) * 1e6) / calls;
    byProcess[processes[i].role] = (byProcess[processes[i].role] ?? 0) + us;
    total += us;
  }
  return { total, byProcess };
}

/** The median of each figure over the rounds; errors, requests and seconds summed. */
export function medianOf(concurrency: number, runs: Measurement[]): Measurement {
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  const sum = (pick: (m: Measurement) => number) => runs.reduce((total, m) => total + pick(m), 0);
  const withCpu = runs.filter((m) => m.cpuUsPerCall !== undefined).map((m) => m.cpuUsPerCall!);
  const cpuUsPerCall =
    withCpu.length === 0
      ? undefined
      : {
          total: median(withCpu.map((c) => c.total)),
          byProcess: Object.fromEntries(Object.keys(withCpu[0].byProcess).map((role) => [role, median(withCpu.map((c) => c.byProcess[role] ?? 0))])),
        };
  return {
    ...(cpuUsPerCall && { cpuUsPerCall }),
    concurrency,
    rps: median(runs.map((m) => m.rps)),
    p50: median(runs.map((m) => m.p50)),
    p99: median(runs.map((m) => m.p99)),
    errors: sum((m) => m.errors),
    requests: sum((m) => m.requests),
    seconds: sum((m) => m.seconds),
  };
}

function profilerArgs(profile: NonNullable<BenchOptions['profile']>): string[] {
  if (profile.kind === 'cpu') return ['--cpu-prof', `--cpu-prof-dir=${profile.dir}`];
  return ['--require', compiledPath(join(ROOT, 'bench/support/alloc-sampler.ts'))];
}

function jobFor(target: Target, concurrency: number, options: BenchOptions): LoadJob {
  const timing = { concurrency, seconds: options.duration, warmupSeconds: options.warmup };
  if (target.kind === 'nats') return { kind: 'nats', url: target.url, subject: target.subject, payload: target.payload, ...timing };
  return { kind: 'http', url: target.url, body: target.body, headers: target.headers, ...timing };
}
