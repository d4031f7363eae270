import { Type } from 'class-transformer';
import type { TriggerSpec } from '@nest-mesh/eventing';
import type { RuleEngine } from '@nest-mesh/rules';
import type { EventRules } from './event-rules';
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
import { IsCorsOrigins, IsHs256Secret, IsStringOrList, IsTrustProxy } from './validators';
import { EmbeddedTlsConfig, EmbeddedUserConfig, HasServiceNames, ServiceIdentityConfig, ServiceMap } from './trust-config';
import { NAME_PATTERN } from '@nest-mesh/wire';

/**
 * The gateway's configuration file (docs/config.md), as typed objects. Validated once at
 * start-up by `loadConfig`; every other part of the gateway trusts it.
 */

/** `http.cors`: which browser origins may call the gateway (docs/operations.md#browsers-cors). */
export class CorsConfig {
  /** A list of exact origins, or "*". */
  @IsCorsOrigins()
  origins!: string[] | '*';

  /** Allow cookies / credentials; refused together with "*". */
  @IsBoolean()
  credentials = false;

  /** Seconds a browser may cache a preflight. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  maxAge = 600;
}

export class HttpConfig {
  @IsIn(['express', 'fastify'])
  adapter: 'express' | 'fastify' = 'express';

  @Type(() => Number)
  @IsInt()
  @Min(1)
  bodyLimit = 1_048_576;

  /** Deepest nesting of `params` (arrays and objects) a request may send; checked without recursion. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  maxDepth = 64;

  /** ms a client has to send the request line and headers (docs/config.md#slow-clients). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  headersTimeout = 5_000;

  /** ms a client has to send the whole request, body included. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  requestTimeout = 30_000;

  /** ms an idle keep-alive connection is kept open between requests. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  keepAliveTimeout = 5_000;

  /** Absent: no CORS headers at all. */
  @IsOptional()
  @ValidateNested()
  @Type(() => CorsConfig)
  cors?: CorsConfig;

  /** Hop count / list of proxy addresses: then the client address comes from X-Forwarded-For, counted from the right. */
  @IsTrustProxy()
  trustProxy: false | number | string[] = false;
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

  /** PEM file paths; read at start-up (docs/security.md). */
  @IsOptional()
  @ValidateNested()
  @Type(() => EmbeddedTlsConfig)
  tls?: EmbeddedTlsConfig;
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

  /** Mesh service identities by service name: each one's broker permissions are derived (docs/security.md). */
  @IsOptional()
  @ServiceMap()
  @HasServiceNames()
  @ValidateNested({ each: true })
  services?: Map<string, ServiceIdentityConfig>;

  @ValidateNested()
  @Type(() => TimeoutConfig)
  timeout: TimeoutConfig = new TimeoutConfig();

  /** How long a `func` rule waits for its function, in ms. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  ruleTimeout = 5_000;

  /** Calls under way at once; beyond it 503 OVERLOADED, answered at once. */
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
  @IsObject()
  rules: Record<string, unknown> = {};

  /** `rules` compiled once, by loadConfig: what calls are decided with (docs/rules.md). */
  declare ruleEngine: RuleEngine;
}

/** `modules.eventing` (docs/events.md). */
export class EventingConfig {
  @IsBoolean()
  enabled = false;

  /** The local-disk store's folder (embedded broker); with `conn` the events live in JetStream. */
  @IsString()
  @MinLength(1)
  store = './data/events';

  /** Trigger name -> trigger; checked by `triggersOf` (triggers.ts), naming the path of any mistake. */
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

  /** What may wait in the event store (pending and dead events), in bytes; past it queueing answers 503 STORE_FULL. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  maxPendingBytes = 1_073_741_824;

  /** With `conn`: the replicas of the JetStream event streams (3 on a 3-node cluster survives a lost node). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(5)
  replicas = 1;

  /** `triggers` checked and with their defaults, once, by loadConfig. */
  declare triggerSpecs: TriggerSpec[];

  /** `rules` and `admin` compiled once, by loadConfig. */
  declare eventRules: EventRules;
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

  /** When set, a token's `aud` must contain one of these (docs/security.md#tokens). */
  @IsOptional()
  @IsStringOrList()
  audience?: string | string[];

  /** When set, a token's `iss` must be one of these. */
  @IsOptional()
  @IsStringOrList()
  issuer?: string | string[];

  /** A token without `exp` is refused; `false` accepts one (it is then valid for ever). */
  @IsBoolean()
  requireExp = true;

  /** PEM Ed25519 private key that signs Mesh-Tokens; absent: one is made at start-up (docs/security.md). */
  @IsOptional()
  @IsString()
  @MinLength(1)
  signingKey?: string;
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
  @IsOptional()
  @IsString()
  @IsHs256Secret()
  secret?: string;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  port = 4122;

  /** The address HTTP binds to: `0.0.0.0` (every IPv4 interface), `127.0.0.1` behind a local proxy, `::`... */
  @IsString()
  @MinLength(1)
  host = '0.0.0.0';

  @ValidateNested()
  @Type(() => HttpConfig)
  http: HttpConfig = new HttpConfig();

  @ValidateNested()
  @Type(() => AuthConfig)
  auth: AuthConfig = new AuthConfig();

  @ValidateNested()
  @Type(() => ModulesConfig)
  modules: ModulesConfig = new ModulesConfig();

  /** Absent: /livez, /readyz and /metrics are served on the API port. */
  @IsOptional()
  @ValidateNested()
  @Type(() => ManagementConfig)
  management?: ManagementConfig;

  @ValidateNested()
  @Type(() => LogConfig)
  log: LogConfig = new LogConfig();
  @ValidateNested()
  @Type(() => ConsoleConfig)
  console: ConsoleConfig = new ConsoleConfig();
}
