/** The embedded broker's own API: start, url/port, address in use, close with clients, logging. */
import { connect } from 'nats';
import { BrokerAddressInUseError, EmbeddedBroker } from '@nest-mesh/broker';
import { RawClient } from './raw-client';

jest.setTimeout(15_000);

describe('EmbeddedBroker lifecycle', () => {
  const brokers: EmbeddedBroker[] = [];
  const started = async (b: EmbeddedBroker) => {
    brokers.push(b);
    return b.start();
  };
  afterEach(async () => {
    await Promise.all(brokers.splice(0).map((b) => b.close()));
  });

  it('listens on a free port when asked for 0 and reports the real one', async () => {
    const b = await started(new EmbeddedBroker({ port: 0 }));
    expect(b.port).toBeGreaterThan(0);
    expect(b.url).toBe(`nats://127.0.0.1:${b.port}`);
    const nc = await connect({ servers: b.url, reconnect: false });
    await nc.flush();
    await nc.close();
  });

  it('rejects with BrokerAddressInUseError when the port is taken', async () => {
    const first = await started(new EmbeddedBroker({ port: 0 }));
    const second = new EmbeddedBroker({ port: first.port });
    const err = await second.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerAddressInUseError);
    expect((err as Error).message).toBe(`embedded broker: 127.0.0.1:${first.port} is already in use`);
    await second.close();
  });

  it('close() flushes and ends every client, then resolves; twice is harmless', async () => {
    const b = await started(new EmbeddedBroker({ port: 0 }));
    const raw = await RawClient.open(b.port);
    raw.send('CONNECT {"verbose":false}\r\nSUB a 1\r\nPING\r\n');
    await raw.waitFor('PONG\r\n');
    const nc = await connect({ servers: b.url, reconnect: false });
    const closed = nc.closed();
    await b.close();
    await raw.waitClosed();
    await expect(closed).resolves.toBeUndefined();
    await b.close();
    raw.close();
  });

  it('logs one line per event, without payloads or secrets', async () => {
    const lines: string[] = [];
    const logger = { log: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    const b = await started(new EmbeddedBroker({ port: 0, token: 'tok-secret', logger }));
    const raw = await RawClient.open(b.port);
    raw.send('CONNECT {"verbose":false,"auth_token":"tok-secret"}\r\nSUB a 1\r\nPUB a 14\r\npayload-secret\r\nBAD\r\n');
    await raw.waitClosed();
    await b.close();
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) {
      expect(line).not.toMatch(/secret|\n/);
    }
    expect(lines.some((l) => l.includes('unknown protocol operation'))).toBe(true);
  });
});
