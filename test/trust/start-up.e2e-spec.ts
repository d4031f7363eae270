import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { TestProcess } from '../support/child';
import { freePort } from '../support/free-port';
import { GATEWAY_MAIN, post, startGateway } from '../support/mesh';
import { writeConfig } from '../support/config-file';
import { tryConnect } from './broker-access';

/** Trust at start-up: an open broker reachable from other machines is refused; bad trust settings stop the gateway. */
describe('trust settings at gateway start-up', () => {
  const runGateway = (config: object) => TestProcess.run('gateway', process.execPath, [GATEWAY_MAIN, '--config', writeConfig(config)]);

  it('refuses an embedded broker on a non-loopback host with no token, users or services: exit 1, one line', async () => {
    const { code, output } = await runGateway({ id: 'demo', modules: { functions: { embedded: { host: '0.0.0.0', port: await freePort() } } } });
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toHaveLength(1);
    expect(output).toMatch(/^nest-mesh gateway: config: modules\.functions\.embedded\.host: 0\.0\.0\.0 is not a loopback address/);
  });

  it.each([
    [{ auth: { signingKey: 'not a key' } }, {}, 'nest-mesh gateway: auth.signingKey: not a PEM private key'],
    [{}, { embedded: { port: 0, tls: { cert: '/nonexistent/cert.pem', key: '/nonexistent/key.pem' } } }, 'nest-mesh gateway: modules.functions.embedded.tls.cert: cannot read /nonexistent/cert.pem (ENOENT)'],
  ])('stops with one line naming a trust setting it cannot use (%#)', async (top, functions, line) => {
    const { code, output } = await runGateway({ id: 'demo', ...top, modules: { functions } });
    expect(code).toBe(1);
    expect(output.trim()).toBe(line);
  });

  it('serves on a non-loopback embedded broker with services: the gateway logs in with a credential of its own', async () => {
    const signingKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const gateway = await startGateway(
      writeConfig({
        id: 'demo',
        port: await freePort(),
        auth: { signingKey: '${SIGNING_KEY}' },
        modules: { functions: { embedded: { host: '0.0.0.0', port: await freePort() }, services: { a: { password: 'a-pass-1' } }, rules: { a: { default: { rule: 'allow' } } } } },
      }),
      { SIGNING_KEY: signingKey },
    );
    try {
      const brokerUrl = gateway.brokerUrl.replace('0.0.0.0', '127.0.0.1');
      expect(await tryConnect(brokerUrl, {})).toMatch(/Authorization Violation/i);
      // The gateway is connected (its own login works): no instance of `a` is a 503 at once, not a broker error.
      expect(await post(`${gateway.url}/v1/api/demo/functions/a/b`, {})).toMatchObject({ status: 503, body: { code: 'SERVICE_UNAVAILABLE' } });
      expect(gateway.process.output).not.toContain('a-pass-1');
      // The JWKS is that of auth.signingKey.
      const jwks = (await (await fetch(`${gateway.url}/.well-known/jwks.json`)).json()) as { keys: { x: string }[] };
      expect(jwks.keys[0].x).toBe(publicXOf(signingKey));
    } finally {
      await gateway.process.stop();
    }
  });
});

function publicXOf(privatePem: string): string {
  return (createPublicKey(privatePem).export({ format: 'jwk' }) as { x: string }).x;
}
