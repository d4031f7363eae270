import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, Matches, Max, Min, ValidateNested } from 'class-validator';
import type { RuleEngine } from '@nest-mesh/rules';
import { DEFAULT_CALL_TIMEOUT_MS, DEFAULT_MAX_CALL_TIMEOUT_MS, DEFAULT_NATS_PORT, DEFAULT_RULE_TIMEOUT_MS, DEFAULT_STREAM_TIMEOUT_MS } from '@nest-mesh/wire';
import type { NestTarget } from './nest-targets';
import { Block, Reloads } from './reload';
import { EmbeddedTlsConfig, EmbeddedUserConfig, HasServiceNames, ServiceIdentityConfig, ServiceMap } from './trust-config';

/** `modules.functions` (docs/config.md): the broker, the timeouts, the limits and the rules of calls. */

export class EmbeddedBrokerConfig {
  @IsString()
  host = '127.0.0.1';

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  port = DEFAULT_NATS_PORT;

  @IsOptional()
  @IsString()
  token?: string;

  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => EmbeddedUserConfig)
  users?: EmbeddedUserConfig[];

  /** PEM file paths; read at start-up (docs/security.md). */
  @IsOptional()
  @Block(() => EmbeddedTlsConfig)
  tls?: EmbeddedTlsConfig;
}

export class TimeoutConfig {
  @Type(() => Number)
  @IsInt()
  @Min(1)
  default = DEFAULT_CALL_TIMEOUT_MS;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  max = DEFAULT_MAX_CALL_TIMEOUT_MS;

  /** How long a whole stream may last, in ms (docs/protocol.md#streams-over-http); `timeout` bounds each item. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  stream = DEFAULT_STREAM_TIMEOUT_MS;
}

export class FunctionsConfig {
  @IsBoolean()
  enabled = true;

  @IsIn(['nats'])
  broker: 'nats' = 'nats';

  /** A NATS URL, a comma-separated list of them, or a list. Absent: the embedded broker. */
  @IsOptional()
  @IsString({ each: true })
  conn?: string | string[];

  @Block(() => EmbeddedBrokerConfig)
  embedded: EmbeddedBrokerConfig = new EmbeddedBrokerConfig();

  /** Mesh service identities by service name: each one's broker permissions are derived (docs/security.md). */
  @IsOptional()
  @ServiceMap()
  @HasServiceNames()
  @ValidateNested({ each: true })
  services?: Map<string, ServiceIdentityConfig>;

  @Block(() => TimeoutConfig)
  timeout: TimeoutConfig = new TimeoutConfig();

  /** How long a `func` rule waits for its function, in ms. */
  @Reloads()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  ruleTimeout = DEFAULT_RULE_TIMEOUT_MS;

  /** Calls under way at once; beyond it 503 OVERLOADED, answered at once. */
  @Reloads()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  maxInFlight = 10_000;

  /** Where rate limit counts are kept: absent, in memory; a redis:// URL shares them between gateways. */
  @IsOptional()
  @IsString()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'must be a redis:// or rediss:// URL' })
  rateLimitStore?: string;

  /** Checked and compiled by the rule engine, which names the exact path of any mistake (also of `rateLimit`). */
  @Reloads()
  @IsObject()
  rules: Record<string, unknown> = {};

  /** `rules` compiled once, by loadConfig: what calls are decided with (docs/rules.md). */
  declare ruleEngine: RuleEngine;

  /**
   * Existing `Transport.NATS` services served as mesh functions: `<service>: {<func>: <Nest pattern>}`
   * (docs/getting-started.md#coming-from-transportnats). Read at start-up only; checked by
   * `nestTargetsOf` (nest-targets.ts), naming the path of any mistake.
   */
  @IsObject()
  nest: Record<string, unknown> = {};

  /** `nest` checked, once, by loadConfig. */
  declare nestTargets: NestTarget[];
}
