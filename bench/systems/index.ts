import { moleculerSystem } from './moleculer';
import { natsSystem } from './nats';
import { meshSystem } from './nest-mesh';
import { nestHttpSystem } from './nest-http';
import { nodeHttpNatsSystem } from './node-http-nats';
import { BenchSystem } from './types';

/** Every system of the "Gateway vs peers" benchmark, in the order they run and are reported. */
export const SYSTEMS: BenchSystem[] = [
  meshSystem({ id: 'a-fastify', group: 'a', label: 'nest-mesh, embedded broker (fastify)', adapter: 'fastify', broker: 'embedded' }),
  meshSystem({ id: 'a-express', group: 'a', label: 'nest-mesh, embedded broker (express)', adapter: 'express', broker: 'embedded' }),
  meshSystem({ id: "a'", group: "a'", label: 'nest-mesh, embedded broker (fastify), and(authenticated, match) + HS256 token', adapter: 'fastify', broker: 'embedded', auth: true }),
  meshSystem({ id: 'b-fastify', group: 'b', label: 'nest-mesh via nats-server (fastify)', adapter: 'fastify', broker: 'nats-server' }),
  meshSystem({ id: 'b-express', group: 'b', label: 'nest-mesh via nats-server (express)', adapter: 'express', broker: 'nats-server' }),
  moleculerSystem,
  nestHttpSystem('fastify'),
  nestHttpSystem('express'),
  nodeHttpNatsSystem,
  natsSystem,
];

/** The systems of the given groups (`a,c`; `a'` may also be written `a2`), or all. */
export function selectSystems(only?: string[]): BenchSystem[] {
  if (!only || only.length === 0) return SYSTEMS;
  const wanted = new Set(only.map((g) => g.trim().replace(/^a2$/, "a'")));
  const unknown = [...wanted].filter((g) => !SYSTEMS.some((s) => s.group === g || s.id === g));
  if (unknown.length > 0) throw new Error(`--only: unknown system(s) ${unknown.join(', ')} (known: a, a', b, c, d, e, f)`);
  return SYSTEMS.filter((s) => wanted.has(s.group) || wanted.has(s.id));
}
