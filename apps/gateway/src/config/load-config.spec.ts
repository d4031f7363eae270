import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configErrorOf as errorOf } from './config-fixtures.spec-helper';
import { configPathFrom, loadConfig, parseConfig } from './load-config';

const minimal = 'id: demo\n';


describe('parseConfig', () => {
  it('fills every default of docs/config.md', () => {
    const config = parseConfig(minimal);
    expect(config.port).toBe(4122);
    expect(config.http).toMatchObject({ adapter: 'fastify', bodyLimit: 1_048_576 });
    expect(config.modules.functions).toMatchObject({
      enabled: true,
      broker: 'nats',
      conn: undefined,
      embedded: { host: '127.0.0.1', port: 4222 },
      timeout: { default: 10_000, max: 60_000 },
      rules: {},
    });
    expect(config.console).toEqual({ enabled: false });
  });

  it('reads a whole functions block, with ${NAME} substituted', () => {
    const config = parseConfig(
      [
        'id: demo',
        'secret: ${MESH_JWT_SECRET}',
        'port: 4122',
        'http: { adapter: express, bodyLimit: 1048576 }',
        'modules:',
        '  functions:',
        '    enabled: true',
        '    broker: nats',
        '    conn: nats://localhost:4222',
        '    embedded: { host: 127.0.0.1, port: 4222 }',
        '    timeout: { default: 10000, max: 60000 }',
        '    rules:',
        '      greeter:',
        '        hello:',
        '          rule: allow',
      ].join('\n'),
      { MESH_JWT_SECRET: 's3cret-s3cret-s3cret-s3cret-s3cret' },
    );
    expect(config.secret).toBe('s3cret-s3cret-s3cret-s3cret-s3cret');
    expect(config.modules.functions.conn).toBe('nats://localhost:4222');
    expect(config.modules.functions.rules).toEqual({ greeter: { hello: { rule: 'allow' } } });
  });

  it('reads auth.audience and auth.issuer as a string or a list; requireExp is true by default', () => {
    expect(parseConfig(minimal).auth).toMatchObject({ requireExp: true, audience: undefined, issuer: undefined });
    const config = parseConfig(`${minimal}auth: { audience: my-app, issuer: [https://a.example/, https://b.example/], requireExp: false }\n`);
    expect(config.auth).toMatchObject({ audience: 'my-app', issuer: ['https://a.example/', 'https://b.example/'], requireExp: false });
    expect(parseConfig(`${minimal}secret: ${'é'.repeat(16)}\n`).secret).toBe('é'.repeat(16)); // 32 bytes of UTF-8
  });

  it('reads JSON as well', () => {
    expect(parseConfig('{"id": "p1", "port": 8080}').port).toBe(8080);
  });

  it('replaces ${NAME} anywhere in a string, numbers included', () => {
    const config = parseConfig('id: ${P}-x\nport: ${PORT_NUMBER}\nmodules: { functions: { conn: "nats://${H}:1" } }', {
      P: 'proj',
      PORT_NUMBER: '9000',
      H: 'broker.local',
    });
    expect(config.id).toBe('proj-x');
    expect(config.port).toBe(9000);
    expect(config.modules.functions.conn).toBe('nats://broker.local:1');
  });

  it.each([
    ['secret: ${NOPE}', 'secret: environment variable NOPE is not set'],
    ['modules: { functions: { rules: { a: { b: { rule: alow } } } } }', 'modules.functions.rules.a.b.rule: unknown rule "alow"'],
    ['colour: blue', 'colour: unknown key'],
    ['modules: { functions: { conection: x } }', 'modules.functions.conection: unknown key'],
    ['port: abc', 'port: must be an integer number'],
    ['port: 70000', 'port: must not be greater than 65535'],
    ['http: { adapter: koa }', 'http.adapter: must be one of the following values: express, fastify'],
    ['http: { bodyLimit: 0 }', 'http.bodyLimit: must not be less than 1'],
    ['modules: { functions: { timeout: { max: 1.5 } } }', 'modules.functions.timeout.max: must be an integer number'],
    ['modules: { functions: { enabled: maybe } }', 'modules.functions.enabled: must be a boolean value'],
    ['modules: { functions: { broker: kafka } }', 'modules.functions.broker: must be one of the following values: nats'],
    ['modules: { functions: { embedded: { port: -1 } } }', 'modules.functions.embedded.port: must not be less than 0'],
    ['modules: { functions: { rules: [] } }', 'modules.functions.rules: must be an object'],
    ['modules: { functions: { timeout: { default: 9, max: 8 } } }', 'modules.functions.timeout.default: must not be greater than timeout.max (8)'],
    ['console: { enabled: yes please }', 'console.enabled: must be a boolean value'],
    ['console: { enabeld: true }', 'console.enabeld: unknown key'],
    ['secret: thirty-one-bytes-are-too-short!', 'secret: must be at least 32 bytes'],
    ['secret: 1234', 'secret: must be a string'],
    ['auth: { audience: [] }', 'auth.audience: must be a non-empty string or a non-empty list of them'],
    ['auth: { audience: [my-app, 7] }', 'auth.audience: must be a non-empty string or a non-empty list of them'],
    ['auth: { issuer: "" }', 'auth.issuer: must be a non-empty string or a non-empty list of them'],
    ['auth: { requireExp: no thanks }', 'auth.requireExp: must be a boolean value'],
  ])('refuses %s', (line, message) => {
    expect(errorOf(`${minimal}${line}\n`, {})).toContain(message);
  });

  it('needs a valid project id', () => {
    expect(errorOf('port: 1\n')).toMatch(/^id: /);
    expect(errorOf('id: "a.b"\n')).toContain('id: must match');
  });

  it('has the HTTP host, limits and timeouts of docs/config.md, and checks them', () => {
    const config = parseConfig(minimal);
    expect(config.host).toBe('0.0.0.0');
    expect(config.http).toMatchObject({ maxDepth: 64, headersTimeout: 5000, requestTimeout: 30_000, keepAliveTimeout: 5000 });
    const set = parseConfig('id: demo\nhost: 127.0.0.1\nhttp: { maxDepth: 128, headersTimeout: 1000, requestTimeout: 2000, keepAliveTimeout: 3000 }\n');
    expect(set.host).toBe('127.0.0.1');
    expect(set.http).toMatchObject({ maxDepth: 128, headersTimeout: 1000, requestTimeout: 2000, keepAliveTimeout: 3000 });
    expect(errorOf('id: demo\nhttp: { headersTimeout: 0 }\n')).toMatch(/^http\.headersTimeout: /);
    expect(errorOf('id: demo\nhttp: { requestTimeout: soon }\n')).toMatch(/^http\.requestTimeout: /);
    expect(errorOf('id: demo\nhttp: { maxDepth: 100000 }\n')).toMatch(/^http\.maxDepth: /);
    expect(errorOf('id: demo\nhttp: { headersTimeout: 9000, requestTimeout: 8000 }\n')).toBe(
      'http.headersTimeout: must not be greater than http.requestTimeout (8000)',
    );
    expect(errorOf('id: demo\nhost: 42\n')).toMatch(/^host: /);
    expect(errorOf('id: demo\nhttp: { timeouts: 1 }\n')).toBe('http.timeouts: unknown key');
  });

  it('has the replicas of the JetStream event streams, 1 to 5, default 1', () => {
    expect(parseConfig(minimal).modules.eventing.replicas).toBe(1);
    expect(parseConfig('id: demo\nmodules: { eventing: { replicas: 3 } }\n').modules.eventing.replicas).toBe(3);
    expect(errorOf('id: demo\nmodules: { eventing: { replicas: 0 } }\n')).toMatch(/^modules\.eventing\.replicas: /);
    expect(errorOf('id: demo\nmodules: { eventing: { replicas: 6 } }\n')).toMatch(/^modules\.eventing\.replicas: /);
    expect(errorOf('id: demo\nmodules: { eventing: { replicas: 1.5 } }\n')).toMatch(/^modules\.eventing\.replicas: /);
    expect(errorOf('id: demo\nmodules: { eventing: { replicas: three } }\n')).toMatch(/^modules\.eventing\.replicas: /);
  });

  it('has maxPendingBytes, a whole number of bytes >= 1, default 1 GiB', () => {
    expect(parseConfig(minimal).modules.eventing.maxPendingBytes).toBe(1024 ** 3);
    expect(parseConfig('id: demo\nmodules: { eventing: { maxPendingBytes: 5000 } }\n').modules.eventing.maxPendingBytes).toBe(5000);
    expect(errorOf('id: demo\nmodules: { eventing: { maxPendingBytes: 0 } }\n')).toBe('modules.eventing.maxPendingBytes: must not be less than 1');
    expect(errorOf('id: demo\nmodules: { eventing: { maxPendingBytes: 1.5 } }\n')).toMatch(/^modules\.eventing\.maxPendingBytes: /);
  });

  it('takes rateLimit on an eventing rule, as on a function rule, and names the path of a bad one', () => {
    const rules = (rateLimit: string) => `id: demo\nmodules: { eventing: { enabled: true, rules: { user.signup: { rule: allow, rateLimit: ${rateLimit} } } } }\n`;
    expect(parseConfig(rules('{ limit: 5, window: 60000, by: sub }')).modules.eventing.rules).toEqual({
      'user.signup': { rule: 'allow', rateLimit: { limit: 5, window: 60000, by: 'sub' } },
    });
    expect(errorOf(rules('{ limit: 0, window: 60000 }'))).toBe('modules.eventing.rules.user.signup.rateLimit.limit: must be a whole number of calls >= 1, not 0');
    expect(errorOf(rules('{ limit: 5, window: 1500 }'))).toMatch(/^modules\.eventing\.rules\.user\.signup\.rateLimit\.window: /);
    expect(errorOf(rules('{ limit: 5, window: 60000, per: ip }'))).toBe('modules.eventing.rules.user.signup.rateLimit.per: unknown key in a rateLimit');
    expect(errorOf('id: demo\nmodules: { eventing: { admin: { rule: allow, rateLimit: { limit: 1, window: 1000 } } } }\n')).toBe(
      'modules.eventing.admin.rateLimit: unknown key in a "allow" rule',
    );
  });

  it('refuses text that is not a mapping', () => {
    expect(errorOf('- a\n- b\n')).toBe('the config must be a mapping');
    expect(errorOf('id: [unclosed\n')).toMatch(/^not valid YAML or JSON/);
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nest-mesh-config-'));

  it('reads a file, and env PORT overrides the port', () => {
    const path = join(dir, 'mesh.yaml');
    writeFileSync(path, 'id: demo\nport: 1000\n');
    expect(loadConfig(path, {}).port).toBe(1000);
    expect(loadConfig(path, { PORT: '2000' }).port).toBe(2000);
    expect(() => loadConfig(path, { PORT: 'x' })).toThrow('env PORT: not a port number: x');
  });

  it('names a missing file', () => {
    expect(() => loadConfig(join(dir, 'missing.yaml'), {})).toThrow(/cannot read config file .*missing.yaml: ENOENT/);
  });
});

describe('configPathFrom', () => {
  it('takes --config, then MESH_CONFIG, then ./mesh.yaml', () => {
    expect(configPathFrom(['--config', 'a.yaml'], { MESH_CONFIG: 'b.yaml' })).toBe('a.yaml');
    expect(configPathFrom(['--config=c.json'], {})).toBe('c.json');
    expect(configPathFrom([], { MESH_CONFIG: 'b.yaml' })).toBe('b.yaml');
    expect(configPathFrom([], {})).toBe('mesh.yaml');
    expect(() => configPathFrom(['--config'], {})).toThrow('--config needs a path');
  });
});
