import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { RateLimit } from '@nest-mesh/rules';
import { HttpHeaders } from '@nest-mesh/wire';
import { MeshAuth, MeshCodes, MeshError } from 'nest-mesh';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { ConfigReloadable } from '../config/config-reloadable';
import { GatewayConfig } from '../config/gateway-config';
import { RedisStore } from './redis-store';

/** What a rate limit needs of the HTTP request: the client address (`ip` honours `http.trustProxy`). */
interface ClientRequest {
  ip?: string;
}

/**
 * The `rateLimit`s of the rule entries (docs/operations.md). One limiter per entry, made when the
 * rules are loaded (at start-up and on a reload) and found per call by the entry's RateLimit object; counts are per
 * entry and caller, fixed windows, in memory or in Redis (`rateLimitStore`) with memory as the
 * fallback while Redis is down. A reload keeps the counts of entries whose limit did not change.
 */
@Injectable()
export class RateLimits implements OnModuleDestroy, ConfigReloadable {
  private readonly logger = new Logger('RateLimits');
  private readonly limiters = new WeakMap<RateLimit, RateLimiterAbstract>();
  private bySignature = new Map<string, RateLimiterAbstract>();
  private readonly keyPrefix: string;
  private readonly store: RedisStore | undefined;

  constructor(
    @Inject(GatewayConfig) config: GatewayConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    const url = config.modules.functions.rateLimitStore;
    this.store = url === undefined ? undefined : new RedisStore(url, this.logger);
    // Gateways of one project share counts; other projects on the same Redis do not.
    this.keyPrefix = `nest-mesh:rl:${config.id}`;
    this.prepare(config.modules.functions.ruleEngine.rateLimits);
  }

  /** Makes the limiters of the rules a reload puts in use. */
  applyConfig(next: GatewayConfig): void {
    this.prepare(next.modules.functions.ruleEngine.rateLimits);
  }

  /** Makes the limiters of a rule set. */
  private prepare(limits: readonly RateLimit[]): void {
    const next = new Map<string, RateLimiterAbstract>();
    for (const limit of limits) {
      const signature = `${limit.path} ${limit.limit} ${limit.window}`;
      const limiter = next.get(signature) ?? this.bySignature.get(signature) ?? this.create(limit);
      next.set(signature, limiter);
      this.limiters.set(limit, limiter);
    }
    this.bySignature = next;
  }

  /**
   * Counts one call of the entry with `limit` for its caller; sets X-RateLimit-Limit and
   * X-RateLimit-Remaining on `response`, and throws 429 RATE_LIMITED with Retry-After when the
   * limit is used up.
   */
  async check(limit: RateLimit, request: ClientRequest, response: unknown, auth: MeshAuth | undefined): Promise<void> {
    const limiter = this.limiters.get(limit) ?? this.prepareOne(limit);
    const sub = limit.by === 'sub' ? auth?.sub : undefined;
    const caller = typeof sub === 'string' ? `s:${sub}` : `i:${request.ip ?? ''}`;
    let result: RateLimiterRes;
    let over = false;
    try {
      result = await limiter.consume(caller);
    } catch (rejection) {
      // Not a count: the store failed with no fallback left. Let the call through rather than fail it.
      if (!(rejection instanceof RateLimiterRes)) return;
      result = rejection;
      over = true;
    }
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(response, HttpHeaders.rateLimitLimit, String(limit.limit));
    adapter.setHeader(response, HttpHeaders.rateLimitRemaining, String(Math.max(0, result.remainingPoints)));
    if (over) {
      adapter.setHeader(response, HttpHeaders.retryAfter, String(Math.max(1, Math.ceil(result.msBeforeNext / 1000))));
      throw new MeshError(429, `rate limit of ${limit.limit} calls per ${limit.window / 1000} s reached; retry later`, MeshCodes.RATE_LIMITED);
    }
  }

  onModuleDestroy(): void {
    this.store?.close();
  }

  private prepareOne(limit: RateLimit): RateLimiterAbstract {
    const limiter = this.create(limit);
    this.limiters.set(limit, limiter);
    return limiter;
  }

  private create(limit: RateLimit): RateLimiterAbstract {
    const options = {
      keyPrefix: `${this.keyPrefix}:${limit.path.replace(/^modules\.functions\.rules\./, '')}`,
      points: limit.limit,
      duration: limit.window / 1000,
    };
    if (this.store === undefined) return new RateLimiterMemory(options);
    return new RateLimiterRedis({
      ...options,
      storeClient: this.store.client,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory(options),
    });
  }
}
