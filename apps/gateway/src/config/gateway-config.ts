import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { DEFAULT_GATEWAY_PORT, NAME_PATTERN } from '@nest-mesh/wire';
import { AuthConfig } from './auth-config';
import { EventingConfig } from './eventing-config';
import { FunctionsConfig } from './functions-config';
import { HttpConfig } from './http-config';
import { Block, Reloads } from './reload';
import { IsHs256Secret } from './validators';

export * from './http-config';
export * from './functions-config';
export * from './eventing-config';
export * from './auth-config';

/**
 * The gateway's configuration file (docs/config.md), as typed objects. Validated once at
 * start-up by `loadConfig`; every other part of the gateway trusts it.
 */

export class ModulesConfig {
  @Block(() => FunctionsConfig)
  functions: FunctionsConfig = new FunctionsConfig();

  @Block(() => EventingConfig)
  eventing: EventingConfig = new EventingConfig();
}

/** Where probes and metrics are served instead of the API port (docs/operations.md). */
export class ManagementConfig {
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  port!: number;

  /** The address the management port binds to; absent: `host`. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  host?: string;
}

/** Nest's log levels, least severe first: `log.level` keeps that level and every one after it. */
export const LOG_LEVELS = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'] as const;

export class LogConfig {
  /** `text`: Nest's usual lines; `json`: one JSON object per line (Nest's ConsoleLogger JSON mode). */
  @IsIn(['text', 'json'])
  format: 'text' | 'json' = 'text';

  @IsIn(LOG_LEVELS)
  level: (typeof LOG_LEVELS)[number] = 'log';

  /** One line per call: request id, service, function, status, code, milliseconds. */
  @IsBoolean()
  calls = false;
}

/** The console at `/console/` (docs/discovery.md). */
export class ConsoleConfig {
  @IsBoolean()
  enabled = false;
}

export class GatewayConfig {
  /** The project id: the `{project}` of every URL. */
  @IsString()
  @Matches(NAME_PATTERN, { message: `must match ${NAME_PATTERN.source}` })
  id!: string;

  /** HS256 secret for JWTs: at least 32 bytes. */
  @Reloads()
  @IsOptional()
  @IsString()
  @IsHs256Secret()
  secret?: string;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  port = DEFAULT_GATEWAY_PORT;

  /** The address HTTP binds to: `0.0.0.0` (every IPv4 interface), `127.0.0.1` behind a local proxy, `::`... */
  @IsString()
  @MinLength(1)
  host = '0.0.0.0';

  @Block(() => HttpConfig)
  http: HttpConfig = new HttpConfig();

  @Block(() => ModulesConfig)
  modules: ModulesConfig = new ModulesConfig();

  @Block(() => AuthConfig)
  auth: AuthConfig = new AuthConfig();

  /** Absent: /livez, /readyz and /metrics are served on the API port. */
  @IsOptional()
  @Block(() => ManagementConfig)
  management?: ManagementConfig;

  @Block(() => LogConfig)
  log: LogConfig = new LogConfig();

  @Block(() => ConsoleConfig)
  console: ConsoleConfig = new ConsoleConfig();
}
