import { readFileSync } from 'node:fs';
import { connect as tlsConnect, createServer, Server } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { CertFiles, makeTestCerts, TestCerts } from '../support/test-certs';
import { EmbeddedBroker } from '@nest-mesh/broker';
import { checkOwnBrokerTls, gatewayTlsOptions, readEmbeddedTls } from '../../apps/gateway/src/trust/embedded-tls';

/**
 * The embedded broker's TLS files, checked at start-up, and the gateway's own TLS connection to
 * it: a real handshake with a TLS server that presents the files, for each kind of chain.
 */
describe('embedded broker TLS', () => {
  let certs: TestCerts;
  beforeAll(() => {
    certs = makeTestCerts();
  });
  afterAll(() => certs?.remove());

  /** Resolves with the handshake's error message, or 'ok'. */
  async function handshake(served: CertFiles, client: object): Promise<string> {
    const server: Server = createServer({ cert: readFileSync(served.cert), key: readFileSync(served.key) }, (socket) => socket.end());
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      return await new Promise<string>((resolve) => {
        const socket = tlsConnect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, ...client }, () => {
          socket.destroy();
          resolve('ok');
        });
        socket.on('error', (error) => resolve(error.message));
      });
    } finally {
      server.close();
    }
  }

  it.each([
    ['a certificate signed by a CA', 'server'],
    ['a chain file (leaf, then intermediate)', 'chain'],
    ['a self-signed certificate', 'selfSigned'],
    ['a certificate for another host name', 'otherHost'],
  ] as const)('the gateway trusts its own broker with %s, and only that certificate', async (_, kind) => {
    const options = gatewayTlsOptions(readEmbeddedTls({ ...certs[kind], verifyClients: false }));
    expect(await handshake(certs[kind], options)).toBe('ok');
    // Another certificate of the same CA is not the one the gateway loaded.
    const other = kind === 'server' ? certs.serverAndClient : certs.server;
    expect(await handshake(other, options)).not.toBe('ok');
  });

  it('reads the files as PEM contents, the chain file whole', () => {
    const tls = readEmbeddedTls({ ...certs.chain, ca: certs.caFile, verifyClients: false });
    expect(tls).toEqual({ cert: readFileSync(certs.chain.cert, 'utf8'), key: readFileSync(certs.chain.key, 'utf8'), ca: certs.ca, verifyClients: false });
  });

  it('with verifyClients, presents the certificate when it is signed by ca and allowed for clients', () => {
    const tls = readEmbeddedTls({ ...certs.serverAndClient, ca: certs.caFile, verifyClients: true });
    expect(gatewayTlsOptions(tls)).toMatchObject({ cert: tls.cert, key: tls.key });
    expect(() => readEmbeddedTls({ ...certs.chain, ca: certs.caFile, verifyClients: true })).toThrow(/is for servers only/);
    expect(gatewayTlsOptions(readEmbeddedTls({ ...certs.server, verifyClients: false }))).not.toHaveProperty('key');
  });

  const at = 'modules.functions.embedded.tls';
  it.each([
    ['a missing file', () => ({ cert: '/nonexistent/cert.pem', key: certs.server.key }), () => `${at}.cert: cannot read /nonexistent/cert.pem (ENOENT)`],
    ['a key that is not the certificate’s', () => ({ cert: certs.server.cert, key: certs.selfSigned.key }), () => `${at}.key: ${certs.selfSigned.key} is not the private key of the certificate in ${certs.server.cert}`],
    ['an expired certificate', () => ({ ...certs.expired }), () => `${at}.cert: the certificate in ${certs.expired.cert} expired on `],
    ['a cert file with no certificate', () => ({ cert: certs.server.key, key: certs.server.key }), () => `${at}.cert: ${certs.server.key} holds no PEM certificate`],
    ['a key file with no key', () => ({ cert: certs.server.cert, key: certs.server.cert }), () => `${at}.key: ${certs.server.cert} holds no PEM private key`],
    ['a ca file with no certificate', () => ({ ...certs.server, ca: certs.server.key }), () => `${at}.ca: ${certs.server.key} holds no PEM certificate`],
    [
      'verifyClients with a certificate that ca did not sign',
      () => ({ ...certs.selfSigned, ca: certs.caFile, verifyClients: true }),
      () => `${at}.cert: with verifyClients the gateway logs in to its broker with this certificate, but ${certs.selfSigned.cert} is not signed by the CA in ${certs.caFile}`,
    ],
  ])('stops at %s, naming the key', (_, files, message) => {
    expect(() => readEmbeddedTls({ verifyClients: false, ...files() })).toThrow(message());
  });

  it('stops at a certificate that is not valid yet, or no longer', () => {
    const tls = { ...certs.server, verifyClients: false };
    expect(() => readEmbeddedTls(tls, Date.now() - 86_400_000)).toThrow(new RegExp(`^${at}\\.cert: the certificate in .* is not valid before \\d{4}-`));
    expect(() => readEmbeddedTls(tls, Date.now() + 5 * 86_400_000)).toThrow(new RegExp(`^${at}\\.cert: the certificate in .* expired on \\d{4}-`));
  });

  it('checks at start-up that the gateway can connect to its own broker, else stops naming embedded.tls', async () => {
    const broker = await new EmbeddedBroker({ host: '127.0.0.1', port: 0, tls: readEmbeddedTls({ ...certs.chain, verifyClients: false }) }).start();
    try {
      await expect(checkOwnBrokerTls({ servers: broker.url, tls: gatewayTlsOptions(readEmbeddedTls({ ...certs.chain, verifyClients: false })) })).resolves.toBeUndefined();
      // Options pinned to another certificate than the broker's: no connection.
      await expect(checkOwnBrokerTls({ servers: broker.url, tls: gatewayTlsOptions(readEmbeddedTls({ ...certs.server, verifyClients: false })) })).rejects.toThrow(
        /^modules\.functions\.embedded\.tls: the gateway cannot connect to its own broker over TLS: \S/,
      );
    } finally {
      await broker.close();
    }
  });
});
