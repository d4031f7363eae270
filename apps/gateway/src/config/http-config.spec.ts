import { configErrorOf as errorOf } from './config-fixtures.spec-helper';
import { parseConfig } from './load-config';

/** The config keys of CORS, trustProxy, rate limits and maxInFlight (docs/config.md). */

/** What express and fastify read a list of proxies with. */
const PROXY_ADDR = ['proxy-addr', '@fastify/proxy-addr'];
const compileWith = (library: string, list: string[]) => (require(library) as { compile(list: string[]): unknown }).compile(list);


describe('edge config keys', () => {
  it('have their defaults: no CORS, no trusted proxy, maxInFlight 10000, limits in memory', () => {
    const config = parseConfig('id: demo\n');
    expect(config.http.cors).toBeUndefined();
    expect(config.http.trustProxy).toBe(false);
    expect(config.modules.functions.maxInFlight).toBe(10_000);
    expect(config.modules.functions.rateLimitStore).toBeUndefined();
  });

  it('read the shape of docs/config.md', () => {
    const config = parseConfig(
      [
        'id: demo',
        'http:',
        '  cors:',
        '    origins: ["http://localhost:3000"]',
        '    credentials: false',
        '    maxAge: 600',
        '  trustProxy: false',
        'modules:',
        '  functions:',
        '    maxInFlight: 10000',
        '    rateLimitStore: redis://127.0.0.1:6379',
        '    rules:',
        '      users:',
        '        create: { rule: allow, rateLimit: { limit: 10, window: 60000, by: ip } }',
      ].join('\n'),
    );
    expect(config.http.cors).toEqual({ origins: ['http://localhost:3000'], credentials: false, maxAge: 600 });
    expect(config.modules.functions.rateLimitStore).toBe('redis://127.0.0.1:6379');
    expect(parseConfig('id: d\nhttp: { cors: { origins: "*" } }').http.cors).toEqual({ origins: '*', credentials: false, maxAge: 600 });
  });

  it.each([
    ['false', false],
    ['0', 0],
    ['2', 2],
    ['["10.0.0.1", "192.168.0.0/16"]', ['10.0.0.1', '192.168.0.0/16']],
    ['[loopback, linklocal, uniquelocal, "10.0.0.0/255.0.0.0", "::1", "fd00::/8"]', ['loopback', 'linklocal', 'uniquelocal', '10.0.0.0/255.0.0.0', '::1', 'fd00::/8']],
  ])('accept trustProxy %s', (text, value) => {
    expect(parseConfig(`id: d\nhttp: { trustProxy: ${text} }`).http.trustProxy).toEqual(value);
    if (Array.isArray(value)) for (const library of PROXY_ADDR) expect(() => compileWith(library, value)).not.toThrow();
  });

  it.each([['10.0.0.0/33'], ['::1/129'], ['10.0.0.0/255.0.0.0/8'], ['10.0.0.0/ff::'], ['localhost'], ['10.0.0.300']])(
    'refuse the proxy entry %s, as express and fastify would (their proxy-addr throws on it)',
    (entry) => {
      expect(errorOf(`id: d\nhttp: { trustProxy: ["${entry}"] }`)).toContain(`http.trustProxy: "${entry}" is not an IP address, a subnet`);
      for (const library of PROXY_ADDR) expect(() => compileWith(library, [entry])).toThrow();
    },
  );

  it.each([
    ['"*" with credentials', 'http: { cors: { origins: "*", credentials: true } }', 'http.cors.credentials: must not be true when http.cors.origins is "*"'],
    ['an origin with a path', 'http: { cors: { origins: ["http://localhost:3000/"] } }', 'http.cors.origins: must be "*" or a list of exact origins such as "http://localhost:3000" (scheme://host[:port], no path): "http://localhost:3000/" is not one'],
    ['an origin that is no URL', 'http: { cors: { origins: ["localhost"] } }', 'http.cors.origins: must be "*" or a list of exact origins'],
    ['an empty list of origins', 'http: { cors: { origins: [] } }', 'http.cors.origins: must be "*" or a non-empty list of origins'],
    ['origins missing', 'http: { cors: { credentials: true } }', 'http.cors.origins: must be "*"'],
    ['an unknown cors key', 'http: { cors: { origins: "*", methods: [GET] } }', 'http.cors.methods: unknown key'],
    ['a negative maxAge', 'http: { cors: { origins: "*", maxAge: -1 } }', 'http.cors.maxAge: must not be less than 0'],
    ['trustProxy a word', 'http: { trustProxy: yes-please }', 'http.trustProxy: must be false, a hop count (integer >= 0) or a list of proxy addresses'],
    ['trustProxy negative', 'http: { trustProxy: -1 }', 'http.trustProxy: must be false, a hop count'],
    ['trustProxy an empty list', 'http: { trustProxy: [] }', 'http.trustProxy: must be false, a hop count'],
    [
      'trustProxy true (the client would choose its own address)',
      'http: { trustProxy: true }',
      'http.trustProxy: true takes the client address from the leftmost X-Forwarded-For entry, which the client writes itself: give the number of proxies in front of the gateway (1 behind one load balancer) or their addresses',
    ],
    ['trustProxy an entry that is no address', 'http: { trustProxy: ["10.0.0.0/8", "proxy.local"] }', 'http.trustProxy: "proxy.local" is not an IP address, a subnet or one of loopback, linklocal, uniquelocal'],
    ['maxInFlight zero', 'modules: { functions: { maxInFlight: 0 } }', 'modules.functions.maxInFlight: must not be less than 1'],
    ['maxInFlight not an integer', 'modules: { functions: { maxInFlight: 1.5 } }', 'modules.functions.maxInFlight: must be an integer number'],
    ['a store that is not Redis', 'modules: { functions: { rateLimitStore: "memcached://x" } }', 'modules.functions.rateLimitStore: must be a redis:// or rediss:// URL'],
    ['a zero rate limit', 'modules: { functions: { rules: { a: { b: { rule: allow, rateLimit: { limit: 0, window: 1000 } } } } } }', 'modules.functions.rules.a.b.rateLimit.limit: must be a whole number of calls >= 1, not 0'],
    ['a negative window', 'modules: { functions: { rules: { a: { default: { rule: allow, rateLimit: { limit: 1, window: -1000 } } } } } }', 'modules.functions.rules.a.default.rateLimit.window: must be milliseconds in whole seconds'],
  ])('refuse %s, naming the path', (_, text, message) => {
    expect(errorOf(`id: demo\n${text}`)).toContain(message);
  });

  it('name every wrong key at once', () => {
    const message = errorOf('id: demo\nhttp: { trustProxy: maybe, cors: { origins: "x" } }\nmodules: { functions: { maxInFlight: 0 } }');
    expect(message.split('\n')).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^http\.cors\.origins: /),
        expect.stringMatching(/^http\.trustProxy: /),
        expect.stringMatching(/^modules\.functions\.maxInFlight: /),
      ]),
    );
  });
});
