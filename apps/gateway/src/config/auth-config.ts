import { Type } from 'class-transformer';
import { ArrayNotEmpty, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Min, MinLength, ValidateNested } from 'class-validator';
import { Block, Reloads } from './reload';
import { IsStringOrList } from './validators';

/** The `auth` block of the config (docs/security.md#tokens): how end-user tokens are verified, and the Mesh-Token key. */

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
  @Reloads()
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => PublicKeyConfig)
  publicKeys?: PublicKeyConfig[];

  @Reloads()
  @IsOptional()
  @Block(() => JwksConfig)
  jwks?: JwksConfig;

  @Reloads()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  clockTolerance = 0;

  /** When set, a token's `aud` must contain one of these (docs/security.md#tokens). */
  @Reloads()
  @IsOptional()
  @IsStringOrList()
  audience?: string | string[];

  /** When set, a token's `iss` must be one of these. */
  @Reloads()
  @IsOptional()
  @IsStringOrList()
  issuer?: string | string[];

  /** A token without `exp` is refused; `false` accepts one (it is then valid for ever). */
  @Reloads()
  @IsBoolean()
  requireExp = true;

  /** PEM Ed25519 private key that signs Mesh-Tokens; absent: one is made at start-up (docs/security.md). */
  @IsOptional()
  @IsString()
  @MinLength(1)
  signingKey?: string;
}
