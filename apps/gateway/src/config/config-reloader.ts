import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { CurrentTokenVerifier, TokenVerifier } from '../auth';
import { CorsOrigins } from '../http/cors';
import { InFlightGuard, RateLimits } from '../limits';
import { GatewayMetrics } from '../observability/gateway-metrics';
import { RulesService } from '../rules/rules.service';
import { GatewayConfig } from './gateway-config';
import { loadConfig } from './load-config';
import { tokenSettingsOf } from './token-settings';

/** Settings read once at start-up (listeners, the broker connection, the call guard): a reload leaves them as they are. */
const RESTART_ONLY: readonly [string, (config: GatewayConfig) => unknown][] = [
  ['id', (c) => c.id],
  ['port', (c) => c.port],
  ['host', (c) => c.host],
  ['http.adapter', (c) => c.http.adapter],
  ['http.bodyLimit', (c) => c.http.bodyLimit],
  ['http.trustProxy', (c) => c.http.trustProxy],
  ['http.cors', (c) => c.http.cors !== undefined],
  ['http.cors.credentials', (c) => c.http.cors?.credentials],
  ['http.cors.maxAge', (c) => c.http.cors?.maxAge],
  ['modules.functions.rateLimitStore', (c) => c.modules.functions.rateLimitStore],
  ['http.maxDepth', (c) => c.http.maxDepth],
  ['http.headersTimeout', (c) => c.http.headersTimeout],
  ['http.requestTimeout', (c) => c.http.requestTimeout],
  ['http.keepAliveTimeout', (c) => c.http.keepAliveTimeout],
  ['modules.functions.enabled', (c) => c.modules.functions.enabled],
  ['modules.functions.broker', (c) => c.modules.functions.broker],
  ['modules.functions.conn', (c) => c.modules.functions.conn],
  ['modules.functions.embedded', (c) => c.modules.functions.embedded],
  ['modules.functions.timeout', (c) => c.modules.functions.timeout],
  ['modules.functions.services', (c) => [...(c.modules.functions.services ?? [])]],
  ['auth.signingKey', (c) => c.auth.signingKey],
  ['management', (c) => c.management],
  ['log', (c) => c.log],
  ['console', (c) => c.console],
  ['modules.eventing', (c) => c.modules.eventing],
];

/**
 * Reloads the config file without a restart (on SIGHUP, see cli/run-gateway.ts). The file is read and
 * validated with the same `loadConfig` as at start-up; a valid one replaces the rules
 * (`modules.functions.rules` with their `rateLimit`s, `ruleTimeout`) and the token settings
 * (`secret`, `auth`) together, and also the CORS origins (`http.cors.origins`) and `maxInFlight`,
 * in one synchronous step, so a call sees either the old pair or the new one. An invalid one is
 * refused with one log line and changes nothing. Reloads run one after another, in order.
 */
@Injectable()
export class ConfigReloader {
  private readonly logger = new Logger('Config');
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(GatewayConfig) private readonly running: GatewayConfig,
    @Optional() @Inject(RulesService) private readonly rules?: RulesService,
    @Optional() @Inject(CurrentTokenVerifier) private readonly tokens?: CurrentTokenVerifier,
    @Optional() @Inject(RateLimits) private readonly limits?: RateLimits,
    @Optional() @Inject(CorsOrigins) private readonly cors?: CorsOrigins,
    @Optional() @Inject(InFlightGuard) private readonly inFlight?: InFlightGuard,
    @Optional() @Inject(GatewayMetrics) private readonly metrics?: GatewayMetrics,
  ) {}

  /** Reloads from `path`; resolves true when the new config is in use, false when it was refused. */
  reload(path: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
    const done = this.queue.then(() => this.apply(path, env));
    this.queue = done;
    return done;
  }

  private async apply(path: string, env: NodeJS.ProcessEnv): Promise<boolean> {
    let next: GatewayConfig;
    let engine: ReturnType<RulesService['compile']> | undefined;
    let verifier: TokenVerifier | undefined;
    try {
      next = loadConfig(path, env);
      engine = this.rules?.compile(next.modules.functions);
      verifier = this.tokens ? await TokenVerifier.create(tokenSettingsOf(next)) : undefined;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.error(`config reload refused: ${message.split('\n').join('; ')} (file ${path})`);
      return false;
    }
    // All at once, with nothing awaited in between (the limiters first: the new rules look them up).
    if (engine !== undefined) this.limits?.prepare(engine.rateLimits);
    if (engine !== undefined) this.rules!.replace(engine);
    if (verifier !== undefined) this.tokens!.replace(verifier);
    if (this.running.http.cors !== undefined && next.http.cors !== undefined) this.cors?.replace(next.http.cors);
    this.inFlight?.setMax(next.modules.functions.maxInFlight);
    this.metrics?.useRules(next.modules.functions.rules); // label values follow the rules

    const kept = RESTART_ONLY.filter(([, of]) => stableJson(of(next)) !== stableJson(of(this.running))).map(([key]) => key);
    if (kept.length > 0) {
      this.logger.warn(`config reload: ${kept.join(', ')} differ in ${path} but need a restart; kept as they were`);
    }
    this.logger.log(`config reloaded from ${path}`);
    return true;
  }
}

/** JSON with object keys sorted, so that key order in the file does not count as a change. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  ) ?? 'undefined';
}
