import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { Block, Reloads } from './reload';
import { IsCorsOrigins, IsTrustProxy } from './validators';

/** The `http` block of the config (docs/config.md): the HTTP server, bodies, CORS, proxies. */

/** `http.cors`: which browser origins may call the gateway (docs/operations.md#browsers-cors). */
export class CorsConfig {
  /** A list of exact origins, or "*". */
  @Reloads()
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
  adapter: 'express' | 'fastify' = 'fastify';

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

  /** Hop count / list of proxy addresses: then the client address comes from X-Forwarded-For, counted from the right. */
  @IsTrustProxy()
  trustProxy: false | number | string[] = false;

  /** Absent: no CORS headers at all. */
  @IsOptional()
  @Block(() => CorsConfig)
  cors?: CorsConfig;
}
