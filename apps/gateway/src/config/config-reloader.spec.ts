import { Logger } from '@nestjs/common';
import { SignJWT } from 'jose';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeConfig as write } from './config-fixtures.spec-helper';
import { CurrentTokenVerifier, TokenVerifier } from '../auth';
import { RulesService } from '../rules/rules.service';
import type { ConfigReloadable } from './config-reloadable';
import { ConfigReloader } from './config-reloader';
import { GatewayConfig } from './gateway-config';
import { parseConfig } from './load-config';

const FIRST_SECRET = 'first-secret-of-at-least-thirty-two-bytes';
const base = {
  id: 'demo',
  secret: FIRST_SECRET,
  port: 4122,
  modules: { functions: { conn: 'nats://127.0.0.1:1', rules: { test: { echo: { rule: 'deny' } } } } },
};

describe('ConfigReloader', () => {
  let running: GatewayConfig;
  let rules: RulesService;
  let tokens: CurrentTokenVerifier;
  let reloader: ConfigReloader;
  let logs: { log: jest.SpyInstance; warn: jest.SpyInstance; error: jest.SpyInstance };

  beforeEach(async () => {
    running = parseConfig(JSON.stringify(base), {});
    rules = new RulesService(running, { call: jest.fn() } as never);
    tokens = new CurrentTokenVerifier(await TokenVerifier.create({ secret: FIRST_SECRET }));
    reloader = new ConfigReloader(running, [rules, tokens]);
    logs = {
      log: jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined),
      warn: jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined),
      error: jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined),
    };
  });
  afterEach(() => jest.restoreAllMocks());

  const decide = () => rules.current.decide('test', 'echo', { auth: undefined, params: null });

  it('replaces the rules and the token verifier together and logs "config reloaded"', async () => {
    const oldEngine = rules.current;
    const oldVerifier = tokens.current;
    const path = write({ ...base, secret: 'second-secret-of-at-least-thirty-two-bytes', modules: { functions: { ...base.modules.functions, rules: { test: { echo: { rule: 'allow' } } } } } });
    await expect(reloader.reload(path, {})).resolves.toBe(true);
    expect(rules.current).not.toBe(oldEngine);
    expect(tokens.current).not.toBe(oldVerifier);
    expect(decide()).toEqual({ allow: true });
    expect(logs.log).toHaveBeenCalledWith(`config reloaded from ${path}`);
    expect(logs.warn).not.toHaveBeenCalled();
  });

  it('refuses an invalid rule with one line naming the path, and keeps everything', async () => {
    const oldEngine = rules.current;
    const oldVerifier = tokens.current;
    const path = write({ ...base, modules: { functions: { ...base.modules.functions, rules: { test: { echo: { rule: 'alow' } } } } } });
    await expect(reloader.reload(path, {})).resolves.toBe(false);
    expect(rules.current).toBe(oldEngine);
    expect(tokens.current).toBe(oldVerifier);
    expect(logs.error).toHaveBeenCalledTimes(1);
    expect(logs.error).toHaveBeenCalledWith(`config reload refused: modules.functions.rules.test.echo.rule: unknown rule "alow" (file ${path})`);
    expect(logs.log).not.toHaveBeenCalled();
  });

  it('refuses bad token settings without installing the (valid) new rules', async () => {
    const oldEngine = rules.current;
    const path = write({
      ...base,
      auth: { publicKeys: [{ alg: 'RS256', pem: 'not a key' }] },
      modules: { functions: { ...base.modules.functions, rules: { test: { echo: { rule: 'allow' } } } } },
    });
    await expect(reloader.reload(path, {})).resolves.toBe(false);
    expect(rules.current).toBe(oldEngine);
    expect(logs.error.mock.calls[0][0]).toMatch(/^config reload refused: auth\.publicKeys\.0\.pem: /);
  });

  it('applies new audience, issuer and requireExp settings to the next tokens', async () => {
    const token = (claims: Record<string, unknown>) =>
      new SignJWT({ sub: 'ada', ...claims }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(FIRST_SECRET));
    const forOtherApp = `Bearer ${await token({ aud: 'other-app', iss: 'https://id.example.com/', exp: Math.floor(Date.now() / 1000) + 600 })}`;
    const withoutExp = `Bearer ${await token({ aud: 'my-app', iss: 'https://id.example.com/' })}`;
    expect(await tokens.current.verify(forOtherApp)).toMatchObject({ sub: 'ada' });
    await expect(tokens.current.verify(withoutExp)).rejects.toThrow('token has no exp');

    const path = write({ ...base, auth: { audience: 'my-app', issuer: ['https://id.example.com/'], requireExp: false } });
    await expect(reloader.reload(path, {})).resolves.toBe(true);
    await expect(tokens.current.verify(forOtherApp)).rejects.toThrow('token audience not accepted');
    expect(await tokens.current.verify(withoutExp)).toMatchObject({ sub: 'ada' });
  });

  it('refuses a secret shorter than 32 bytes, naming `secret`', async () => {
    const oldVerifier = tokens.current;
    await expect(reloader.reload(write({ ...base, secret: 'too-short' }), {})).resolves.toBe(false);
    expect(tokens.current).toBe(oldVerifier);
    expect(logs.error.mock.calls[0][0]).toMatch(/^config reload refused: secret: must be at least 32 bytes/);
  });

  it('puts several validation errors on one line; refuses a missing file and bad YAML', async () => {
    const several = write({ ...base, port: 'x', extra: 1 });
    await expect(reloader.reload(several, {})).resolves.toBe(false);
    expect(logs.error.mock.calls[0][0]).not.toContain('\n');
    expect(logs.error.mock.calls[0][0]).toMatch(/extra: unknown key/);
    await expect(reloader.reload(join(tmpdir(), 'nest-mesh-no-such-dir', 'mesh.yaml'), {})).resolves.toBe(false);
    expect(logs.error.mock.calls[1][0]).toMatch(/^config reload refused: cannot read config file .*ENOENT/);
    await expect(reloader.reload(write('a: [1'), {})).resolves.toBe(false);
    expect(logs.error.mock.calls[2][0]).toMatch(/^config reload refused: not valid YAML or JSON/);
    expect(decide()).toMatchObject({ allow: false });
  });

  it('leaves restart-only settings as they were, with one warning naming them', async () => {
    const path = write({
      ...base,
      port: 5000,
      http: { bodyLimit: 10 },
      auth: { signingKey: 'PEM' },
      modules: {
        functions: {
          conn: 'nats://127.0.0.1:2',
          timeout: { default: 10_000, max: 60_000 },
          services: { orders: { password: 'p' } },
          rules: { test: { echo: { rule: 'allow' } } },
        },
      },
    });
    await expect(reloader.reload(path, {})).resolves.toBe(true);
    expect(logs.warn).toHaveBeenCalledTimes(1);
    expect(logs.warn).toHaveBeenCalledWith(
      `config reload: port, http.bodyLimit, modules.functions.conn, modules.functions.services, auth.signingKey differ in ${path} but need a restart; kept as they were`,
    );
    expect(running.port).toBe(4122);
    expect(decide()).toEqual({ allow: true });
  });

  it('prepares every part before it applies any, and applies none when a part refuses', async () => {
    const steps: string[] = [];
    const part = (name: string, refuse = false): ConfigReloadable<string> => ({
      prepareConfig: async () => {
        steps.push(`prepare ${name}`);
        if (refuse) throw new Error(`${name} refuses`);
        return name;
      },
      applyConfig: (_next, prepared) => steps.push(`apply ${prepared}`),
    });
    const path = write(base);
    await expect(new ConfigReloader(running, [part('a'), part('b')]).reload(path, {})).resolves.toBe(true);
    expect(steps).toEqual(['prepare a', 'prepare b', 'apply a', 'apply b']);
    steps.length = 0;
    await expect(new ConfigReloader(running, [part('a'), part('b', true), part('c')]).reload(path, {})).resolves.toBe(false);
    expect(steps).toEqual(['prepare a', 'prepare b']);
    expect(logs.error).toHaveBeenCalledWith(`config reload refused: b refuses (file ${path})`);
  });

  it('runs reloads one after another, the last one winning', async () => {
    const allow = write({ ...base, modules: { functions: { ...base.modules.functions, rules: { test: { echo: { rule: 'allow' } } } } } });
    const deny = write(base);
    const results = await Promise.all([reloader.reload(allow, {}), reloader.reload(deny, {}), reloader.reload(allow, {})]);
    expect(results).toEqual([true, true, true]);
    expect(decide()).toEqual({ allow: true });
  });
});
