import { configErrorOf as errorOf } from './config-fixtures.spec-helper';
import { parseConfig } from './load-config';
import { gatewayLogger } from '../observability/gateway-logger';

describe('the management and log keys', () => {
  it('default to no management port and text logs at level log, without call lines', () => {
    const config = parseConfig('id: demo\n', {});
    expect(config.management).toBeUndefined();
    expect(config.log).toEqual({ format: 'text', level: 'log', calls: false });
  });

  it('read management.port and every log key', () => {
    const config = parseConfig('id: demo\nmanagement: { port: 9464 }\nlog: { format: json, level: warn, calls: true }\n', {});
    expect(config.management).toEqual({ port: 9464 });
    expect(config.log).toEqual({ format: 'json', level: 'warn', calls: true });
    expect(parseConfig('id: demo\nmanagement: { port: 9464, host: 127.0.0.2 }\n', {}).management).toEqual({ port: 9464, host: '127.0.0.2' });
  });

  it.each([
    ['management: { port: 70000 }', 'management.port: must not be greater than 65535'],
    ['management: { port: web }', 'management.port: must be an integer number'],
    ['management: { host: "", port: 9464 }', 'management.host: must be longer than or equal to 1 characters'],
    ['management: { host: 9, port: 9464 }', 'management.host: must be a string'],
    ['management: { port: 9464, timeout: 5 }', 'management.timeout: unknown key'],
    ['management: { port: 4122 }', 'management.port: must differ from port (4122)'],
    ['log: { format: xml }', 'log.format: must be one of the following values: text, json'],
    ['log: { level: loud }', 'log.level: must be one of the following values: verbose, debug, log, warn, error, fatal'],
    ['log: { calls: yes please }', 'log.calls: must be a boolean value'],
    ['log: { colour: true }', 'log.colour: unknown key'],
  ])('refuses %s naming the path', (yaml, message) => {
    expect(errorOf(`id: demo\n${yaml}\n`)).toContain(message);
  });

  it('builds a logger with the level and every more severe one, JSON when asked', () => {
    const json = gatewayLogger({ format: 'json', level: 'warn', calls: false });
    expect((json as unknown as { options: { json?: boolean; logLevels?: string[] } }).options).toMatchObject({ json: true, logLevels: ['warn', 'error', 'fatal'] });
    const text = gatewayLogger({ format: 'text', level: 'debug', calls: false });
    expect((text as unknown as { options: { json?: boolean; logLevels?: string[] } }).options.json).toBeFalsy();
    expect((text as unknown as { options: { logLevels?: string[] } }).options.logLevels).toEqual(['debug', 'log', 'warn', 'error', 'fatal']);
  });
});
