import { ConsoleLogger } from '@nestjs/common';
import { LOG_LEVELS, LogConfig } from '../config/gateway-config';

/**
 * The gateway's logger from `log` (docs/operations.md#logs): Nest's ConsoleLogger, in its JSON
 * mode for `format: json` (one object per line: level, pid, timestamp, context, message), with
 * `level` and every more severe level.
 */
export function gatewayLogger(log: LogConfig): ConsoleLogger {
  const logLevels = LOG_LEVELS.slice(LOG_LEVELS.indexOf(log.level));
  return log.format === 'json' ? new ConsoleLogger({ json: true, colors: false, logLevels }) : new ConsoleLogger({ logLevels });
}
