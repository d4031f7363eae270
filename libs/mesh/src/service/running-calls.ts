import type { MeshContext } from './mesh-context';

/** How waiting for the calls in flight ended (see `RunningCalls.settle`). */
export interface Settled {
  /** Calls still running when the wait ended: their callers no longer wait for them. */
  abandoned: number;
  /** ms waited. */
  waited: number;
  /** What ended the wait: every call finished, the latest deadline passed, or the grace period ran out. */
  by: 'finished' | 'deadlines' | 'gracePeriod';
}

/**
 * The calls a MeshServer is running, for a graceful stop: `settle` waits for them only as long as
 * somebody waits for their replies, i.e. until the latest `Mesh-Deadline` among them, and never
 * longer than the grace period. A call without a deadline may take the whole grace period.
 */
export class RunningCalls {
  private readonly calls = new Set<MeshContext>();
  private idle?: () => void;

  get size(): number {
    return this.calls.size;
  }

  add(call: MeshContext): void {
    this.calls.add(call);
  }

  delete(call: MeshContext): void {
    if (this.calls.delete(call) && this.calls.size === 0) this.idle?.();
  }

  /** Resolves once every call has finished, or the latest deadline among them (or `gracePeriod` ms) has passed. */
  settle(gracePeriod: number, now = Date.now()): Promise<Settled> {
    if (this.calls.size === 0) return Promise.resolve({ abandoned: 0, waited: 0, by: 'finished' });
    let latest = 0;
    for (const call of this.calls) latest = Math.max(latest, call.deadline);
    const untilDeadlines = Math.max(0, latest - now);
    const by = untilDeadlines < gracePeriod ? 'deadlines' : 'gracePeriod';
    const wait = Math.min(untilDeadlines, gracePeriod);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idle = undefined;
        resolve({ abandoned: this.calls.size, waited: Date.now() - now, by });
      }, wait);
      this.idle = () => {
        clearTimeout(timer);
        this.idle = undefined;
        resolve({ abandoned: 0, waited: Date.now() - now, by: 'finished' });
      };
    });
  }
}
