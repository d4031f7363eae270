import { moleculerSystem } from './moleculer';
import { natsSystem } from './nats';
import { meshSystem, PRODUCTION } from './nest-mesh';
import { nestHttpSystem } from './nest-http';
import { nodeHttpNatsSystem } from './node-http-nats';
import { BenchSystem } from './types';

/** Every system of the "Gateway vs peers" benchmark, in the order they run and are reported. */
export const SYSTEMS: BenchSystem[] = [
  meshSystem({ id: 'default', group: 'default', label: 'nest-mesh as `nest-mesh gateway --config` starts it: no adapter named, no optional feature, embedded broker', broker: 'embedded' }),
  meshSystem({ id: 'a-fastify', group: 'a', label: 'nest-mesh, embedded broker (fastify)', adapter: 'fastify', broker: 'embedded' }),
  meshSystem({ id: 'a-express', group: 'a', label: 'nest-mesh, embedded broker (express)', adapter: 'express', broker: 'embedded' }),
  meshSystem({ id: "a'", group: "a'", label: 'nest-mesh, embedded broker (fastify), and(authenticated, match) + HS256 token', adapter: 'fastify', broker: 'embedded', auth: true }),
  meshSystem({ id: 'a-trust', group: 'a-on', label: 'as (a, fastify), with service identities and Mesh-Token verified by the service', adapter: 'fastify', broker: 'embedded', trust: true }),
  meshSystem({ id: 'a-edge', group: 'a-on', label: 'as (a, fastify), with CORS and JSON call logs (metrics and the tracing API are always on)', adapter: 'fastify', broker: 'embedded', cors: true, callLogs: true }),
  meshSystem({ id: 'p', group: 'p', label: 'production: fastify via nats-server, and(authenticated, match) + HS256 token, Mesh-Token verified, metrics, tracing API, CORS, a rate limit never reached', ...PRODUCTION }),
  meshSystem({ id: 'b-fastify', group: 'b', label: 'nest-mesh via nats-server (fastify)', adapter: 'fastify', broker: 'nats-server' }),
  meshSystem({ id: 'b-express', group: 'b', label: 'nest-mesh via nats-server (express)', adapter: 'express', broker: 'nats-server' }),
  moleculerSystem,
  nestHttpSystem('fastify'),
  nestHttpSystem('express'),
  nodeHttpNatsSystem,
  natsSystem,
];

/**
 * Systems run only when `--only` names them: (a-edge) split into its features; (p) and (b, fastify)
 * with a bare nats.js responder in place of the Nest service (the gateway's share of a call).
 */
export const SPLIT_SYSTEMS: BenchSystem[] = [
  meshSystem({ id: 'a-cors', group: 'a-split', label: 'as (a, fastify), with CORS (an Origin on every call)', adapter: 'fastify', broker: 'embedded', cors: true }),
  meshSystem({ id: 'a-logs', group: 'a-split', label: 'as (a, fastify), with JSON call logs', adapter: 'fastify', broker: 'embedded', callLogs: true }),
  meshSystem({ id: 'p-bare', group: 'p-split', label: 'as (p), a bare nats.js responder in place of the Nest service (no Mesh-Token check)', ...PRODUCTION, responder: 'bare' }),
  meshSystem({ id: 'b-bare', group: 'p-split', label: 'as (b, fastify), a bare nats.js responder in place of the Nest service', adapter: 'fastify', broker: 'nats-server', responder: 'bare' }),
];

/** The systems of the given groups (`a,c`; `a'` may also be written `a2`), or all of SYSTEMS. */
export function selectSystems(only?: string[]): BenchSystem[] {
  if (!only || only.length === 0) return SYSTEMS;
  const wanted = new Set(only.map((g) => g.trim().replace(/^a2$/, "a'")));
  const known = [...SYSTEMS, ...SPLIT_SYSTEMS];
  const unknown = [...wanted].filter((g) => !known.some((s) => s.group === g || s.id === g));
  if (unknown.length > 0) throw new Error(`--only: unknown system(s) ${unknown.join(', ')} (known: default, a, a', a-on, a-split, p, p-split, b, c, d, e, f, or a system id)`);
  return known.filter((s) => wanted.has(s.group) || wanted.has(s.id));
}
