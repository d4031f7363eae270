import { parseConfig } from './load-config';
import { triggersOf } from './triggers';

const config = (triggers: Record<string, unknown>) =>
  parseConfig(JSON.stringify({ id: 'demo', modules: { functions: { timeout: { default: 7000, max: 20000 } }, eventing: { enabled: true, triggers } } }));

describe('triggersOf', () => {
  it('fills in the defaults of each trigger kind', () => {
    const triggers = triggersOf(
      config({
        a: { on: { event: 'user.signup' }, call: { service: 'mail', func: 'welcome' } },
        b: { on: { schedule: '*/5 * * * * *' }, call: { service: 'ml', func: 'train' }, retries: 0, backoff: [10], timeout: 20000 },
        c: { on: { table: 'orders', db: 'postgres://db/x' }, call: { service: 'o', func: 'c' } },
      }),
    );
    expect(triggers).toEqual([
      { name: 'a', on: { kind: 'event', event: 'user.signup' }, call: { service: 'mail', func: 'welcome' }, retries: 3, backoff: [1000, 5000, 30000], timeout: 7000 },
      { name: 'b', on: { kind: 'schedule', schedule: '*/5 * * * * *', timezone: 'UTC', tolerance: 3600000 }, call: { service: 'ml', func: 'train' }, retries: 0, backoff: [10], timeout: 20000 },
      {
        name: 'c',
        on: { kind: 'table', table: 'public.orders', ops: ['insert', 'update', 'delete'], db: 'postgres://db/x' },
        call: { service: 'o', func: 'c' },
        retries: 3,
        backoff: [1000, 5000, 30000],
        timeout: 7000,
      },
    ]);
  });

  it('refuses eventing without functions', () => {
    expect(() => parseConfig(JSON.stringify({ id: 'demo', modules: { functions: { enabled: false }, eventing: { enabled: true } } }))).toThrow(
      'modules.eventing.enabled: needs modules.functions.enabled (triggers call functions)',
    );
  });
});
