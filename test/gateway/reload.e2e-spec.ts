import { writeFileSync } from 'node:fs';
import { TestProcess } from '../support/child';
import { freePort } from '../support/free-port';
import { describeWithNatsServer, NatsServerProcess } from '../support/nats-server';
import { BROKERS, BrokerKind, JWT_SECRET, post, startGateway, startTestService } from '../support/mesh';
import { writeConfig } from '../support/config-file';
import { signToken } from '../support/tokens';

/** SIGHUP reloads the rules and token settings from the same file, without a restart and without failing a call. */

const NEW_SECRET = 'e2e-second-secret-also-thirty-two-bytes!';

const sign = (secret: string) => signToken({ sub: 'ada' }, { secret });

const guard = { rule: 'func', service: 'guard', func: 'check' };

for (const kind of BROKERS) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;

  describeFor(`config reload on SIGHUP (${kind})`, () => {
    const stops: { stop(): Promise<void> }[] = [];
    let gateway: TestProcess;
    let url: string;
    let configPath: string;
    let config: (changes: { secret?: string; port?: number; rules?: Record<string, unknown> }) => object;

    beforeAll(async () => {
      let broker: Record<string, unknown>;
      if (kind === ('nats-server' as BrokerKind)) {
        const nats = await new NatsServerProcess().start();
        stops.push(nats);
        broker = { conn: nats.url };
      } else {
        broker = { embedded: { host: '127.0.0.1', port: await freePort() } };
      }
      const port = await freePort();
      config = ({ secret = JWT_SECRET, port: newPort = port, rules = {} }) => ({
        id: 'demo',
        secret,
        port: newPort,
        modules: {
          functions: {
            ...broker,
            ruleTimeout: 3000,
            rules: {
              test: { echo: { rule: 'allow' }, sleep: { rule: 'allow' }, whoami: { rule: 'authenticated' }, nothing: { rule: 'deny' } },
              guard: { check: { rule: 'deny' } },
              gated: { checked: guard, admin: guard },
              ...rules,
            },
          },
        },
      });
      configPath = writeConfig(config({}));
      const started = await startGateway(configPath);
      gateway = started.process;
      url = started.url;
      stops.push(gateway);
      stops.push(await startTestService(started.brokerUrl, 'i1'));
    });
    afterAll(async () => {
      for (const item of stops.reverse()) await item.stop().catch(() => undefined);
    });

    const call = (service: string, func: string, body: unknown = {}, headers?: Record<string, string>) =>
      post(`${url}/v1/api/demo/functions/${service}/${func}`, body, headers, 15_000);

    /** Sends SIGHUP after rewriting the config file; resolves with the output offset from before the signal. */
    const reloadWith = (next: object | string): number => {
      writeFileSync(configPath, typeof next === 'string' ? next : JSON.stringify(next, null, 2));
      const from = gateway.output.length;
      gateway.child.kill('SIGHUP');
      return from;
    };

    it('replaces rules and token settings under a steady stream of calls, failing none', async () => {
      const oldToken = await sign(JWT_SECRET);
      const newToken = await sign(NEW_SECRET);
      expect((await call('test', 'nothing')).status).toBe(403);
      expect((await call('test', 'whoami', {}, { Authorization: `Bearer ${oldToken}` })).status).toBe(200);
      expect((await call('test', 'whoami', {}, { Authorization: `Bearer ${newToken}` })).status).toBe(401);

      // 8 workers for ~2 s (at most 4000 calls): plain calls, slow ones, and calls behind a func rule.
      const failures: string[] = [];
      const completions: number[] = [];
      const streamUntil = Date.now() + 2000;
      let sent = 0;
      const worker = async (w: number) => {
        while (Date.now() < streamUntil && sent < 4000) {
          const i = sent++;
          const [service, func, body] =
            i % 3 === 0 ? ['test', 'echo', { params: { i } }] : i % 3 === 1 ? ['test', 'sleep', { params: { ms: 30 } }] : ['gated', 'checked', { params: { guard: 'yes' } }];
          const res = await call(service as string, func as string, body).catch((error: Error) => ({ status: 0, body: error.message }));
          completions.push(Date.now());
          if (res.status !== 200) failures.push(`worker ${w} call ${i} ${service}.${func}: ${res.status} ${JSON.stringify(res.body)}`);
        }
      };
      const stream = Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));

      // A call whose func rule is still waiting for its guard when the reload lands: it finishes under the old rule.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const inFlight = call('gated', 'admin', { params: { guard: 'sleep', ms: 1200 } });
      await new Promise((resolve) => setTimeout(resolve, 300));

      const from = reloadWith(
        config({ secret: NEW_SECRET, port: 1, rules: { test: { echo: { rule: 'allow' }, sleep: { rule: 'allow' }, whoami: { rule: 'authenticated' }, nothing: { rule: 'allow' } }, gated: { checked: guard, admin: { rule: 'deny' } } } }),
      );
      const reloadedAt = Date.now();
      await gateway.waitFor(/config reloaded/, 10_000, from);
      expect(gateway.output.slice(from)).toMatch(/config reload: port differ in .* but need a restart; kept as they were/);

      expect((await inFlight).status).toBe(200);
      await stream;
      expect(failures).toEqual([]);
      expect(completions.filter((t) => t < reloadedAt).length).toBeGreaterThan(10);
      expect(completions.filter((t) => t > reloadedAt).length).toBeGreaterThan(10);

      // The new rules and the new secret hold; the port did not change (we still call the old URL).
      expect(await call('test', 'nothing')).toMatchObject({ status: 200, body: { result: null } });
      expect(await call('gated', 'admin', { params: { guard: 'yes' } })).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
      expect((await call('test', 'whoami', {}, { Authorization: `Bearer ${newToken}` })).status).toBe(200);
      expect(await call('test', 'whoami', {}, { Authorization: `Bearer ${oldToken}` })).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
    });

    it('refuses an invalid file with one line naming the path, keeps the old config and keeps running', async () => {
      const newToken = await sign(NEW_SECRET);
      const invalid = config({ secret: NEW_SECRET, rules: { test: { echo: { rule: 'alow' }, nothing: { rule: 'deny' } } } });
      const from = reloadWith(invalid);
      const [line] = await gateway.waitFor(/config reload refused: .*/, 10_000, from);
      expect(line).toContain('modules.functions.rules.test.echo.rule: unknown rule "alow"');
      expect(line).toContain(configPath);
      expect(gateway.output.slice(from)).not.toMatch(/config reloaded/);

      const badKey = reloadWith({ ...config({ secret: NEW_SECRET }), auth: { publicKeys: [{ alg: 'RS256', pem: 'not a key' }] } });
      expect((await gateway.waitFor(/config reload refused: .*/, 10_000, badKey))[0]).toContain('auth.publicKeys.0.pem');

      const yaml = reloadWith('id: demo\nmodules: [unclosed');
      expect((await gateway.waitFor(/config reload refused: .*/, 10_000, yaml))[0]).toMatch(/not valid YAML or JSON/);

      expect(gateway.running).toBe(true);
      expect(await call('test', 'nothing')).toMatchObject({ status: 200 });
      expect((await call('test', 'echo', { params: 'still here' })).body).toEqual({ result: 'still here' });
      expect((await call('test', 'whoami', {}, { Authorization: `Bearer ${newToken}` })).status).toBe(200);
    });

    it('reloads again after a refused file', async () => {
      const from = reloadWith(config({}));
      await gateway.waitFor(/config reloaded/, 10_000, from);
      expect((await call('test', 'nothing')).status).toBe(403);
      expect((await call('test', 'whoami', {}, { Authorization: `Bearer ${await sign(JWT_SECRET)}` })).status).toBe(200);
    });
  });
}
