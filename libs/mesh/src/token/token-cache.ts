/** How many verified tokens a cache keeps by default. */
export const DEFAULT_TOKEN_CACHE_SIZE = 10_000;

interface Entry<V> {
  readonly value: V;
  /** Unix ms after which the entry is no longer used. */
  readonly until: number;
}

/**
 * Verified tokens by their exact string, so that a hot path verifies a token once (the gateway's
 * end-user tokens, a service's Mesh-Tokens). Bounded: when full, the oldest entry goes. An entry
 * lives until the `until` it is stored with (the token's own end) and at most `maxAgeMs`.
 */
export class TokenCache<V> {
  private readonly entries = new Map<string, Entry<V>>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxAgeMs = Infinity,
  ) {}

  get(token: string, now: number): V | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (now >= entry.until) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.value;
  }

  set(token: string, value: V, now: number, until = Infinity): void {
    if (this.maxEntries <= 0) return;
    const last = Math.min(now + this.maxAgeMs, until);
    if (last <= now) return;
    this.entries.delete(token);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, { value, until: last });
  }

  get size(): number {
    return this.entries.size;
  }
}
