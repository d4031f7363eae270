/**
 * TLS, run against the embedded broker and nats-server with the same certificates: INFO in plain
 * text with tls_required, then the upgrade; plaintext clients, stalled handshakes and (with
 * verifyClients) clients without a trusted certificate are refused.
 */
import { connect, NatsConnection, StringCodec } from 'nats';
import { describeWithNatsServer } from '../support/nats-server';
import { makeTestCerts, TestCerts } from '../support/test-certs';
import { RawClient } from './raw-client';
import { BrokerTarget, embeddedTarget, natsServerTarget, RunningBroker } from './targets';

jest.setTimeout(30_000);

const sc = StringCodec();

function tlsSuite(target: BrokerTarget): void {
  let certs: TestCerts;
  let broker: RunningBroker;
  let verifying: RunningBroker;
  const conns: NatsConnection[] = [];
  const raws: RawClient[] = [];

  const nc = async (on: RunningBroker, tls: Record<string, string>): Promise<NatsConnection> => {
    const c = await connect({ servers: on.url, reconnect: false, timeout: 5000, tls });
    conns.push(c);
    return c;
  };
  const raw = async (port: number): Promise<RawClient> => {
    const r = await RawClient.open(port);
    raws.push(r);
    return r;
  };

  beforeAll(async () => {
    certs = makeTestCerts();
    const tls = { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca, handshakeTimeoutMs: 500 };
    broker = await target.start({ tls });
    verifying = await target.start({ tls: { ...tls, verifyClients: true } });
  });
  afterEach(async () => {
    for (const r of raws.splice(0)) r.close();
    await Promise.all(conns.splice(0).map((c) => c.close().catch(() => undefined)));
  });
  afterAll(async () => {
    await broker?.stop();
    await verifying?.stop();
    certs?.remove();
  });

  it('says tls_required in the plain-text INFO (and tls_verify when it checks clients)', async () => {
    const info = JSON.parse((await raw(broker.port)).info.slice(5, -3));
    expect(info.tls_required).toBe(true);
    expect(info.tls_verify).toBeUndefined();
    const strict = JSON.parse((await raw(verifying.port)).info.slice(5, -3));
    expect(strict).toMatchObject({ tls_required: true, tls_verify: true });
  });

  it('serves a nats.js client that trusts the CA', async () => {
    const client = await nc(broker, { caFile: certs.caFile });
    const sub = client.subscribe('secure.echo', { max: 1 });
    client.publish('secure.echo', sc.encode('over tls'));
    const got: string[] = [];
    for await (const m of sub) got.push(sc.decode(m.data));
    expect(got).toEqual(['over tls']);
  });

  it('refuses a client that does not trust the certificate', async () => {
    await expect(connect({ servers: broker.url, reconnect: false, timeout: 5000 })).rejects.toThrow();
  });

  it('refuses a plaintext client: it gets no answer and is closed', async () => {
    const r = await raw(broker.port);
    r.send('CONNECT {"verbose":false}\r\nPING\r\n');
    await r.waitClosed(5000);
    expect(r.out).not.toContain('PONG');
  });

  it('closes a connection whose handshake never finishes, within a bound', async () => {
    const r = await raw(broker.port);
    const started = Date.now();
    await r.waitClosed(8000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('verifyClients: serves a client with a certificate of the CA', async () => {
    const client = await nc(verifying, { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile });
    await client.flush();
    expect(client.isClosed()).toBe(false);
  });

  it.each([
    ['no certificate', () => ({})],
    ['a certificate of another CA', () => ({ certFile: certs.strangerCertFile, keyFile: certs.strangerKeyFile })],
  ])('verifyClients: refuses a client with %s', async (_name, files) => {
    const attempt = connect({ servers: verifying.url, reconnect: false, timeout: 5000, tls: { caFile: certs.caFile, ...files() } }).then(
      async (c) => {
        // With TLS 1.3 the client may finish its side first: the broker then drops it at once.
        await c.flush();
        conns.push(c);
        return c;
      },
    );
    await expect(attempt).rejects.toThrow();
  });
}

describe(`broker TLS: ${embeddedTarget.name}`, () => tlsSuite(embeddedTarget));
describeWithNatsServer(`broker TLS: ${natsServerTarget.name}`, () => tlsSuite(natsServerTarget));
