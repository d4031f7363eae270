/** BrokerThread: the embedded broker on a worker thread, as the gateway runs it. */
import { join } from 'node:path';
import { connect, nkeyAuthenticator, nkeys, StringCodec } from 'nats';
import { BrokerAddressInUseError, BrokerConfigError, BrokerThread, EmbeddedBroker } from '@nest-mesh/broker';
import { makeTestCerts } from '../support/test-certs';

jest.setTimeout(30_000);

const sc = StringCodec();

describe('BrokerThread', () => {
  const threads: BrokerThread[] = [];
  const started = (thread: BrokerThread) => {
    threads.push(thread);
    return thread.start();
  };
  afterEach(async () => {
    await Promise.all(threads.splice(0).map((t) => t.close()));
  });

  it('serves NATS clients from its thread on the port it reports, with the options given', async () => {
    const thread = await started(new BrokerThread({ port: 0, token: 's3cret' }));
    expect(thread.port).toBeGreaterThan(0);
    expect(thread.url).toBe(`nats://127.0.0.1:${thread.port}`);
    await expect(connect({ servers: thread.url, reconnect: false })).rejects.toThrow(/Authorization/i);
    const responder = await connect({ servers: thread.url, token: 's3cret', reconnect: false });
    responder.subscribe('echo', { queue: 'q', callback: (_e, msg) => msg.respond(msg.data) });
    await responder.flush();
    const requester = await connect({ servers: thread.url, token: 's3cret', reconnect: false });
    const reply = await requester.request('echo', sc.encode('hi'), { timeout: 5000 });
    expect(sc.decode(reply.data)).toBe('hi');
    await Promise.all([requester.close(), responder.close()]);
  });

  it('takes users with permissions, nkey users and TLS through its worker', async () => {
    const certs = makeTestCerts();
    const alice = nkeys.createUser();
    try {
      const thread = await started(
        new BrokerThread({
          port: 0,
          users: [
            { user: 'orders', password: 'pw', permissions: { publish: ['mesh.billing.*'], subscribe: { allow: ['mesh.orders.* q'] }, allow_responses: { max: 1, expires: 5000 } } },
            { nkey: alice.getPublicKey() },
          ],
          tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca },
        }),
      );
      const tls = { caFile: certs.caFile };
      const orders = await connect({ servers: thread.url, user: 'orders', pass: 'pw', tls, reconnect: false });
      const violation = new Promise<string>((resolve) => {
        orders.subscribe('mesh.greeter.*', { callback: (err) => err && resolve(err.message) });
      });
      await expect(violation).resolves.toMatch(/Permissions Violation for Subscription to "mesh.greeter.\*"/);
      const signed = await connect({ servers: thread.url, authenticator: nkeyAuthenticator(alice.getSeed()), tls, reconnect: false });
      await signed.flush();
      await Promise.all([orders.close(), signed.close()]);
    } finally {
      certs.remove();
    }
  });

  it('fails to start, naming the entry, when a user or permission is malformed', async () => {
    const error = await new BrokerThread({ port: 0, users: [{ user: 'x', password: 'p', permissions: { publish: ['a b'] } }] }).start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrokerConfigError);
    expect((error as Error).message).toBe('embedded broker: user "x": publish subject "a b" is not a valid subject');
  });

  it('rejects with BrokerAddressInUseError when the port is taken', async () => {
    const taken = await new EmbeddedBroker({ port: 0 }).start();
    try {
      const error = await new BrokerThread({ port: taken.port }).start().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BrokerAddressInUseError);
      expect((error as Error).message).toBe(`embedded broker: 127.0.0.1:${taken.port} is already in use`);
    } finally {
      await taken.close();
    }
  });

  it('close() ends every client and the thread; twice is harmless', async () => {
    const thread = await started(new BrokerThread({ port: 0 }));
    const nc = await connect({ servers: thread.url, reconnect: false });
    const closed = nc.closed();
    await thread.close();
    await expect(closed).resolves.toBeUndefined();
    await thread.close();
    await expect(connect({ servers: thread.url, reconnect: false })).rejects.toThrow();
  });

  it('sends its log lines to the logger of the main thread', async () => {
    const lines: string[] = [];
    const logger = { log: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    const thread = await started(new BrokerThread({ port: 0, logger }));
    const nc = await connect({ servers: thread.url, reconnect: false });
    await nc.close();
    await thread.close();
    expect(lines).toEqual(
      expect.arrayContaining([`embedded broker: listening on ${thread.url}`, expect.stringMatching(/^embedded broker: client \d+ connected/), `embedded broker: closed ${thread.url}`]),
    );
  });

  it('tells its crash listeners when the thread dies without being closed', async () => {
    const thread = await started(new BrokerThread({}, join(__dirname, '../fixtures/short-lived-broker-thread.ts')));
    const crash = await new Promise<Error>((resolve) => thread.onCrash(resolve));
    expect(crash.message).toBe('embedded broker: thread exited with code 3');
  });
});
