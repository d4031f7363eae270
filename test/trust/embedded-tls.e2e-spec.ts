import { connect, ConnectionOptions, NatsConnection } from 'nats';
import { freePort } from '../support/free-port';
import { GATEWAY_MAIN, post, startGateway } from '../support/mesh';
import { writeConfig } from '../support/config-file';
import { makeTestCerts, TestCerts } from '../support/test-certs';
import { TestProcess } from '../support/child';
import { tryConnect } from './broker-access';

/**
 * `modules.functions.embedded.tls` end to end: the gateway reads the PEM files, its embedded broker
 * upgrades every connection right after INFO, the gateway itself connects over TLS to the
 * certificate it loaded (whatever its chain, docs/security.md#tls), and a service with the CA
 * serves calls made through the gateway; a plaintext client is refused; a set-up that cannot work
 * stops the start with one line naming the key.
 */

async function gatewayWithTls(tls: Record<string, unknown>): Promise<{ process: TestProcess; url: string; brokerUrl: string }> {
  return startGateway(
    writeConfig({
      id: 'demo',
      port: await freePort(),
      modules: { functions: { embedded: { host: '127.0.0.1', port: await freePort(), tls }, rules: { tls: { default: { rule: 'allow' } } } } },
    }),
  );
}

/** A service connected with `tls` answers `mesh.tls.echo`; a call through the gateway reaches it. */
async function expectCallThrough(gateway: { url: string; brokerUrl: string }, tls: ConnectionOptions['tls']): Promise<void> {
  const service = await connect({ servers: gateway.brokerUrl, reconnect: false, timeout: 5000, tls });
  try {
    service.subscribe('mesh.tls.echo', { queue: 'q', callback: (_, msg) => msg.respond(msg.data) });
    await service.flush();
    const reply = await post(`${gateway.url}/v1/api/demo/functions/tls/echo`, { params: { over: 'tls' } });
    expect(reply).toMatchObject({ status: 200, body: { result: { over: 'tls' } } });
  } finally {
    await service.close();
  }
}

describe('the embedded broker with embedded.tls', () => {
  let certs: TestCerts;
  let gateway: { process: TestProcess; url: string; brokerUrl: string };
  let service: NatsConnection | undefined;

  beforeAll(async () => {
    certs = makeTestCerts();
    gateway = await gatewayWithTls({ ...certs.server, ca: certs.caFile });
  });

  afterAll(async () => {
    await service?.close();
    await gateway?.process.stop();
    certs?.remove();
  });

  it('refuses a client that does not trust its CA (the TLS handshake fails)', async () => {
    const result = await tryConnect(gateway.brokerUrl, {});
    if (typeof result !== 'string') await result.close();
    expect(typeof result).toBe('string');
  });

  it('serves a call from the gateway (over TLS) to a service that trusts the CA', async () => {
    service = await connect({ servers: gateway.brokerUrl, tls: { caFile: certs.caFile } });
    service.subscribe('mesh.tls.echo', { queue: 'q', callback: (_, msg) => msg.respond(msg.data) });
    await service.flush();
    const reply = await post(`${gateway.url}/v1/api/demo/functions/tls/echo`, { params: { over: 'tls' } });
    expect(reply).toMatchObject({ status: 200, body: { result: { over: 'tls' } } });
  });
});

