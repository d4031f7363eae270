import { Inject, Injectable } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { ConfigReloadable } from '../config/config-reloadable';
import { CorsConfig, GatewayConfig } from '../config/gateway-config';
import { HttpHeaders, MeshHeaders } from '@nest-mesh/wire';

/** Request headers a browser may send (a preflight asking for others is answered without them). */
const CORS_ALLOWED_HEADERS = ['content-type', 'authorization', HttpHeaders.requestId.toLowerCase(), MeshHeaders.traceparent, MeshHeaders.tracestate];
/** Response headers a browser's script may read. */
const CORS_EXPOSED_HEADERS = [HttpHeaders.requestId, HttpHeaders.retryAfter, HttpHeaders.rateLimitLimit, HttpHeaders.rateLimitRemaining];
/** The methods the gateway's routes answer (DELETE: an event's deliveries, docs/events.md). */
const CORS_METHODS = ['GET', 'HEAD', 'POST', 'DELETE', 'OPTIONS'];

type OriginCallback = (error: Error | null, allow: boolean | string) => void;

/** The headers of an allowed origin's answers: `simple` on every answer, `preflight` on a preflight's 204. */
export interface CorsAnswer {
  readonly simple: Readonly<Record<string, string>>;
  readonly preflight: Readonly<Record<string, string>>;
}

/**
 * The origins that `http.cors` allows now, and the headers answered to each, computed when the
 * config is read. A config reload (SIGHUP) swaps them, when `http.cors` is there before and after
 * (adding or removing it needs a restart); every request looks its origin up once (a Map lookup),
 * so a reload applies to the next request.
 */
@Injectable()
export class CorsOrigins implements ConfigReloadable {
  private readonly enabled: boolean;
  private any: CorsAnswer | undefined;
  private answers: ReadonlyMap<string, CorsAnswer> = new Map();

  constructor(@Inject(GatewayConfig) config: GatewayConfig) {
    this.enabled = config.http.cors !== undefined;
    this.use(config.http.cors);
  }

  applyConfig(next: GatewayConfig): void {
    if (this.enabled && next.http.cors !== undefined) this.use(next.http.cors);
  }

  private use(cors: CorsConfig | undefined): void {
    if (cors === undefined) return;
    this.any = cors.origins === '*' ? corsAnswer('*', cors) : undefined;
    this.answers = new Map(Array.isArray(cors.origins) ? cors.origins.map((origin) => [origin, corsAnswer(origin, cors)]) : []);
  }

  /** The headers for a request with this `Origin`, or undefined: no CORS headers (not allowed, or no `Origin`). */
  answerFor(origin: string | undefined): CorsAnswer | undefined {
    if (origin === undefined) return undefined;
    return this.any ?? this.answers.get(origin);
  }

  /** The `origin` option of the `cors` package: `*`, true (echo the origin) or false (no CORS headers). */
  readonly allow = (origin: string | undefined, callback: OriginCallback): void => {
    if (origin === undefined) callback(null, false);
    else if (this.any !== undefined) callback(null, '*');
    else callback(null, this.answers.has(origin));
  };
}

// Joined once here: the `cors` package would join a list again on every request.
const METHODS = CORS_METHODS.join(',');
const ALLOWED_HEADERS = CORS_ALLOWED_HEADERS.join(',');
const EXPOSED_HEADERS = CORS_EXPOSED_HEADERS.join(',');

/** The headers `cors` (express) sends to `origin` ('*': any origin), written once for the fastify hook. */
function corsAnswer(origin: string, cors: CorsConfig): CorsAnswer {
  const simple: Record<string, string> = { 'access-control-allow-origin': origin };
  if (origin !== '*') simple.vary = 'Origin';
  if (cors.credentials) simple['access-control-allow-credentials'] = 'true';
  simple['access-control-expose-headers'] = EXPOSED_HEADERS;
  const preflight: Record<string, string> = { ...simple, 'access-control-allow-methods': METHODS, 'access-control-allow-headers': ALLOWED_HEADERS };
  if (cors.maxAge !== undefined) preflight['access-control-max-age'] = String(cors.maxAge);
  preflight['content-length'] = '0';
  return { simple, preflight };
}

/**
 * express: Nest's `enableCors` (the `cors` package), with options chosen so that it answers as the
 * fastify hook below: preflight 204 from an allowed origin, whatever it asks for; an origin that is
 * not allowed gets no CORS headers (and a preflight from it finds no route: 404).
 */
export function corsOptionsOf(cors: CorsConfig, origins: CorsOrigins) {
  return {
    origin: origins.allow,
    credentials: cors.credentials,
    maxAge: cors.maxAge,
    methods: METHODS,
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    optionsSuccessStatus: 204,
    preflightContinue: false,
  };
}

/**
 * fastify: one `onRequest` hook that adds the headers computed for the request's origin, and
 * answers an allowed origin's preflight with 204. `@fastify/cors` (what `enableCors` registers on
 * fastify) does the same work over again on every request, resolving its options and the origin:
 * most of what CORS cost on the call path; this hook looks one Map entry up (bench/RESULTS.md, "The edge features").
 */
export function useFastifyCors(app: NestFastifyApplication, origins: CorsOrigins): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
      const answer = origins.answerFor(request.headers.origin);
      if (answer === undefined) return done();
      if (request.method === 'OPTIONS') {
        void reply.code(204).headers(answer.preflight).send();
        return;
      }
      reply.headers(answer.simple);
      done();
    });
}
