import { Logger } from '@nestjs/common';
import Redis from 'ioredis';

/**
 * The Redis connection behind `modules.functions.rateLimitStore`. It never holds a call up: no
 * command waits for a connection (no offline queue) or longer than a second, and the limiters
 * count in memory while Redis cannot be reached. That state is logged once when it starts and
 * once when it ends, never per call; the first connection is logged too.
 */
export class RedisStore {
  readonly client: Redis;
  private down = false;

  constructor(
    url: string,
    private readonly logger: Logger,
  ) {
    this.client = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 1000,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    const where = redacted(url);
    this.client.on('error', (error: Error) => {
      if (this.down) return;
      this.down = true;
      this.logger.warn(`rate limit store ${where} unreachable (${error.message || error.name}): limits are counted in this gateway's memory until it is back`);
    });
    let connected = false;
    this.client.on('ready', () => {
      if (!connected) this.logger.log(`rate limit store ${where} connected`);
      else if (this.down) this.logger.log(`rate limit store ${where} reachable again`);
      connected = true;
      this.down = false;
    });
  }

  close(): void {
    this.client.disconnect();
  }
}

/** The URL without its password, for the log. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis';
  }
}
