import { writeFileSync } from 'node:fs';
import { TestProcess } from '../support/child';
import { freePort } from '../support/free-port';
import { ADAPTERS, GATEWAY_MAIN, post, startGateway } from '../support/mesh';
import { writeConfig } from '../support/config-file';

/**
 * SIGHUP applies new rate limits, CORS origins and maxInFlight, and names in one line the keys that
 * need a restart; a wrong edge key stops the gateway at start-up with a line naming its path.
 */

const A = 'http://a.localhost:3000';
const B = 'http://b.localhost:3000';

for (const adapter of ADAPTERS) {
  describe(`reloading limits and CORS origins on SIGHUP (embedded, ${adapter})`, () => {
    let gateway: TestProcess;
    let url: string;
    let configPath: string;
    let config: (changes: { origins?: string[]; limit?: number; trustProxy?: number | false }) => object;

    beforeAll(async () => {
      const port = await freePort();
      const brokerPort = await freePort();
      config = ({ origins = [A], limit = 1, trustProxy = false }) => ({
        id: 'demo',
        port,
        http: { adapter, cors: { origins }, trustProxy },
        modules: {
          functions: {
            embedded: { host: '127.0.0.1', port: brokerPort },
            rules: { test: { ghost: { rule: 'allow', rateLimit: { limit, window: 60_000 } }, other: { rule: 'allow' } } },
          },
        },
      });
      configPath = writeConfig(config({}));
      ({ process: gateway, url } = await startGateway(configPath));
    });
    afterAll(() => gateway?.stop());

    const reloadWith = async (next: object): Promise<string> => {
      writeFileSync(configPath, JSON.stringify(next));
      const from = gateway.output.length;
      gateway.child.kill('SIGHUP');
      await gateway.waitFor(/config reloaded|config reload refused/, 15_000, from);
      return gateway.output.slice(from);
    };
    const origin = async (value: string) =>
      (await fetch(`${url}/v1/api/demo/functions/test/ghost`, { method: 'OPTIONS', headers: { Origin: value, 'Access-Control-Request-Method': 'POST' } })).headers.get(
        'access-control-allow-origin',
      );
    const ghost = () => post(`${url}/v1/api/demo/functions/test/ghost`, {}, {}, 15_000);

    it('applies new origins and new limits at once', async () => {
      expect(await origin(A)).toBe(A);
      expect(await origin(B)).toBeNull();
      expect((await ghost()).status).toBe(503);
      expect((await ghost()).status).toBe(429);

      const log = await reloadWith(config({ origins: [B], limit: 3 }));
      expect(log).toMatch(/config reloaded/);
      expect(log).not.toMatch(/need a restart/);
      expect(await origin(A)).toBeNull();
      expect(await origin(B)).toBe(B);
      // A changed limit starts counting afresh.
      expect((await ghost()).headers.get('x-ratelimit-limit')).toBe('3');
      expect((await ghost()).status).toBe(503);
      expect((await ghost()).status).toBe(503);
      expect((await ghost()).status).toBe(429);

      // No limit any more.
      const unlimited = config({ origins: [B] }) as { modules: { functions: { rules: { test: Record<string, unknown> } } } };
      unlimited.modules.functions.rules.test.ghost = { rule: 'allow' };
      await reloadWith(unlimited);
      const free = await ghost();
      expect(free.status).toBe(503);
      expect(free.headers.get('x-ratelimit-limit')).toBeNull();
    });

    it('names the keys that need a restart in one line and keeps them', async () => {
      const log = await reloadWith(config({ origins: [B], trustProxy: 1 }));
      expect(log).toMatch(/config reload: http\.trustProxy differ in .* but need a restart; kept as they were/);
      expect(log.match(/need a restart/g)).toHaveLength(1);
    });

    it('refuses a wrong rateLimit, naming the path, and keeps the config in use', async () => {
      const bad = config({ origins: [B] }) as { modules: { functions: { rules: { test: Record<string, unknown> } } } };
      bad.modules.functions.rules.test.ghost = { rule: 'allow', rateLimit: { limit: -1, window: 1000 } };
      const log = await reloadWith(bad);
      expect(log).toMatch(/config reload refused: modules\.functions\.rules\.test\.ghost\.rateLimit\.limit: must be a whole number of calls >= 1, not -1/);
      expect(await origin(B)).toBe(B);
    });
  });
}

describe('the edge keys at start-up', () => {
  const runGateway = (configPath: string) => TestProcess.run('gateway', process.execPath, [GATEWAY_MAIN, '--config', configPath]);

  it.each([
    [{ id: 'demo', http: { cors: { origins: '*', credentials: true } } }, 'http.cors.credentials: must not be true when http.cors.origins is "*" (browsers refuse credentials with any origin)'],
    [{ id: 'demo', modules: { functions: { rules: { a: { b: { rule: 'allow', rateLimit: { limit: 0, window: 1000 } } } } } } }, 'modules.functions.rules.a.b.rateLimit.limit: must be a whole number of calls >= 1, not 0'],
    [{ id: 'demo', modules: { functions: { rules: { a: { default: { rule: 'allow', rateLimit: { limit: 1, window: 2.5 } } } } } } }, 'modules.functions.rules.a.default.rateLimit.window: must be milliseconds in whole seconds (1000, 60000, ...), not 2.5'],
    [{ id: 'demo', modules: { functions: { maxInFlight: -1 } } }, 'modules.functions.maxInFlight: must not be less than 1'],
  ])('exits with code 1 and one line naming the path (%#)', async (config, message) => {
    const { code, output } = await runGateway(writeConfig(config));
    expect(code).toBe(1);
    expect(output.trim()).toBe(`nest-mesh gateway: config: ${message}`);
  });

  it('names every wrong key at once', async () => {
    const { code, output } = await runGateway(writeConfig({ id: 'demo', http: { trustProxy: 'maybe', cors: { origins: ['x'], colour: 1 } }, modules: { functions: { maxInFlight: 0 } } }));
    expect(code).toBe(1);
    for (const path of ['http.cors.origins', 'http.cors.colour', 'http.trustProxy', 'modules.functions.maxInFlight']) expect(output).toContain(`${path}: `);
  });
});
