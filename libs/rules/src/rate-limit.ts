import { isPlainObject, isPositiveInteger, show } from './compiled-rule';
import { RuleConfigError } from './types';

/** Who a rate limit counts: the client address, or the verified token's `sub` (the address when there is none). */
export type RateLimitBy = 'ip' | 'sub';

/**
 * The `rateLimit` of one rule entry (`rules.<service>.<func>`, also `default` entries): at most
 * `limit` calls per `window` ms per caller. One frozen object per entry, made when the rules are
 * compiled, so a gateway can keep its limiter for the entry keyed by this object.
 */
export interface RateLimit {
  readonly limit: number;
  /** Milliseconds, a whole number of seconds. */
  readonly window: number;
  readonly by: RateLimitBy;
  /** The config path of the entry, e.g. `modules.functions.rules.users.create`. */
  readonly path: string;
}

const KEYS = ['limit', 'window', 'by'];

/** Validates the `rateLimit` of the entry at `entryPath`; throws RuleConfigError naming the exact key. */
export function compileRateLimit(config: unknown, entryPath: string): RateLimit {
  const path = `${entryPath}.rateLimit`;
  if (!isPlainObject(config)) throw new RuleConfigError(path, 'must be an object {limit, window, by}');
  for (const key of Object.keys(config)) {
    if (!KEYS.includes(key)) throw new RuleConfigError(`${path}.${key}`, 'unknown key in a rateLimit');
  }
  const { limit, window, by = 'ip' } = config;
  if (limit === undefined) throw new RuleConfigError(`${path}.limit`, 'required');
  if (!isPositiveInteger(limit)) throw new RuleConfigError(`${path}.limit`, `must be a whole number of calls >= 1, not ${show(limit)}`);
  if (window === undefined) throw new RuleConfigError(`${path}.window`, 'required');
  if (!isPositiveInteger(window) || window % 1000 !== 0) {
    throw new RuleConfigError(`${path}.window`, `must be milliseconds in whole seconds (1000, 60000, ...), not ${show(window)}`);
  }
  if (by !== 'ip' && by !== 'sub') throw new RuleConfigError(`${path}.by`, `must be "ip" or "sub", not ${show(by)}`);
  return Object.freeze({ limit, window, by, path: entryPath });
}
