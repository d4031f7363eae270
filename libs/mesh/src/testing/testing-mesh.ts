/** A gateway configuration object, as in mesh.yaml (docs/config.md); the gateway checks it as it checks a file. */
export interface TestingMeshConfig {
  /** The project id, the `{project}` of the gateway's routes; `test` when absent. */
  id?: string;
  /** The HS256 secret of the tokens that `call` sends with its `token` option (at least 32 bytes). */
  secret?: string;
  /** `adapter`: `express` (the default) or `fastify`; limits, CORS, ... */
  http?: { adapter?: 'fastify' | 'express'; [key: string]: unknown };
  /** Warnings and errors only unless `level` says more (`log` shows the gateway's start-up and `calls: true` one line per call). */
  log?: { level?: 'verbose' | 'debug' | 'log' | 'warn' | 'error' | 'fatal'; format?: 'text' | 'json'; calls?: boolean };
  modules?: {
    /** Without `rules`, every function is allowed; `conn` and `embedded`'s host and port are chosen for you. */
    functions?: { rules?: Record<string, unknown>; timeout?: { default?: number; max?: number }; [key: string]: unknown };
    /** Without `store`, events wait in a temporary folder that `close()` removes. */
    eventing?: { enabled?: boolean; store?: string; [key: string]: unknown };
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Options of `TestingMesh.call`. */
export interface TestingCallOptions {
  /** A bearer token (a JWT the gateway's `secret` or keys verify), sent as `Authorization`. */
  token?: string;
  /** Milliseconds the gateway waits for the function (its `timeout.default` when absent). */
  timeout?: number;
  /** Sent as `X-Request-Id`: the function's `ctx.requestId`. */
  requestId?: string;
  /** Aborts the call (it then rejects with code `ABORTED`). */
  signal?: AbortSignal;
}

/** A gateway and its embedded broker, in this process, on free ports (docs/testing.md). */
export interface TestingMesh {
  /** The broker's NATS URL: what the service under test connects to (`meshMicroservice({ servers })`). */
  servers: string;
  /** The gateway's base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /**
   * Calls `service.func` through the gateway and its rules, as a frontend would: resolves to the
   * result, or rejects with a `MeshHttpError` of 'nest-mesh/client' (`status`, `code`, `message`, `requestId`).
   */
  call<T = unknown>(service: string, func: string, params?: unknown, options?: TestingCallOptions): Promise<T>;
  /** Stops the gateway, then the broker. */
  close(): Promise<void>;
}

/** What the gateway's bundle gives (apps/gateway/src/testing/testing-gateway.ts). */
interface TestingGateway {
  url: string;
  servers: string;
  project: string;
  close(): Promise<void>;
}

/** The part of 'nest-mesh/client' used here (libs/client). */
interface ClientEntry {
  createMeshClient(options: { url: string; project: string; token?: string }): {
    call(service: string, func: string, params?: unknown, options?: Omit<TestingCallOptions, 'token'>): Promise<unknown>;
  };
}

/**
 * The gateway's bundle, where this file is in the package (dist/libs/mesh/src/testing/ next to
 * dist/apps/gateway/): the gateway with its own Nest, so it runs beside an app on Nest 11 or 12.
 */
const GATEWAY_BUNDLE = '../../../../apps/gateway/main.js';
/** The package's own HTTP client, so a failed call is the `MeshHttpError` an app imports from 'nest-mesh/client'. */
const CLIENT_ENTRY = 'nest-mesh/client';

/**
 * Starts a gateway and its embedded broker in this process on free ports, for tests (jest,
 * node:test): `config` is a gateway configuration object (docs/config.md); the ports, hosts and
 * broker are chosen here, and without `rules` every function is allowed. Rejects with the
 * gateway's config error (naming the path) for a config it would refuse. docs/testing.md.
 */
export async function createTestingMesh(config: TestingMeshConfig = {}): Promise<TestingMesh> {
  const gateway: TestingGateway = await (require(GATEWAY_BUNDLE) as { startTestingGateway(config: unknown): Promise<TestingGateway> }).startTestingGateway(config);
  const { createMeshClient } = require(CLIENT_ENTRY) as ClientEntry;
  const { url, servers, project } = gateway;
  return {
    servers,
    url,
    call: <T>(service: string, func: string, params?: unknown, { token, ...options }: TestingCallOptions = {}) =>
      createMeshClient({ url, project, token }).call(service, func, params, options) as Promise<T>,
    close: () => gateway.close(),
  };
}
