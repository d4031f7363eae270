import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestProcess } from '../support/child';
import { freePort } from '../support/free-port';
import { GATEWAY_MAIN, post, startGateway } from '../support/mesh';
import { writeConfig } from '../support/config-file';
import { describeWithNatsServer, NatsServerProcess } from '../support/nats-server';

/** A table trigger whose database is down does not stop the gateway: one error line, the rest works. */
describe('the gateway with a table trigger on an unreachable database', () => {
  it('starts, logs one line naming the trigger, and still queues events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nest-mesh-pgdown-'));
    const down = await freePort();
    const gateway = await startGateway(
      writeConfig({
        id: 'demo',
        port: await freePort(),
        modules: {
          functions: { embedded: { host: '127.0.0.1', port: await freePort() } },
          eventing: {
            enabled: true,
            store: join(dir, 'events'),
            triggers: { orders: { on: { table: 'public.orders', db: `postgres://postgres@127.0.0.1:${down}/test` }, call: { service: 'o', func: 'c' } } },
            rules: { default: { rule: 'allow' } },
          },
        },
      }),
    );
    try {
      await gateway.process.waitFor(/table triggers orders: .*not ready/, 20_000);
      expect(await post(`${gateway.url}/v1/api/demo/eventing/queue`, { type: 'x' })).toMatchObject({ status: 202 });
      await new Promise((r) => setTimeout(r, 6000)); // past one retry
      expect(gateway.process.output.match(/table triggers orders/g)).toHaveLength(1);
      expect(gateway.process.running).toBe(true);
    } finally {
      await gateway.process.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Bad trigger configs stop the gateway with one line naming the path. The tests run concurrently
 * (each its own gateway process and config file): jest starts them with the file, so they run while
 * the table trigger test above waits past its database retry.
 */
describe('the gateway with a bad eventing config', () => {
  const run = (eventing: object) =>
    TestProcess.run('gateway', process.execPath, [GATEWAY_MAIN, '--config', writeConfig({ id: 'demo', port: 0, modules: { functions: { embedded: { port: 0 } }, eventing } })]);
  const welcome = { on: { event: 'user.signup' }, call: { service: 'mail', func: 'welcome' } };

  it.concurrent.each([
    [{ triggers: { 'bad name!': welcome } }, 'modules.eventing.triggers.bad name!: invalid trigger name (must match ^[A-Za-z0-9_-]{1,64}$)'],
    [{ triggers: { w: { ...welcome, call: { service: 'mail.x', func: 'welcome' } } } }, 'modules.eventing.triggers.w.call.service: must match ^[A-Za-z0-9_-]{1,64}$'],
    [{ triggers: { w: { ...welcome, call: { service: 'mail' } } } }, 'modules.eventing.triggers.w.call.func: must match ^[A-Za-z0-9_-]{1,64}$'],
    [{ triggers: { w: { on: { schedule: '0 3 * *' }, call: welcome.call } } }, expect.stringContaining('modules.eventing.triggers.w.on.schedule: invalid configuration format')],
    [{ triggers: { w: { on: { schedule: '0 3 * * *', timezone: 'Mars/Base' }, call: welcome.call } } }, 'modules.eventing.triggers.w.on.timezone: unknown timezone "Mars/Base"'],
    [{ triggers: { w: { on: { event: 'a', schedule: '* * * * *' }, call: welcome.call } } }, 'modules.eventing.triggers.w.on: needs exactly one of event, schedule, table'],
    [{ triggers: { w: { on: { table: 'orders', ops: ['upsert'], db: 'postgres://x/y' }, call: welcome.call } } }, 'modules.eventing.triggers.w.on.ops.0: must be one of insert, update, delete'],
    [{ triggers: { w: { on: { table: 'orders; drop', db: 'postgres://x/y' }, call: welcome.call } } }, 'modules.eventing.triggers.w.on.table: must be a table name, schema.table or table'],
    [{ triggers: { w: { on: { table: 'orders' }, call: welcome.call } } }, 'modules.eventing.triggers.w.on.db: must be a postgres:// URL'],
    [{ triggers: { w: { on: { schedule: '0 3 * * 1', tolerance: 90_000_000 }, call: welcome.call } } }, 'modules.eventing.triggers.w.on.tolerance: must be an integer from 0 to 86400000'],
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

describeWithNatsServer('the gateway with conn to a NATS without JetStream', () => {
  it('exits 1 with one line saying the event store cannot be used', async () => {
    const nats = await new NatsServerProcess().start();
    try {
      const { code, output } = await TestProcess.run('gateway', process.execPath, [
        GATEWAY_MAIN,
        '--config',
        writeConfig({ id: 'demo', port: 0, modules: { functions: { conn: nats.url }, eventing: { enabled: true } } }),
      ]);
      expect(code).toBe(1);
      expect(output).toContain(`event store: JetStream is not enabled on ${nats.url} (run nats-server with -js)`);
    } finally {
      await nats.stop();
    }
  });
});
