import { join } from 'node:path';
import { connect, NatsConnection } from 'nats';
import { freePort } from '../support/free-port';
import { post, startGateway } from '../support/mesh';
import { writeConfig } from '../support/config-file';
import { makeTestCerts, TestCerts } from '../support/test-certs';
import { TestProcess } from '../support/child';
import { tryConnect } from './broker-access';

/**
 * `modules.functions.embedded.tls` end to end: the gateway reads the PEM files, its embedded broker
 * upgrades every connection right after INFO, the gateway itself connects over TLS trusting `ca`,
 * and a service with the CA serves calls made through the gateway; a plaintext client is refused.
 */
describe('the embedded broker with embedded.tls', () => {
  let certs: TestCerts;
  let gateway: { process: TestProcess; url: string; brokerUrl: string };
  let service: NatsConnection | undefined;

  beforeAll(async () => {
    certs = makeTestCerts();
    gateway = await startGateway(
      writeConfig({
        id: 'demo',
        port: await freePort(),
        modules: {
          functions: {
            embedded: { host: '127.0.0.1', port: await freePort(), tls: { cert: join(certs.dir, 'server.pem'), key: join(certs.dir, 'server.key'), ca: certs.caFile } },
            rules: { tls: { default: { rule: 'allow' } } },
          },
        },
      }),
    );
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