describe('the gateway reaches its own embedded broker whatever the certificate chain', () => {
  let certs: TestCerts;
  beforeAll(() => {
    certs = makeTestCerts();
  });
  afterAll(() => certs?.remove());

  const cases: [string, (certs: TestCerts) => { tls: Record<string, unknown>; service: ConnectionOptions['tls'] }][] = [
    ['a certificate signed by a CA, without ca', (c) => ({ tls: { ...c.server }, service: { caFile: c.caFile } })],
    ['a chain file (leaf, then intermediate), without ca', (c) => ({ tls: { ...c.chain }, service: { caFile: c.caFile } })],
    ['a chain file with ca', (c) => ({ tls: { ...c.chain, ca: c.caFile }, service: { caFile: c.caFile } })],
    ['a self-signed certificate', (c) => ({ tls: { ...c.selfSigned }, service: { caFile: c.selfSigned.cert } })],
    // The gateway dials 127.0.0.1; a service that knows the name checks it.
    ['a certificate for another host name', (c) => ({ tls: { ...c.otherHost, ca: c.caFile }, service: { caFile: c.caFile, servername: 'broker.example.com' } })],
    [
      'verifyClients, with a certificate for servers and clients: the gateway presents it',
      (c) => ({ tls: { ...c.serverAndClient, ca: c.caFile, verifyClients: true }, service: { caFile: c.caFile, certFile: c.clientCertFile, keyFile: c.clientKeyFile } }),
    ],
  ];

  it.each(cases)('%s: calls through the gateway reach a service over TLS', async (_, setUp) => {
    const { tls, service } = setUp(certs);
    const gateway = await gatewayWithTls(tls);
    try {
      expect(gateway.process.output).not.toMatch(/unreachable/);
      await expectCallThrough(gateway, service);
    } finally {
      await gateway.process.stop();
    }
  });
});

describe('an embedded.tls set-up that cannot work stops the start with one line', () => {
  let certs: TestCerts;
  beforeAll(() => {
    certs = makeTestCerts();
  });
  afterAll(() => certs?.remove());

  const at = 'modules.functions.embedded.tls';
  const cases: [string, (c: TestCerts) => Record<string, unknown>, (c: TestCerts) => string][] = [
    [
      'a key that is not the certificate’s',
      (c) => ({ cert: c.server.cert, key: c.selfSigned.key }),
      (c) => `${at}.key: ${c.selfSigned.key} is not the private key of the certificate in ${c.server.cert}`,
    ],
    ['an expired certificate', (c) => ({ ...c.expired }), (c) => `${at}.cert: the certificate in ${c.expired.cert} expired on `],
    ['a cert file with no certificate', (c) => ({ cert: c.server.key, key: c.server.key }), (c) => `${at}.cert: ${c.server.key} holds no PEM certificate`],
    ['a key file with no private key', (c) => ({ cert: c.server.cert, key: c.server.cert }), (c) => `${at}.key: ${c.server.cert} holds no PEM private key`],
    ['a ca file with no certificate', (c) => ({ ...c.server, ca: c.server.key }), (c) => `${at}.ca: ${c.server.key} holds no PEM certificate`],
    [
      'verifyClients with a certificate for servers only (the gateway must log in with it)',
      (c) => ({ ...c.server, ca: c.caFile, verifyClients: true }),
      (c) => `${at}.cert: with verifyClients the gateway logs in to its broker with this certificate, but ${c.server.cert} is for servers only (extendedKeyUsage without clientAuth)`,
    ],
    [
      'verifyClients with a certificate that ca did not sign',
      (c) => ({ ...c.selfSigned, ca: c.caFile, verifyClients: true }),
      (c) => `${at}.cert: with verifyClients the gateway logs in to its broker with this certificate, but ${c.selfSigned.cert} is not signed by the CA in ${c.caFile}`,
    ],
  ];

  it.each(cases)('%s', async (_, tls, message) => {
    const config = writeConfig({ id: 'demo', port: await freePort(), modules: { functions: { embedded: { port: await freePort(), tls: tls(certs) } } } });
    const { code, output } = await TestProcess.run('gateway', process.execPath, [GATEWAY_MAIN, '--config', config]);
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toHaveLength(1);
    expect(output.trim()).toContain(`nest-mesh gateway: ${message(certs)}`);
  });

  it('verifyClients without ca is a config error', async () => {
    const config = writeConfig({ id: 'demo', modules: { functions: { embedded: { port: 0, tls: { ...certs.serverAndClient, verifyClients: true } } } } });
    const { code, output } = await TestProcess.run('gateway', process.execPath, [GATEWAY_MAIN, '--config', config]);
    expect([code, output.trim()]).toEqual([1, `nest-mesh gateway: config: ${at}.verifyClients: needs ${at}.ca, the CA that client certificates must be signed by`]);
  });
});
