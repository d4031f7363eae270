import { Type } from 'class-transformer';
import {
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';

/**
 * The gateway's configuration file (CONTRACT section 3), as typed objects. Validated once at
 * start-up by `loadConfig`; every other part of the gateway trusts it.
 */

export class HttpConfig {
  @IsIn(['express', 'fastify'])
  adapter: 'express' | 'fastify' = 'express';

  @Type(() => Number)
  @IsInt()
  @Min(1)
  bodyLimit = 1_048_576;
}

export class EmbeddedUserConfig {
  @IsString()
  @MinLength(1)
  user!: string;

  @IsString()
  password!: string;
}

export class EmbeddedBrokerConfig {
  @IsString()
  host = '127.0.0.1';

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  port = 4222;

  @IsOptional()
  @IsString()
  token?: string;

  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => EmbeddedUserConfig)
  users?: EmbeddedUserConfig[];
}

export class TimeoutConfig {
  @Type(() => Number)
  @IsInt()
  @Min(1)
  default = 10_000;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  max = 60_000;
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

  @ValidateNested()
  @Type(() => EmbeddedBrokerConfig)
  embedded: EmbeddedBrokerConfig = new EmbeddedBrokerConfig();

  @ValidateNested()
  @Type(() => TimeoutConfig)
  timeout: TimeoutConfig = new TimeoutConfig();

  /** How long a `func` rule waits for its function, in ms. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  ruleTimeout = 5_000;

  /** Checked and compiled by the rule engine, which names the exact path of any mistake. */
  @IsObject()
  rules: Record<string, unknown> = {};
}

/** `modules.eventing` (CONTRACT section 7, docs/events.md). */
export class EventingConfig {
  @IsBoolean()
  enabled = false;

  /** The local-disk store's folder (embedded broker); with `conn` the events live in JetStream. */
  @IsString()
  @MinLength(1)
  store = './data/events';

  /** Trigger name -> trigger; checked by `triggersOf` (apps/gateway/src/eventing/trigger-config.ts), naming the path of any mistake. */
  @IsObject()
  triggers: Record<string, unknown> = {};

  /** Event type (or `default`) -> the rule for queueing it over HTTP; compiled by the rule engine. */
  @IsObject()
  rules: Record<string, unknown> = {};

  /** The rule a token's claims must satisfy for the admin routes; absent: nobody may use them. */
  @IsOptional()
  @IsObject()
  admin?: Record<string, unknown>;

  /** The largest payload an event may carry: bytes of its JSON. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  maxPayload = 262_144;
}

export class ModulesConfig {
  @ValidateNested()
  @Type(() => FunctionsConfig)
  functions: FunctionsConfig = new FunctionsConfig();

  @ValidateNested()
  @Type(() => EventingConfig)
  eventing: EventingConfig = new EventingConfig();
}

export class PublicKeyConfig {
  @IsIn(['RS256', 'ES256'])
  alg!: 'RS256' | 'ES256';

  @IsOptional()
  @IsString()
  kid?: string;

  @IsString()
  @MinLength(1)
  pem!: string;
}

export class JwksConfig {
  @IsString()
  @Matches(/^https?:\/\//, { message: 'must be an http or https URL' })
  url!: string;

  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @IsIn(['RS256', 'ES256'], { each: true })
  algorithms?: ('RS256' | 'ES256')[];

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  cacheMaxAge?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  timeout?: number;
}

export class AuthConfig {
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => PublicKeyConfig)
  publicKeys?: PublicKeyConfig[];

  @IsOptional()
  @ValidateNested()
  @Type(() => JwksConfig)
  jwks?: JwksConfig;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  clockTolerance = 0;
}

export class GatewayConfig {
  /** The project id: the `{project}` of every URL. */
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'must match ^[A-Za-z0-9_-]{1,64}$' })
  id!: string;

  /** HS256 secret for JWTs. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  secret?: string;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  port = 4122;

  @ValidateNested()
  @Type(() => HttpConfig)
  http: HttpConfig = new HttpConfig();

  @ValidateNested()
  @Type(() => AuthConfig)
  auth: AuthConfig = new AuthConfig();

  @ValidateNested()
  @Type(() => ModulesConfig)
  modules: ModulesConfig = new ModulesConfig();
}
