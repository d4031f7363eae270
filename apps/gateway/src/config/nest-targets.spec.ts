import { configErrorOf } from './config-fixtures.spec-helper';
import { parseConfig } from './load-config';
import { restartOnlyChanges } from './reload';

const withNest = (nest: unknown) => JSON.stringify({ id: 'demo', modules: { functions: { nest } } });

describe('modules.functions.nest', () => {
  it('is empty by default', () => {
    expect(parseConfig('id: demo\n').modules.functions.nestTargets).toEqual([]);
  });

  it('maps mesh functions to string, number and object patterns, each with the subject Nest serves it on', () => {
    const config = parseConfig(
      ['id: demo', 'modules:', '  functions:', '    nest:', '      legacy-users:', '        get: users.get', `        sum: '{"cmd":"sum"}'`, '        nested: \'{"a":{"b":1,"c":"x"},"cmd":"z"}\'', '        answer: 42'].join('\n'),
    );
    expect(config.modules.functions.nestTargets).toEqual([
      { service: 'legacy-users', func: 'get', pattern: 'users.get', subject: 'users.get' },
      { service: 'legacy-users', func: 'sum', pattern: { cmd: 'sum' }, subject: '{"cmd":"sum"}' },
      { service: 'legacy-users', func: 'nested', pattern: { a: { b: 1, c: 'x' }, cmd: 'z' }, subject: '{"a":{"b":1,"c":"x"},"cmd":"z"}' },
      { service: 'legacy-users', func: 'answer', pattern: 42, subject: '42' },
    ]);
  });

  it.each([
    [{ 'bad.name': { get: 'users.get' } }, 'modules.functions.nest.bad.name: not a service name'],
    [{ legacy: ['users.get'] }, 'modules.functions.nest.legacy: must map function names to Nest patterns'],
    [{ legacy: { 'g*': 'users.get' } }, 'modules.functions.nest.legacy.g*: not a function name'],
    [{ legacy: { get: true } }, 'modules.functions.nest.legacy.get: must be a Nest pattern: a string such as users.get, or an object pattern as Nest writes it'],
    [{ legacy: { get: '' } }, 'modules.functions.nest.legacy.get: must be a Nest pattern'],
    [{ legacy: { sum: '{"cmd": "sum"}' } }, `modules.functions.nest.legacy.sum: write the object pattern as Nest writes it, keys sorted and without spaces: '{"cmd":"sum"}'`],
    [{ legacy: { sum: '{"role":"math","cmd":"sum"}' } }, `modules.functions.nest.legacy.sum: write the object pattern as Nest writes it, keys sorted and without spaces: '{"cmd":"sum","role":"math"}'`],
    [{ legacy: { sum: '{cmd: sum}' } }, `modules.functions.nest.legacy.sum: is not valid JSON: write an object pattern as Nest writes it, keys sorted and without spaces, e.g. '{"cmd":"sum"}'`],
    [{ legacy: { get: 'users.*' } }, 'modules.functions.nest.legacy.get: "users.*" is not a NATS subject a message can be sent to'],
    [{ legacy: { get: 'users..get' } }, 'modules.functions.nest.legacy.get: "users..get" is not a NATS subject'],
    [{ legacy: { get: 'users get' } }, 'modules.functions.nest.legacy.get: "users get" is not a NATS subject'],
    [{ legacy: { get: 'mesh.legacy.get' } }, 'modules.functions.nest.legacy.get: "mesh.legacy.get" is a subject of the mesh or of NATS itself'],
    [{ legacy: { get: '$SRV.PING' } }, 'modules.functions.nest.legacy.get: "$SRV.PING" is a subject of the mesh or of NATS itself'],
  ])('refuses %j naming the path: %s', (nest, message) => {
    expect(configErrorOf(withNest(nest))).toContain(message);
  });

  it('is not a mapping: refused like any key', () => {
    expect(configErrorOf(withNest('users.get'))).toBe('modules.functions.nest: must be an object');
  });

  it('needs a restart to change (a reload leaves it as it was)', () => {
    const running = parseConfig(withNest({ legacy: { get: 'users.get' } }));
    const next = parseConfig(withNest({ legacy: { get: 'users.find' } }));
    expect(restartOnlyChanges(running, next)).toEqual(['modules.functions.nest']);
  });
});
