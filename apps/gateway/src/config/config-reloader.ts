import { Inject, Injectable, Logger } from '@nestjs/common';
import { CONFIG_RELOADABLES, ConfigReloadable } from './config-reloadable';
import { GatewayConfig } from './gateway-config';
import { loadConfig } from './load-config';

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
 * validated with the same `loadConfig` as at start-up; a valid one goes to every ConfigReloadable part
 * (the rules with their `rateLimit`s, the token settings, the CORS origins, `maxInFlight`, the metrics'
 * label values): each prepares, then all apply in one synchronous step, so a call sees either the old
 * settings or the new ones. An invalid file, or a part that refuses it, is logged in one line and
 * changes nothing. Reloads run one after another, in order. Keys in RESTART_ONLY are left as they were.
 */
@Injectable()
export class ConfigReloader {
  private readonly logger = new Logger('Config');
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(GatewayConfig) private readonly running: GatewayConfig,
    @Inject(CONFIG_RELOADABLES) private readonly parts: readonly ConfigReloadable[],
  ) {}

  /** Reloads from `path`; resolves true when the new config is in use, false when it was refused. */
  reload(path: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
    const done = this.queue.then(() => this.apply(path, env));
    this.queue = done;
    return done;
  }

  private async apply(path: string, env: NodeJS.ProcessEnv): Promise<boolean> {
    let next: GatewayConfig;
    const prepared: unknown[] = [];
    try {
      next = loadConfig(path, env);
      for (const part of this.parts) prepared.push(await part.prepareConfig?.(next));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.error(`config reload refused: ${message.split('\n').join('; ')} (file ${path})`);
      return false;
    }
    // All at once, with nothing awaited in between.
    this.parts.forEach((part, index) => part.applyConfig(next, prepared[index]));

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
