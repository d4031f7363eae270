import { Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { writeConfig as write } from '../config/config-fixtures.spec-helper';
import { ConfigReloader } from '../config/config-reloader';
import { GatewayConfig } from '../config/gateway-config';
import { parseConfig } from '../config/load-config';
import { CorsOrigins } from '../http/cors';
import { RulesService } from '../rules/rules.service';
import { InFlightLimit } from './in-flight-limit';
import { RateLimits } from './rate-limits';

/** SIGHUP applies new rate limits, CORS origins and maxInFlight; the rest of `http` needs a restart. */

const functions = (rules: object, extra: object = {}) => ({ conn: 'nats://127.0.0.1:1', rules, ...extra });
const base = (rules: object, http: object = { cors: { origins: ['http://a.test'] } }, extra: object = {}) => ({ id: 'demo', http, modules: { functions: functions(rules, extra) } });
const limited = (limit: number) => ({ test: { echo: { rule: 'allow', rateLimit: { limit, window: 60000 } }, open: { rule: 'allow' } } });

const headers: Record<string, string> = {};
const adapterHost = { httpAdapter: { setHeader: (_: unknown, name: string, value: string) => (headers[name] = value) } };

describe('reloading the edge settings', () => {
  let running: GatewayConfig;
  let rules: RulesService;
  let limits: RateLimits;
  let cors: CorsOrigins;
  let inFlight: InFlightLimit;
  let reloader: ConfigReloader;
  let warn: jest.SpyInstance;

  beforeEach(() => {
    running = parseConfig(JSON.stringify(base(limited(2))), {});
    rules = new RulesService(running, { call: jest.fn() } as never);
    limits = new RateLimits(running, adapterHost as never);
    cors = new CorsOrigins(running);
    inFlight = new InFlightLimit(running, adapterHost as never);
    reloader = new ConfigReloader(running, [rules, limits, cors, inFlight]);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  const allowed = (origin: string | undefined) => {
    let answer: unknown;
    cors.allow(origin, (_, allow) => (answer = allow));
    return answer;
  };
  const echo = async () => {
    const limit = rules.current.entryOf('test', 'echo')?.rateLimit;
    if (limit === undefined) return 'unlimited';
    return limits.check(limit, { ip: '10.0.0.1' }, {}, undefined).then(
      () => 'ok',
      (error: { code: string }) => error.code,
    );
  };

  it('answers origins from the list only, and nothing to a request without Origin', () => {
    expect(allowed('http://a.test')).toBe(true);
    expect(allowed('http://b.test')).toBe(false);
    expect(allowed('null')).toBe(false);
    expect(allowed(undefined)).toBe(false);
  });

  it('applies new CORS origins', async () => {
    await expect(reloader.reload(write(base(limited(2), { cors: { origins: ['http://b.test'] } })), {})).resolves.toBe(true);
    expect(allowed('http://a.test')).toBe(false);
    expect(allowed('http://b.test')).toBe(true);
    await reloader.reload(write(base(limited(2), { cors: { origins: '*' } })), {});
    expect(allowed('http://anything.test')).toBe('*');
    expect(warn).not.toHaveBeenCalled();
  });

  it('applies new rate limits, and keeps the counts of a limit that did not change', async () => {
    expect(await echo()).toBe('ok');
    expect(headers['X-RateLimit-Remaining']).toBe('1');
    await reloader.reload(write(base(limited(2))), {});
    expect(await echo()).toBe('ok');
    expect(await echo()).toBe('RATE_LIMITED');
    expect(Number(headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    await reloader.reload(write(base(limited(5))), {});
    expect(await echo()).toBe('ok');
    expect(headers['X-RateLimit-Limit']).toBe('5');
    expect(headers['X-RateLimit-Remaining']).toBe('4');
    await reloader.reload(write(base({ test: { echo: { rule: 'allow' } } })), {});
    expect(await echo()).toBe('unlimited');
  });

  it('applies a new maxInFlight: beyond it OVERLOADED with Retry-After at once, until a response closes', async () => {
    await reloader.reload(write(base(limited(2), undefined, { maxInFlight: 2 })), {});
    const responses = [new EventEmitter(), new EventEmitter(), new EventEmitter()];
    const enter = (response: EventEmitter) => inFlight.enter(response);
    expect(() => enter(responses[0])).not.toThrow();
    expect(() => enter(responses[1])).not.toThrow();
    expect(() => enter(responses[2])).toThrow(expect.objectContaining({ status: 503, code: 'OVERLOADED' }));
    expect(headers['Retry-After']).toBe('1');
    expect(inFlight.count).toBe(2);
    responses[0].emit('close');
    expect(() => enter(responses[2])).not.toThrow();
    // fastify: the Node response is reply.raw
    const raw = new EventEmitter();
    responses[1].emit('close');
    expect(() => inFlight.enter({ raw } as never)).not.toThrow();
    raw.emit('close');
    expect(inFlight.count).toBe(1);
  });

  it('names the http keys that need a restart in one line, and keeps them', async () => {
    const path = write(base(limited(2), { cors: { origins: ['http://a.test'], credentials: true, maxAge: 5 }, trustProxy: 1 }, { rateLimitStore: 'redis://127.0.0.1:1' }));
    await expect(reloader.reload(path, {})).resolves.toBe(true);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(
      `config reload: http.trustProxy, http.cors.credentials, http.cors.maxAge, modules.functions.rateLimitStore differ in ${path} but need a restart; kept as they were`,
    );
  });

  it('keeps CORS as it was when http.cors is added or removed (a restart is needed)', async () => {
    const path = write(base(limited(2), {}));
    await reloader.reload(path, {});
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('http.cors, http.cors.credentials, http.cors.maxAge differ'));
    expect(allowed('http://a.test')).toBe(true);
  });
});
