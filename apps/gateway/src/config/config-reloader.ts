import { Inject, Injectable, Logger } from '@nestjs/common';
import { CONFIG_RELOADABLES, ConfigReloadable } from './config-reloadable';
import { GatewayConfig } from './gateway-config';
import { loadConfig } from './load-config';
import { restartOnlyChanges } from './reload';

/**
 * Reloads the config file without a restart (on SIGHUP, see cli/run-gateway.ts). The file is read and
 * validated with the same `loadConfig` as at start-up; a valid one goes to every ConfigReloadable part
 * (the rules with their `rateLimit`s, the token settings, the CORS origins, `maxInFlight`, the metrics'
 * label values): each prepares, then all apply in one synchronous step, so a call sees either the old
 * settings or the new ones. An invalid file, or a part that refuses it, is logged in one line and
 * changes nothing. Reloads run one after another, in order. Keys not marked `@Reloads()` are left as
 * they were, with one warning naming them.
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

    const kept = restartOnlyChanges(this.running, next);
    if (kept.length > 0) {
      this.logger.warn(`config reload: ${kept.join(', ')} differ in ${path} but need a restart; kept as they were`);
    }
    this.logger.log(`config reloaded from ${path}`);
    return true;
  }
}
