import { join } from 'node:path';
import { TestProcess } from './child';
import { writeConfig } from './config-file';
import { freePort } from './free-port';
import { NatsServerProcess } from './nats-server';
import { testProgram } from './programs';

/** The two brokers every end-to-end suite runs against. */
export type BrokerKind = 'nats-server' | 'embedded';
export const BROKERS: BrokerKind[] = ['nats-server', 'embedded'];

/** The gateway's two HTTP adapters. */
export type HttpAdapter = 'express' | 'fastify';
export const ADAPTERS: HttpAdapter[] = ['express', 'fastify'];

const root = join(__dirname, '..', '..');
export const GATEWAY_MAIN = join(root, 'dist/apps/gateway/main.js');
export const JWT_SECRET = 'e2e-secret-of-at-least-thirty-two-bytes!';

/** Starts the built gateway with a config file; resolves once it printed its URLs. */
export async function startGateway(configPath: string, env: NodeJS.ProcessEnv = {}): Promise<{ process: TestProcess; url: string; brokerUrl: string }> {
  const proc = await TestProcess.start('gateway', process.execPath, [GATEWAY_MAIN, '--config', configPath], {
    env,
    ready: /nest-mesh broker: (\S+)/,
  });
  const url = (await proc.waitFor(/nest-mesh gateway: (\S+)/))[1];
  const brokerUrl = (await proc.waitFor(/nest-mesh broker: (\S+)/))[1];
  return { process: proc, url, brokerUrl };
}

/** Starts one instance of test/fixtures/test-services.ts connected to `servers`. */
export function startTestService(servers: string, instance: string, env: NodeJS.ProcessEnv = {}): Promise<TestProcess> {
  return TestProcess.start(
    `test service ${instance}`,
    process.execPath,
    [testProgram('test-services')],
    { env: { MESH_SERVERS: servers, INSTANCE: instance, ...env }, ready: /^ready$/m },
  );
}

export interface Mesh {
  kind: BrokerKind;
  /** The gateway's base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** The NATS URL services connect to. */
  brokerUrl: string;
  gateway: TestProcess;
  nats?: NatsServerProcess;
  services: TestProcess[];
  /** Starts another instance of the test service. */
  addService(instance: string): Promise<TestProcess>;
  /** POST /v1/api/<project>/functions/<service>/<func> with a JSON body (or a raw string). */
  call(path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpAnswer>;
  stop(): Promise<void>;
}

export interface MeshSetup {
  /** `modules.functions.rules` of the gateway's config. */
  rules: Record<string, unknown>;
  /** Instances of the test service to start. */
  services?: number;
  /** The gateway's HTTP adapter; express by default. */
  adapter?: HttpAdapter;
  /** Extra top-level config keys (e.g. `http`, `auth`). */
  config?: Record<string, unknown>;
  /** Extra `modules.functions` keys (e.g. `timeout`). */
  functions?: Record<string, unknown>;
  /** `modules.eventing` (e.g. `{enabled: true, store, triggers, rules}`); absent: eventing is off. */
  eventing?: Record<string, unknown>;
}

/** A whole mesh on free ports: broker (nats-server or the gateway's embedded one), gateway, services. */
export async function startMesh(kind: BrokerKind, setup: MeshSetup): Promise<Mesh> {
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const item of started.reverse()) await item.stop().catch(() => undefined);
    started.length = 0;
  };
  try {
    let nats: NatsServerProcess | undefined;
    let broker: Record<string, unknown>;
    if (kind === 'nats-server') {
      nats = await new NatsServerProcess().start();
      started.push(nats);
      broker = { conn: nats.url };
    } else {
      broker = { embedded: { host: '127.0.0.1', port: await freePort() } };
    }
    const configPath = writeConfig({
      id: 'demo',
      secret: JWT_SECRET,
      port: await freePort(),
      http: { adapter: setup.adapter ?? 'express' },
      ...setup.config,
      modules: { functions: { ...broker, rules: setup.rules, ...setup.functions }, ...(setup.eventing && { eventing: setup.eventing }) },
    });
    const gateway = await startGateway(configPath);
    started.push(gateway.process);
    const services: TestProcess[] = [];
    const addService = async (instance: string) => {
      const service = await startTestService(gateway.brokerUrl, instance);
      started.push(service);
      services.push(service);
      return service;
    };
    await Promise.all(Array.from({ length: setup.services ?? 1 }, (_, i) => addService(`i${i + 1}`)));
    return {
      kind,
      url: gateway.url,
      brokerUrl: gateway.brokerUrl,
      gateway: gateway.process,
      nats,
      services,
      addService,
      call: (path, body, headers) => post(`${gateway.url}${path}`, body, headers),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** An HTTP answer read whole: `body` is the JSON of `text`, or `text` itself when it is not JSON. */
export interface HttpAnswer {
  status: number;
  text: string;
  body: any;
  headers: Headers;
}

/** One POST with a bounded wait; `body` is sent as JSON unless it is a string. */
export async function post(url: string, body?: unknown, headers: Record<string, string> = {}, timeoutMs = 30_000): Promise<HttpAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return answerOf(response);
}

/** One GET with a bounded wait. */
export async function get(url: string, headers: Record<string, string> = {}, timeoutMs = 30_000): Promise<HttpAnswer> {
  return answerOf(await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) }));
}

async function answerOf(response: Response): Promise<HttpAnswer> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the text: the assertion will show it
  }
  return { status: response.status, text, body, headers: response.headers };
}
