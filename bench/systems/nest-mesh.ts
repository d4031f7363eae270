import { SignJWT } from 'jose';
import { subjectFor } from '@nest-mesh/wire';
import { GATEWAY_MAIN } from '../../test/support/mesh';
import { writeConfig } from '../../test/support/config-file';
import { freePort } from '../../test/support/free-port';
import { TestProcess } from '../../test/support/child';
import { startNode, startProgram } from '../support/processes';
import { ENVELOPE_JSON, PARAMS } from '../payload';
import { BenchSystem, RunningSystem, SystemContext, SystemUnavailable } from './types';

export const BENCH_JWT_SECRET = 'nest-mesh-bench-secret-of-at-least-32-bytes';

const ADMIN_RULE = {
  rule: 'and',
  clauses: [{ rule: 'authenticated' }, { rule: 'match', eval: '==', type: 'string', f1: 'args.auth.role', f2: 'admin' }],
};

interface MeshVariant {
  id: string;
  group: string;
  label: string;
  /** Absent: the config names none, and the gateway serves with its default (fastify). */
  adapter?: 'express' | 'fastify';
  broker: 'embedded' | 'nats-server';
  /** The and(authenticated, match role == admin) rule and an HS256 token on every call. */
  auth?: boolean;
  /** The service logs in as a mesh identity (`services`) and verifies every call's Mesh-Token. */
  trust?: boolean;
  /** CORS, and an Origin header on every call. */
  cors?: boolean;
  /** A rate limit that is never reached. */
  rateLimit?: boolean;
  /** `log: { format: json, calls: true }`: one JSON line per call. */
  callLogs?: boolean;
  /**
   * `bare`: a bare nats.js responder (bench/servers/nats-echo.ts) answers `bench.echo` in place of the
   * Nest service, so that the gateway's share of a call can be told from the service's.
   */
  responder?: 'nest' | 'bare';
}

/** The production profile of docs/operations.md: everything a deployment turns on, call logs off. */
export const PRODUCTION: Omit<MeshVariant, 'id' | 'group' | 'label'> = { adapter: 'fastify', broker: 'nats-server', auth: true, trust: true, cors: true, rateLimit: true };

const ORIGIN = 'http://localhost:3000';
const SERVICE_PASSWORD = 'bench-service-password';

/** (a), (a') and (b): HTTP -> the built gateway -> broker -> one Nest service instance (`bench.echo`). */
export function meshSystem(variant: MeshVariant): BenchSystem {
  return { id: variant.id, group: variant.group, label: variant.label, start: (ctx) => startMesh(ctx, variant) };
}

async function startMesh(ctx: SystemContext, variant: MeshVariant): Promise<RunningSystem> {
  const broker =
    variant.broker === 'embedded' ? { embedded: { host: '127.0.0.1', port: await freePort() } } : { conn: await ctx.natsUrl() };
  const rule = { ...(variant.auth ? ADMIN_RULE : { rule: 'allow' }), ...(variant.rateLimit && { rateLimit: { limit: 1_000_000_000, window: 60_000, by: 'ip' } }) };
  const configPath = writeConfig({
    id: 'bench',
    ...(variant.auth && { secret: BENCH_JWT_SECRET }),
    port: await freePort(),
    http: { ...(variant.adapter && { adapter: variant.adapter }), ...(variant.cors && { cors: { origins: [ORIGIN] } }) },
    ...(variant.callLogs && { log: { format: 'json', calls: true } }),
    modules: {
      functions: {
        ...broker,
        // With nats-server the broker does not check identities here (the run's nats-server is shared);
        // the service still logs in and verifies Mesh-Tokens as in production.
        ...(variant.trust && variant.broker === 'embedded' && { services: { bench: { password: SERVICE_PASSWORD, calls: [] } } }),
        rules: { bench: { echo: rule } },
      },
    },
  });
  let gateway: TestProcess;
  try {
    // `nest-mesh gateway --config <file>`: the package's command is main.js.
    gateway = await startNode(ctx.registry, 'gateway', [...ctx.nodeArgsFor(variant.id), GATEWAY_MAIN, 'gateway', '--config', configPath], {
      ready: /nest-mesh broker: (\S+)/,
    });
  } catch (error) {
    const message = (error as Error).message;
    if (variant.adapter === 'fastify' && /exited/.test(message)) {
      const said = /nest-mesh gateway: (.*)/.exec(message)?.[1] ?? 'the gateway refused the config';
      throw new SystemUnavailable(`adapter not available (${said.trim()})`);
    }
    throw error;
  }
  // The gateway's own start-up line names the adapter it listens with.
  const served = /listening on \S+ \((\w+)\)/.exec(gateway.output)?.[1];
  if (variant.adapter !== undefined && served !== variant.adapter) {
    await gateway.stop();
    throw new SystemUnavailable(`adapter not available (the gateway serves ${served ?? 'an unknown adapter'})`);
  }
  const url = /nest-mesh gateway: (\S+)/.exec(gateway.output)![1];
  const brokerUrl = /nest-mesh broker: (\S+)/.exec(gateway.output)![1];
  let service: TestProcess;
  try {
    const trust = variant.trust
      ? { MESH_JWKS: `${url}/.well-known/jwks.json`, MESH_AUDIENCE: 'bench', ...(variant.broker === 'embedded' && { MESH_USER: 'bench', MESH_PASS: SERVICE_PASSWORD }) }
      : {};
    service =
      variant.responder === 'bare'
        ? await startProgram(ctx.registry, 'bare responder', 'bench/servers/nats-echo.ts', { env: { NATS_URL: brokerUrl, SUBJECT: subjectFor('bench', 'echo') } })
        : await startProgram(ctx.registry, 'bench service', 'bench/servers/mesh-echo-service.ts', { env: { MESH_SERVERS: brokerUrl, ...trust } });
  } catch (error) {
    await gateway.stop();
    throw error;
  }
  const headers: Record<string, string> = {};
  if (variant.auth) headers.authorization = `Bearer ${await adminToken()}`;
  if (variant.cors) headers.origin = ORIGIN;
  return {
    target: {
      kind: 'http',
      url: `${url}/v1/api/bench/functions/bench/echo`,
      body: ENVELOPE_JSON,
      headers,
      expect: { status: 200, body: { result: PARAMS } },
    },
    metricsUrl: `${url}/metrics`,
    measuredPid: gateway.child.pid,
    measured: 'gateway',
    others: [
      ...(variant.broker === 'nats-server' ? [{ role: 'nats-server', pid: ctx.natsPid() }] : []),
      { role: variant.responder === 'bare' ? 'bare responder' : 'service', pid: service.child.pid },
    ],
    stop: async () => {
      await service.stop();
      await gateway.stop();
    },
  };
}

function adminToken(): Promise<string> {
  return new SignJWT({ role: 'admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('bench')
    .setIssuedAt()
    .setExpirationTime('6h')
    .sign(new TextEncoder().encode(BENCH_JWT_SECRET));
}
