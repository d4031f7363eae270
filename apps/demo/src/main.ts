import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { parseDocument } from 'yaml';
import { DEFAULT_NATS_PORT } from '@nest-mesh/wire';
import { meshMicroservice } from 'nest-mesh';
import { DemoModule } from './demo.module';

/**
 * `npm start`: the gateway (with its embedded broker) in one process, the demo services in this
 * one, connected to it the way any service would be. Ctrl-C stops both.
 */
const logger = new Logger('Demo');
const root = join(__dirname, '..', '..', '..');

async function main(): Promise<void> {
  const brokerPort = process.env.DEMO_BROKER_PORT ? Number(process.env.DEMO_BROKER_PORT) : await defaultBrokerPort();
  const configPath = process.env.PG_URL ? await withTableTrigger(join(root, 'apps/demo/mesh.yaml'), process.env.PG_URL) : join(root, 'apps/demo/mesh.yaml');
  const gateway = spawn(process.execPath, [join(root, 'dist/apps/gateway/main.js'), '--config', configPath], {
    env: {
      MESH_JWT_SECRET: 'demo-secret-change-me-demo-secret-change-me',
      DEMO_EVENTS_DIR: join(root, 'data/events'),
      ...process.env,
      DEMO_BROKER_PORT: String(brokerPort),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const gatewayExit = new Promise<number | null>((resolve) => gateway.once('exit', resolve));
  process.on('exit', () => gateway.exitCode === null && gateway.kill('SIGKILL'));
  const { url, brokerUrl } = await gatewayUrls(gateway);

  const services = await NestFactory.createMicroservice(DemoModule, meshMicroservice({ servers: brokerUrl }));
  await services.listen();
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await services.close(); // stop taking calls, finish those in flight
    if (gateway.exitCode === null) gateway.kill('SIGTERM');
    await gatewayExit;
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));
  void gatewayExit.then((code) => {
    if (!stopping) logger.error(`the gateway stopped (exit ${code})`);
    void stop(1);
  });
  process.stdout.write(
    [
      '',
      `nest-mesh demo is up: gateway ${url}, broker ${brokerUrl}`,
      'Try:',
      `  curl -s -X POST ${url}/v1/api/demo/functions/greeter/hello -H 'Content-Type: application/json' -d '{"params":{"name":"Ada"}}'`,
      `  curl -s -X POST ${url}/v1/api/demo/functions/math/divide -H 'Content-Type: application/json' -d '{"params":{"a":1,"b":0}}'`,
      `  open ${url}/console/   (services, rules, params schemas, a form to try calls)`,
      `  curl -s -X POST ${url}/v1/api/demo/eventing/queue -H 'Content-Type: application/json' -d '{"type":"user.signup","payload":{"email":"ada@example.com"}}'`,
      ...(process.env.PG_URL ? [`  psql "$PG_URL" -c "INSERT INTO demo_orders (item, qty) VALUES ('tea', 2)"`] : []),
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
}

/**
 * With PG_URL set: makes the table public.demo_orders (if missing) and a copy of the config with a
 * table trigger on it, so every insert, update or delete there calls orders.changed.
 */
async function withTableTrigger(configPath: string, pgUrl: string): Promise<string> {
  const client = new Client({ connectionString: pgUrl });
  await client.connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS public.demo_orders (id serial PRIMARY KEY, item text NOT NULL, qty int NOT NULL)');
  } finally {
    await client.end();
  }
  const config = parseDocument(readFileSync(configPath, 'utf8'));
  config.setIn(['modules', 'eventing', 'triggers', 'order-changed'], {
    on: { table: 'public.demo_orders', ops: ['insert', 'update', 'delete'], db: '${PG_URL}' },
    call: { service: 'orders', func: 'changed' },
  });
  const path = join(mkdtempSync(join(tmpdir(), 'nest-mesh-demo-')), 'mesh.yaml');
  writeFileSync(path, config.toString());
  return path;
}

/** Relays the gateway's output and resolves with the URLs it prints. */
function gatewayUrls(gateway: ChildProcess): Promise<{ url: string; brokerUrl: string }> {
  return new Promise((resolve, reject) => {
    let seen = '';
    gateway.stdout!.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      seen += chunk.toString();
      const url = /nest-mesh gateway: (http\S+)/.exec(seen)?.[1];
      const brokerUrl = /nest-mesh broker: (nats\S+)/.exec(seen)?.[1];
      if (url && brokerUrl) resolve({ url, brokerUrl });
    });
    gateway.once('exit', (code) => reject(new Error(`the gateway exited (${code}) before it was up`)));
  });
}

/** DEFAULT_NATS_PORT (4222) as NATS users expect, unless something (another NATS server?) holds it. */
async function defaultBrokerPort(): Promise<number> {
  if (await isFree(DEFAULT_NATS_PORT)) return DEFAULT_NATS_PORT;
  const port = await anyFreePort();
  logger.warn(`port ${DEFAULT_NATS_PORT} is taken (another NATS server?); the embedded broker takes ${port}`);
  return port;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
      .once('error', reject)
      .listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
  });
}

main().catch((error: Error) => {
  process.stderr.write(`nest-mesh demo: ${error.message}\n`);
  process.exit(1);
});
