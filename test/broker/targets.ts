/**
 * The two brokers the conformance suite runs against: the embedded one and a real nats-server,
 * both started from the same settings (nats-server through a config file).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerTlsOptions, BrokerUser, EmbeddedBroker, natsServerAuthorization } from '@nest-mesh/broker';
import { freePort } from '../support/free-port';
import { NatsServerProcess } from '../support/nats-server';

export interface BrokerSettings {
  port?: number;
  token?: string;
  users?: BrokerUser[];
  tls?: BrokerTlsOptions;
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
    if (settings.token !== undefined || settings.users || settings.authTimeoutMs !== undefined) {
      lines.push(natsServerAuthorization(settings.users, { token: settings.token, authTimeoutMs: settings.authTimeoutMs }));
    }
    if (settings.tls) lines.push(natsTls(settings.tls, dir));
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

/** nats-server reads certificates from files: they go into the config's directory. */
function natsTls(tls: BrokerTlsOptions, dir: string): string {
  const file = (name: string, pem: string) => {
    const path = join(dir, name);
    writeFileSync(path, pem);
    return JSON.stringify(path);
  };
  const lines = [`cert_file: ${file('cert.pem', tls.cert)}`, `key_file: ${file('key.pem', tls.key)}`];
  if (tls.ca) lines.push(`ca_file: ${file('ca.pem', tls.ca)}`);
  if (tls.verifyClients) lines.push('verify: true');
  if (tls.handshakeTimeoutMs !== undefined) lines.push(`timeout: ${tls.handshakeTimeoutMs / 1000}`);
  return `tls {\n  ${lines.join('\n  ')}\n}`;
}
