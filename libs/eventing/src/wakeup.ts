/** Lets waiters sleep until a deadline or until something wakes them all (new work, close). */
export class Wakeup {
  private waiters: (() => void)[] = [];

  /** Resolves after `ms`, or earlier on `wake()`. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      const waiters = this.waiters;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      waiters.push(done);
    });
  }

  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const done of waiters) done();
  }
}
