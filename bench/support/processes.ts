import { readFileSync } from 'node:fs';
import { TestProcess } from '../../test/support/child';
import { join } from 'node:path';
import { compiledPath, ROOT } from './compile';

interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Every process the harness starts, so that all of them are stopped at the end, on a failure and on
 * Ctrl-C (last started, first stopped). Stopping twice is harmless.
 */
export class ProcessRegistry {
  private readonly items: Stoppable[] = [];

  track<T extends Stoppable>(item: T): T {
    this.items.push(item);
    return item;
  }

  async stopAll(): Promise<void> {
    while (this.items.length > 0) await this.items.pop()!.stop().catch(() => undefined);
  }
}

/** Starts a compiled benchmark program (bench/servers/<name>.ts) with plain node. */
export function startProgram(
  registry: ProcessRegistry,
  name: string,
  source: string,
  options: { env?: NodeJS.ProcessEnv; ready?: RegExp; nodeArgs?: string[] },
): Promise<TestProcess> {
  return startNode(registry, name, [...(options.nodeArgs ?? []), compiledPath(join(ROOT, source))], options);
}

/** Starts `node <args>` tracked by the registry; resolves when its output matches `ready`. */
export async function startNode(
  registry: ProcessRegistry,
  name: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; ready?: RegExp },
): Promise<TestProcess> {
  const proc = await TestProcess.start(name, process.execPath, args, {
    env: options.env,
    ready: options.ready ?? /^ready/m,
    timeoutMs: 30_000,
  });
  return registry.track(proc);
}

/** Peak resident set size of a live process in MiB (VmHWM of /proc/<pid>/status), or null. */
export function peakRssMiB(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

/** Resident set size of a live process now, in MiB (VmRSS of /proc/<pid>/status), or null. */
export function rssMiB(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

/** CPU time (user + system) a live process has used so far, in seconds, or null. */
export function cpuSeconds(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    // /proc/<pid>/stat: fields 14 and 15 (utime, stime), in clock ticks, after the ")" of the command name.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}
