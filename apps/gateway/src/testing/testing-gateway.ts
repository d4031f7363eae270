import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configOf } from '../config/load-config';
import type { GatewayConfig } from '../config/gateway-config';
import { RunningGateway, startGateway } from '../gateway';

/** The project id of a testing config that has no `id`. */
export const TESTING_PROJECT = 'test';
/** Where a testing gateway, its embedded broker and its management port listen: this machine only. */
const TESTING_HOST = '127.0.0.1';
/** The rules of a testing config that has none: every function is allowed. */
const ALLOW_EVERY_FUNCTION = { default: { default: { rule: 'allow' } } };
/** A testing gateway logs warnings and errors only, unless the config's `log.level` asks for more. */
const TESTING_LOG_LEVEL = 'warn';

/** A gateway and its embedded broker in this process, on free ports (docs/testing.md). */
export interface TestingGateway {
  /** The gateway's base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  /** The embedded broker's NATS URL: what a service under test connects to. */
  servers: string;
  /** The project id, the `{project}` of the gateway's routes. */
  project: string;
  /** Stops the gateway, then the broker; a second call waits for the first. */
  close(): Promise<void>;
}

/** A new folder's path for the events of a testing gateway (made by the store, removed by `close`). */
export function temporaryEventStore(): string {
  return join(tmpdir(), `nest-mesh-testing-${randomUUID()}`);
}

/**
 * 'nest-mesh/testing''s gateway (docs/testing.md): the gateway configuration object `given` (as in
 * docs/config.md), with the ports, hosts and broker chosen here, validated as a config file is.
 * Eventing without a `store` keeps its events in `eventStore()`, not in ./data/events of the test's folder.
 */
export function testingConfigOf(given: unknown = {}, eventStore: () => string = temporaryEventStore): GatewayConfig {
  if (!isMapping(given)) return configOf(given);
  const raw: Record<string, unknown> = {
    id: TESTING_PROJECT,
    ...given,
    // Port 0: the system gives a free port, read back once listening; never the broker's usual 4222.
    port: 0,
    host: TESTING_HOST,
    log: merged(given.log, (log) => ({ level: TESTING_LOG_LEVEL, ...log })),
    modules: merged(given.modules, (modules) => ({
      ...modules,
      // Always the embedded broker: `conn` is dropped.
      functions: merged(modules.functions, ({ conn: _conn, ...functions }) => ({
        rules: ALLOW_EVERY_FUNCTION,
        ...functions,
        embedded: merged(functions.embedded, (embedded) => ({ ...embedded, host: TESTING_HOST, port: 0 })),
      })),
      ...(modules.eventing !== undefined && {
        eventing: merged(modules.eventing, (eventing) => (eventing.store === undefined ? { ...eventing, store: eventStore() } : eventing)),
      }),
    })),
  };
  if (given.management !== undefined) raw.management = merged(given.management, (management) => ({ ...management, port: 0, host: TESTING_HOST }));
  return configOf(raw);
}

/** Starts a gateway and its embedded broker in this process for the testing config `given` (testingConfigOf). */
export async function startTestingGateway(given?: unknown): Promise<TestingGateway> {
  let madeStore: string | undefined;
  const config = testingConfigOf(given, () => (madeStore = temporaryEventStore()));
  const removeStore = () => (madeStore === undefined ? Promise.resolve() : rm(madeStore, { recursive: true, force: true }));
  let gateway: RunningGateway;
  try {
    gateway = await startGateway(config);
  } catch (error) {
    await removeStore();
    throw error;
  }
  let closed: Promise<void> | undefined;
  return {
    url: gateway.url,
    servers: gateway.brokerUrl,
    project: config.id,
    close: () => {
      if (!closed) {
        gateway.markStopping();
        closed = gateway.close().then(removeStore);
      }
      return closed;
    },
  };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `change(value)` when `value` is a mapping (or absent); anything else is left for validation to name. */
function merged(value: unknown, change: (value: Record<string, unknown>) => Record<string, unknown>): unknown {
  if (value === undefined) return change({});
  return isMapping(value) ? change(value) : value;
}
