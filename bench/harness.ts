import { join } from 'node:path';
import { NatsServerProcess } from '../test/support/nats-server';
import { checkAnswer } from './check';
import { compiledPath, compileBenchPrograms, ROOT } from './support/compile';
import { LoadClient } from './support/load-client';
import type { LoadJob, LoadResult } from './support/load-types';
import { cpuSeconds, peakRssMiB, ProcessRegistry } from './support/processes';
import { selectSystems } from './systems';
import { SystemContext, SystemUnavailable, Target } from './systems/types';

export interface BenchOptions {
  /** Seconds measured per system and concurrency. */
  duration: number;
  /** Seconds of load before each measurement, not counted. */
  warmup: number;
  concurrency: number[];
  /** Groups to run (a, a', b, c, d, e, f); all when absent. */
  only?: string[];
  /**
   * Profiles this system's measured process into `dir`: `cpu` with `node --cpu-prof`, `alloc` with
   * bench/support/alloc-sampler (every allocation, also those already collected).
   */
  profile?: { system: string; dir: string; kind: 'cpu' | 'alloc' };
  log?: (line: string) => void;
}

export interface Measurement extends LoadResult {
  concurrency: number;
}

export interface SystemResult {
  id: string;
  group: string;
  label: string;
  /** ok: measured; n/a: cannot run here (reason says why); failed: it ran and something went wrong. */
  status: 'ok' | 'n/a' | 'failed';
  reason?: string;
  measurements: Measurement[];
  /** Peak RSS (VmHWM) of the measured process, in MiB, read at the end of its runs. */
  peakRssMiB: number | null;
  measured?: string;
}

export interface BenchResults {
  options: { duration: number; warmup: number; concurrency: number[]; only?: string[] };
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
  const registry = new ProcessRegistry();
  let nats: Promise<NatsServerProcess> | undefined;
  const ctx: SystemContext = {
    registry,
    natsUrl: async () => {
      nats ??= new NatsServerProcess().start().then((server) => registry.track(server));
      return (await nats).url;
    },
    nodeArgsFor: (id) => (options.profile?.system === id ? profilerArgs(options.profile) : []),
  };
  let aborted = false;
  const interrupted = (signal: NodeJS.Signals) => {
    aborted = true;
    log(`${signal}: stopping every process of the run`);
    void registry.stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const results: BenchResults = {
    options: { duration: options.duration, warmup: options.warmup, concurrency: options.concurrency, only: options.only },
    startedAt: new Date().toISOString(),
    systems: [],
  };
  try {
    const load = registry.track(LoadClient.start());
    for (const system of systems) {
      if (aborted) break;
      const result: SystemResult = { id: system.id, group: system.group, label: system.label, status: 'ok', measurements: [], peakRssMiB: null };
      results.systems.push(result);
      log(`${system.id}: ${system.label}`);
      let running;
      try {
        running = await system.start(ctx);
        if (aborted) {
          await running.stop();
          break;
        }
      } catch (error) {
        result.status = error instanceof SystemUnavailable ? 'n/a' : 'failed';
        result.reason = (error as Error).message;
        log(`${system.id}: ${result.status}: ${result.reason}`);
        continue;
      }
      try {
        await checkAnswer(running.target);
        for (const concurrency of options.concurrency) {
          const cpuBefore = cpuSeconds(running.measuredPid);
          const measured = await load.run(jobFor(running.target, concurrency, options));
          const cpuAfter = cpuSeconds(running.measuredPid);
          result.measurements.push({ concurrency, ...measured });
          // CPU of the measured process per request, warm-up included (an estimate: it assumes the warm-up ran at the measured rate).
          const cpu = cpuBefore === null || cpuAfter === null || measured.rps === 0 ? '' : `, ~${Math.round(((cpuAfter - cpuBefore) * 1e6) / (measured.rps * (options.duration + options.warmup)))} µs CPU/req (${running.measured})`;
          log(`${system.id} c=${concurrency}: ${Math.round(measured.rps)} req/s, p50 ${measured.p50.toFixed(3)} ms, p99 ${measured.p99.toFixed(3)} ms, ${measured.errors} errors${cpu}`);
        }
        result.peakRssMiB = peakRssMiB(running.measuredPid);
        result.measured = running.measured;
      } catch (error) {
        result.status = 'failed';
        result.reason = (error as Error).message;
        log(`${system.id}: failed: ${result.reason}`);
      } finally {
        await running.stop();
      }
    }
  } finally {
    await registry.stopAll();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
  return results;
}

function profilerArgs(profile: NonNullable<BenchOptions['profile']>): string[] {
  if (profile.kind === 'cpu') return ['--cpu-prof', `--cpu-prof-dir=${profile.dir}`];
  process.env.NEST_MESH_ALLOC_PROFILE_DIR = profile.dir; // inherited by the child, read by the sampler
  return ['--require', compiledPath(join(ROOT, 'bench/support/alloc-sampler.ts'))];
}

function jobFor(target: Target, concurrency: number, options: BenchOptions): LoadJob {
  const timing = { concurrency, seconds: options.duration, warmupSeconds: options.warmup };
  if (target.kind === 'nats') return { kind: 'nats', url: target.url, subject: target.subject, payload: target.payload, ...timing };
  return { kind: 'http', url: target.url, body: target.body, headers: target.headers, ...timing };
}
