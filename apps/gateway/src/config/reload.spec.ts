import { parseConfig } from './load-config';
import { restartOnlyChanges } from './reload';

const config = (overrides: object) =>
  parseConfig(JSON.stringify({ id: 'demo', modules: { functions: { conn: 'nats://127.0.0.1:1', rules: {} } }, ...overrides }), {});

describe('restartOnlyChanges', () => {
  const running = config({});

  it('leaves out the keys marked @Reloads (rules, maxInFlight, token settings, CORS origins)', () => {
    const next = config({
      secret: 'another-secret-of-at-least-32-bytes!',
      auth: { audience: 'app', requireExp: false },
      modules: { functions: { conn: 'nats://127.0.0.1:1', rules: { a: { b: { rule: 'allow' } } }, maxInFlight: 5, ruleTimeout: 9 } },
    });
    expect(restartOnlyChanges(running, next)).toEqual([]);
  });

  it('names a block without reloadable keys as one key, and the keys of the others one by one', () => {
    const next = config({ port: 1, http: { bodyLimit: 5 }, log: { level: 'warn' }, modules: { functions: { conn: 'nats://127.0.0.1:2', rules: {} }, eventing: { maxPendingBytes: 10 } } });
    expect(restartOnlyChanges(running, next)).toEqual(['port', 'http.bodyLimit', 'modules.functions.conn', 'modules.eventing', 'log']);
  });

  it('names a block that is added, with its keys that differ from nothing', () => {
    expect(restartOnlyChanges(running, config({ http: { cors: { origins: ['http://a.test'] } } }))).toEqual(['http.cors', 'http.cors.credentials', 'http.cors.maxAge']);
  });
});
