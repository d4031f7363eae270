import { Inject, Injectable } from '@nestjs/common';
import type { ConfigReloadable } from '../config/config-reloadable';
import { CorsConfig, GatewayConfig } from '../config/gateway-config';
import { RATE_LIMIT_LIMIT_HEADER, RATE_LIMIT_REMAINING_HEADER, RETRY_AFTER_HEADER } from '../limits/limit-headers';
import { REQUEST_ID_HEADER } from './request-id';

/** Request headers a browser may send (a preflight asking for others is answered without them). */
const CORS_ALLOWED_HEADERS = ['content-type', 'authorization', 'x-request-id', 'traceparent', 'tracestate'];
/** Response headers a browser's script may read. */
const CORS_EXPOSED_HEADERS = [REQUEST_ID_HEADER, RETRY_AFTER_HEADER, RATE_LIMIT_LIMIT_HEADER, RATE_LIMIT_REMAINING_HEADER];
const CORS_METHODS = ['GET', 'HEAD', 'POST', 'OPTIONS'];

type OriginCallback = (error: Error | null, allow: boolean | string) => void;

/**
 * The origins that `http.cors` allows now. A config reload (SIGHUP) swaps them, when `http.cors`
 * is there before and after (adding or removing it needs a restart); every request asks `allow`
 * once (a Set lookup), so a reload applies to the next request.
 */
@Injectable()
export class CorsOrigins implements ConfigReloadable {
  private readonly enabled: boolean;
  private any = false;
  private allowed: ReadonlySet<string> = new Set();

  constructor(@Inject(GatewayConfig) config: GatewayConfig) {
    this.enabled = config.http.cors !== undefined;
    this.use(config.http.cors);
  }

  applyConfig(next: GatewayConfig): void {
    if (this.enabled && next.http.cors !== undefined) this.use(next.http.cors);
  }

  private use(cors: CorsConfig | undefined): void {
    this.any = cors?.origins === '*';
    this.allowed = new Set(Array.isArray(cors?.origins) ? cors.origins : []);
  }

  /** The `origin` option of `cors` and `@fastify/cors`: `*`, true (echo the origin) or false (no CORS headers). */
  readonly allow = (origin: string | undefined, callback: OriginCallback): void => {
    if (origin === undefined) callback(null, false);
    else if (this.any) callback(null, '*');
    else callback(null, this.allowed.has(origin));
  };
}

/**
 * The options of Nest's `enableCors` (the `cors` package on express, `@fastify/cors` on fastify),
 * chosen so that both answer alike: preflight 204 from an allowed origin, whatever it asks for;
 * an origin that is not allowed gets no CORS headers (and a preflight from it finds no route: 404).
 */
export function corsOptionsOf(cors: CorsConfig, origins: CorsOrigins) {
  return {
    origin: origins.allow,
    credentials: cors.credentials,
    maxAge: cors.maxAge,
    // Joined once here: both packages would join a list again on every request.
    methods: CORS_METHODS.join(','),
    allowedHeaders: CORS_ALLOWED_HEADERS.join(','),
    exposedHeaders: CORS_EXPOSED_HEADERS.join(','),
    optionsSuccessStatus: 204,
    preflightContinue: false,
    // @fastify/cors only: answer an OPTIONS without Access-Control-Request-Method as `cors` does (204), not 400.
    strictPreflight: false,
  };
}
