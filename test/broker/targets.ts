/**
 * The two brokers the conformance suite runs against: the embedded one and a real nats-server,
 * both started from the same settings (nats-server through a config file).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBroker } from '@nest-mesh/broker';
import { freePort } from '../support/free-port';
import { NatsServerProcess } from '../support/nats-server';

export interface BrokerSettings {
  port?: number;
  token?: string;
  users?: { user: string; password: string }[];
  pingIntervalMs?: number;
  maxPingsOut?: number;
  authTimeoutMs?: number;
  maxPayload?: number;
  maxPendingBytes?: number;
}

export interface RunningBroker {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

export interface BrokerTarget {
  readonly name: string;
  start(settings?: BrokerSettings): Promise<RunningBroker>;
}

export const embeddedTarget: BrokerTarget = {
  name: 'embedded broker',
  async start(settings = {}) {
    const broker = await new EmbeddedBroker({ ...settings, port: settings.port ?? 0 }).start();
    return { port: broker.port, url: broker.url, stop: () => broker.close() };
  },
};

export const natsServerTarget: BrokerTarget = {
  name: 'nats-server',
  async start(settings = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'nest-mesh-broker-'));
    const lines: string[] = [];
    if (settings.pingIntervalMs !== undefined) lines.push(`ping_interval: "${settings.pingIntervalMs}ms"`);
    if (settings.maxPingsOut !== undefined) lines.push(`ping_max: ${settings.maxPingsOut}`);
    if (settings.maxPayload !== undefined) lines.push(`max_payload: ${settings.maxPayload}`);
    if (settings.maxPendingBytes !== undefined) {
      // nats-server also stalls the publisher up to write_deadline (10 s) before it cuts a slow consumer.
      lines.push(`max_pending: ${settings.maxPendingBytes}`, 'write_deadline: "500ms"');
    }
    const auth: string[] = [];
    if (settings.token !== undefined) auth.push(`token: ${JSON.stringify(settings.token)}`);
    if (settings.users) {
      auth.push(`users: [${settings.users.map((u) => `{user: ${JSON.stringify(u.user)}, password: ${JSON.stringify(u.password)}}`).join(', ')}]`);
    }
    if (settings.authTimeoutMs !== undefined) auth.push(`timeout: ${settings.authTimeoutMs / 1000}`);
    if (auth.length > 0) lines.push(`authorization {\n  ${auth.join('\n  ')}\n}`);
    const config = join(dir, 'nats.conf');
    writeFileSync(config, lines.join('\n') + '\n');
    const server = new NatsServerProcess({ port: settings.port ?? (await freePort()), args: ['-c', config] });
    try {
      await server.start();
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return {
      port: server.port,
      url: server.url,
      stop: async () => {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};
