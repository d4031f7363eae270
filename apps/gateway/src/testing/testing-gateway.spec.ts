import { ConfigError } from '../config/load-config';
import { TESTING_PROJECT, testingConfigOf } from './testing-gateway';

describe('testingConfigOf', () => {
  it('gives a config with nothing in it: project "test", free ports on loopback, the embedded broker, every function allowed, warnings only', () => {
    const config = testingConfigOf();
    expect(config.id).toBe(TESTING_PROJECT);
    expect([config.port, config.host]).toEqual([0, '127.0.0.1']);
    expect(config.modules.functions.conn).toBeUndefined();
    expect(config.modules.functions.embedded).toMatchObject({ host: '127.0.0.1', port: 0 });
    expect(config.modules.functions.rules).toEqual({ default: { default: { rule: 'allow' } } });
    expect(config.modules.functions.ruleEngine.decide).toBeDefined();
    expect(config.log).toEqual({ format: 'text', level: 'warn', calls: false });
  });

  it('keeps what the config gives, but chooses the ports, hosts and broker itself', () => {
    const given = {
      id: 'shop',
      secret: 'a-secret-of-at-least-thirty-two-bytes!',
      port: 4122,
      host: '0.0.0.0',
      http: { adapter: 'fastify' },
      management: { port: 9464, host: '0.0.0.0' },
      log: { format: 'json', calls: true },
      modules: {
        functions: {
          conn: 'nats://nats.example:4222',
          embedded: { host: '0.0.0.0', port: 4222, token: 't0ken' },
          timeout: { default: 500 },
          rules: { users: { create: { rule: 'authenticated' } } },
        },
      },
    };
    const config = testingConfigOf(given);
    expect(config).toMatchObject({ id: 'shop', secret: given.secret, port: 0, host: '127.0.0.1', http: { adapter: 'fastify' }, management: { port: 0, host: '127.0.0.1' } });
    expect(config.log).toEqual({ format: 'json', level: 'warn', calls: true });
    expect(config.modules.functions).toMatchObject({ conn: undefined, embedded: { host: '127.0.0.1', port: 0, token: 't0ken' }, timeout: { default: 500 } });
    expect(config.modules.functions.rules).toEqual({ users: { create: { rule: 'authenticated' } } });
    expect(testingConfigOf({ log: { level: 'log' } }).log.level).toBe('log');
    // The caller's object is left as it was.
    expect(given.modules.functions).toMatchObject({ conn: 'nats://nats.example:4222', embedded: { port: 4222 } });
  });

  it('checks the config as a file is checked: a mistake names its path', () => {
    const errorOf = (given: unknown) => {
      try {
        testingConfigOf(given);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(errorOf({ modules: { functions: { rules: { users: { create: { rule: 'alow' } } } } } })).toBe('modules.functions.rules.users.create.rule: unknown rule "alow"');
    expect(errorOf({ secret: 'short' })).toMatch(/^secret: /);
    expect(errorOf({ prot: 1 })).toBe('prot: unknown key');
    expect(errorOf({ log: 'loud' })).toMatch(/^log: /);
    expect(errorOf({ modules: { functions: 'on' } })).toMatch(/^modules\.functions: /);
    expect(errorOf('id: demo')).toBe('the config must be a mapping');
  });
});

describe('testingConfigOf, with eventing', () => {
  it('keeps the events of a config without a store in a folder of its own, not in ./data/events', () => {
    let made = 0;
    const eventStore = () => `/tmp/events-${++made}`;
    expect(testingConfigOf({ modules: { eventing: { enabled: true } } }, eventStore).modules.eventing.store).toBe('/tmp/events-1');
    expect(testingConfigOf({ modules: { eventing: { enabled: true, store: './mine' } } }, eventStore).modules.eventing.store).toBe('./mine');
    expect(testingConfigOf({}, eventStore).modules.eventing.enabled).toBe(false);
    expect(made).toBe(1);
  });
});
