import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsObject, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import type { TriggerSpec } from '@nest-mesh/eventing';
import type { EventRules } from './event-rules';

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
