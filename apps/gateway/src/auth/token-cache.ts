import { Claims } from './token-errors';

interface Entry {
  readonly claims: Claims;
  /** Unix ms after which the entry is no longer used. */
  readonly until: number;
}

/**
 * Verified tokens by their exact string, so the hot path verifies a token once. Bounded: when full,
 * the oldest entry goes. An entry lives until the token's `exp` and at most `maxAgeMs`.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxAgeMs: number,
  ) {}

  get(token: string, now: number): Claims | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (now >= entry.until) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.claims;
  }

  set(token: string, claims: Claims, now: number): void {
    if (this.maxEntries <= 0) return;
    const exp = claims.exp;
    const until = Math.min(now + this.maxAgeMs, typeof exp === 'number' ? exp * 1000 : Infinity);
    if (until <= now) return;
    this.entries.delete(token);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, { claims, until });
  }

  get size(): number {
    return this.entries.size;
  }
}
