const POLL_MS = 50;

/**
 * Polls `probe` until `ok` holds for its value, and resolves with that value; a probe that throws
 * counts as "not yet". Rejects after timeoutMs, naming `what` and the last value seen.
 */
export async function valueWhen<T>(what: string, probe: () => T | Promise<T>, ok: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await probe();
      if (ok(last)) return last;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Polls `check` until it holds; rejects after timeoutMs, naming `what`. */
export async function until(check: () => unknown, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  await valueWhen(what, check, Boolean, timeoutMs);
}
