import { TestProcess } from '../support/child';
import { GATEWAY_MAIN, writeConfig } from '../support/mesh';

/** Bad trigger configs stop the gateway with one line naming the path. */
describe('the gateway with a bad eventing config', () => {
  const run = (eventing: object) =>
    TestProcess.run('gateway', process.execPath, [GATEWAY_MAIN, '--config', writeConfig({ id: 'demo', port: 0, modules: { functions: { embedded: { port: 0 } }, eventing } })]);
  const welcome = { on: { event: 'user.signup' }, call: { service: 'mail', func: 'welcome' } };

  it.each([
    [{ triggers: { 'bad name!': welcome } }, 'modules.eventing.triggers.bad name!: invalid trigger name (must match ^[A-Za-z0-9_-]{1,64}$)'],
    [{ triggers: { w: { ...welcome, call: { service: 'mail.x', func: 'welcome' } } } }, 'modules.eventing.triggers.w.call.service: must match ^[A-Za-z0-9_-]{1,64}$'],
    [{ triggers: { w: { ...welcome, call: { service: 'mail' } } } }, 'modules.eventing.triggers.w.call.func: must match ^[A-Za-z0-9_-]{1,64}$'],
    [{ triggers: { w: { on: { schedule: '0 3 * *' }, call: welcome.call } } }, expect.stringContaining('modules.eventing.triggers.w.on.schedule: invalid configuration format')],
    [{ triggers: { w: { on: { schedule: '0 3 * * *', timezone: 'Mars/Base' }, call: welcome.call } } }, 'modules.eventing.triggers.w.on.timezone: unknown timezone "Mars/Base"'],
    [{ triggers: { w: { on: { event: 'a', schedule: '* * * * *' }, call: welcome.call } } }, 'modules.eventing.triggers.w.on: needs exactly one of event, schedule, table'],
    [{ triggers: { w: { on: { table: 'orders', ops: ['upsert'], db: 'postgres://x/y' }, call: welcome.call } } }, 'modules.eventing.triggers.w.on.ops.0: must be one of insert, update, delete'],
    [{ triggers: { w: { on: { table: 'orders; drop', db: 'postgres://x/y' }, call: welcome.call } } }, 'modules.eventing.triggers.w.on.table: must be a table name, schema.table or table'],
    [{ triggers: { w: { on: { table: 'orders' }, call: welcome.call } } }, 'modules.eventing.triggers.w.on.db: must be a postgres:// URL'],
    [{ triggers: { w: { ...welcome, retries: -1 } } }, 'modules.eventing.triggers.w.retries: must be an integer from 0 to 100'],
    [{ triggers: { w: { ...welcome, backoff: [100, 'x'] } } }, 'modules.eventing.triggers.w.backoff.1: must be an integer from 0 to 86400000'],
    [{ triggers: { w: { ...welcome, timeout: 999999 } } }, 'modules.eventing.triggers.w.timeout: must be an integer from 1 to 60000'],
    [{ triggers: { w: { ...welcome, colour: 'blue' } } }, 'modules.eventing.triggers.w.colour: unknown key'],
    [{ rules: { 'user.signup': { rule: 'alow' } } }, 'modules.eventing.rules.user.signup.rule: unknown rule "alow"'],
    [{ admin: { rule: 'nope' } }, 'modules.eventing.admin.rule: unknown rule "nope"'],
    [{ stores: 'x' }, 'modules.eventing.stores: unknown key'],
  ])('exits 1 naming the path (%#)', async (eventing, message) => {
    const { code, output } = await run(eventing);
    expect(code).toBe(1);
    expect(output.trim()).toEqual(typeof message === 'string' ? `nest-mesh gateway: config: ${message}` : message);
  });
});
