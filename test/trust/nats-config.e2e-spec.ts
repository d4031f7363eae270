import { randomUUID } from 'node:crypto';
import { createInbox, headers, NatsConnection, nkeyAuthenticator, nkeys } from 'nats';
import { EmbeddedBroker } from '@nest-mesh/broker';
import { identityInboxPrefix } from 'nest-mesh';
import { parseConfig } from '../../apps/gateway/src/config/load-config';
import { deriveBrokerUsers, GATEWAY_USER } from '../../apps/gateway/src/trust/broker-users';
import { renderNatsConfig } from '../../apps/gateway/src/trust/nats-authorization';
import { TestProcess } from '../support/child';
import { writeConfig } from '../support/config-file';
import { BROKERS, GATEWAY_MAIN } from '../support/mesh';
import { describeWithNatsServer, NatsServerProcess } from '../support/nats-server';
import { canPublish, canSubscribe, mustConnect, serve, tryConnect, watchErrors } from './broker-access';

/**
 * The nats-server config that `renderNatsConfig` prints, enforced by a real nats-server, and the
 * users the gateway derives from the same config, enforced by the embedded broker: each service
 * identity may do what docs/security.md says and nothing more; the gateway may do anything.
 */
for (const kind of BROKERS) (kind === 'nats-server' ? describeWithNatsServer : describe)(`service identities on ${kind}, from ${kind === 'nats-server' ? 'the rendered config' : 'the derived users'}`, () => {
  const billingKey = nkeys.createUser() as { getPublicKey(): string; getSeed(): Uint8Array };
  const GATEWAY_PASSWORD = 'gateway-secret-1';
  const ORDERS_PASSWORD = 'orders-secret-1';
  const file = {
    id: 'demo',
    modules: {
      functions: {
        embedded: { users: [{ user: 'ops', password: 'ops-secret-1', permissions: { subscribe: ['$SRV.>'], publish: ['$SRV.>'], allow_responses: { max: 1, expires: 60000 } } }] },
        services: {
          orders: { password: ORDERS_PASSWORD, calls: ['billing.charge', 'billing.history', 'mail.*'] },
          billing: { nkey: billingKey.getPublicKey() },
        },
      },
    },
  };
  const config = parseConfig(JSON.stringify(file), {});
  let broker: { url: string; stop(): Promise<void> };
  let gateway: NatsConnection;
  let orders: NatsConnection;
  let billing: NatsConnection;
  const open: NatsConnection[] = [];

  beforeAll(async () => {
    if (kind === 'nats-server') {
      const nats = await new NatsServerProcess({ config: renderNatsConfig(config), env: { NEST_MESH_GATEWAY_PASSWORD: GATEWAY_PASSWORD } }).start();
      broker = { url: nats.url, stop: () => nats.stop() };
    } else {
      // What the gateway starts its embedded broker with, from the same config.
      const embedded = await new EmbeddedBroker({ port: 0, users: deriveBrokerUsers(config, { user: GATEWAY_USER, password: GATEWAY_PASSWORD }) }).start();
      broker = { url: embedded.url, stop: () => embedded.close() };
    }
    gateway = await mustConnect(broker.url, { user: 'nest-mesh-gateway', pass: GATEWAY_PASSWORD, name: 'gateway' });
    // Each identity receives replies on its own inbox only (docs/security.md).
    orders = await mustConnect(broker.url, { user: 'orders', pass: ORDERS_PASSWORD, name: 'orders', inboxPrefix: identityInboxPrefix('orders') });
    billing = await mustConnect(broker.url, { authenticator: nkeyAuthenticator(billingKey.getSeed()), name: 'billing', inboxPrefix: identityInboxPrefix('billing') });
    open.push(gateway, orders, billing);
  });
  afterAll(async () => {
    for (const nc of open) await nc.close().catch(() => undefined);
    await broker?.stop();
  });

  if (kind === 'nats-server') it('is what the nest-mesh nats-config command prints for the same mesh.yaml', async () => {
    const run = await TestProcess.run('nest-mesh nats-config', process.execPath, [GATEWAY_MAIN, 'nats-config', '--config', writeConfig(file)]);
    expect(run.code).toBe(0);
    expect(run.output).toBe(renderNatsConfig(config));
  });

  it('refuses anonymous clients and wrong passwords', async () => {
    expect(await tryConnect(broker.url, {})).toMatch(/Authorization Violation/i);
    expect(await tryConnect(broker.url, { user: 'orders', pass: 'wrong' })).toMatch(/Authorization Violation/i);
    expect(await tryConnect(broker.url, { user: 'nest-mesh-gateway', pass: 'wrong' })).toMatch(/Authorization Violation/i);
  });

  it('lets a service serve its own functions in queue group q, and the gateway call them', async () => {
    serve(orders, 'mesh.orders.*', 'from orders');
    await orders.flush();
    const reply = await gateway.request('mesh.orders.create', undefined, { timeout: 5_000 });
    expect(new TextDecoder().decode(reply.data)).toBe('from orders');
  });

  it('lets an nkey service serve its functions', async () => {
    serve(billing, 'mesh.billing.charge', 'charged');
    await billing.flush();
    const reply = await gateway.request('mesh.billing.charge', undefined, { timeout: 5_000 });
    expect(new TextDecoder().decode(reply.data)).toBe('charged');
  });

  it.each([
    ['another service\'s functions', 'mesh.billing.charge', 'q', 'mesh.billing.charge'],
    ['its own functions outside queue group q', 'mesh.orders.*', 'other', 'mesh.orders.x'],
    ['its own functions without a queue group', 'mesh.orders.*', undefined, 'mesh.orders.x'],
    ['every function (mesh.>)', 'mesh.>', undefined, 'mesh.orders.x'],
    ['everything (>)', '>', undefined, 'mesh.orders.x'],
    ['another service\'s discovery', '$SRV.PING.billing', undefined, '$SRV.PING.billing'],
  ])('does not let a service subscribe to %s', async (_, subject, queue, probe) => {
    expect(await canSubscribe(orders, gateway, subject, queue, probe)).toBe(false);
    expect(orders.isClosed()).toBe(false); // a violation keeps the connection
  });

  it('lets a service subscribe to its discovery subjects and to its own inbox', async () => {
    expect(await canSubscribe(orders, gateway, '$SRV.PING.orders')).toBe(true);
    expect(await canSubscribe(orders, gateway, '$SRV.INFO')).toBe(true);
    expect(await canSubscribe(orders, gateway, '_INBOX.orders.>', undefined, '_INBOX.orders.abc.1')).toBe(true);
  });

  it.each([
    ['every inbox', '_INBOX.>', '_INBOX.abc.1'],
    ["another caller's inbox", '_INBOX.abc.*', '_INBOX.abc.1'],
    ["another identity's inbox", '_INBOX.billing.>', '_INBOX.billing.abc.1'],
  ])('does not let a service read replies meant for others: %s', async (_, subject, probe) => {
    expect(await canSubscribe(orders, gateway, subject, undefined, probe)).toBe(false);
  });

  it('lets a service publish only to the functions its calls name', async () => {
    const errors = watchErrors(orders);
    expect(await canPublish(orders, gateway, 'mesh.billing.charge')).toBe(true);
    expect(await canPublish(orders, gateway, 'mesh.mail.send')).toBe(true);
    expect(await canPublish(orders, gateway, 'mesh.billing.refund')).toBe(false);
    expect(await canPublish(orders, gateway, 'mesh.orders.create')).toBe(false);
    expect(await canPublish(orders, gateway, '$SRV.PING')).toBe(false);
    expect(errors).toEqual(['PERMISSIONS_VIOLATION', 'PERMISSIONS_VIOLATION', 'PERMISSIONS_VIOLATION']); // one per refused publish
    expect(orders.isClosed()).toBe(false);
  });

  it('does not let a service with no calls publish to a function, nor reply to a subject it never received', async () => {
    expect(await canPublish(billing, gateway, 'mesh.orders.create')).toBe(false);
    expect(await canPublish(billing, gateway, '_INBOX.not-mine.1')).toBe(false);
    expect(await canPublish(orders, gateway, '_INBOX.not-mine.2')).toBe(false);
  });

  it('lets a service answer discovery requests it received', async () => {
    billing.subscribe('$SRV.PING.billing', { callback: (_, msg) => msg.respond(new TextEncoder().encode('pong')) });
    await billing.flush();
    const reply = await gateway.request('$SRV.PING.billing', undefined, { timeout: 5_000 });
    expect(new TextDecoder().decode(reply.data)).toBe('pong');
  });

  it('lets a service call what its calls name and receive the reply on its inbox', async () => {
    const reply = await orders.request('mesh.billing.charge', undefined, { timeout: 5_000 });
    expect(new TextDecoder().decode(reply.data)).toBe('charged');
  });

  it("lets a service send a whole stream to its caller's stream inbox, and the caller send credits and a cancel to the stream's control subject (docs/protocol.md#inboxes)", async () => {
    const enc = new TextEncoder();
    const fromOrders: string[] = [];
    const control = `${identityInboxPrefix('billing')}.c.${randomUUID()}`;
    billing.subscribe(control, { callback: (_, msg) => fromOrders.push(msg.headers?.get('Mesh-Stream-Credit') || msg.headers?.get('Mesh-Stream-Cancel') || '') });
    billing.subscribe('mesh.billing.history', {
      queue: 'q',
      callback: (_, req) => {
        for (let i = 1; i <= 50; i++) req.respond(enc.encode(String(i)), { reply: control });
      },
    });
    await billing.flush();
    const inbox = `${identityInboxPrefix('orders')}.s.${randomUUID()}`;
    const items: string[] = [];
    orders.subscribe(inbox, { callback: (_, msg) => items.push(new TextDecoder().decode(msg.data)) });
    await orders.flush();
    const errors = watchErrors(orders);
    orders.publish('mesh.billing.history', undefined, { reply: inbox });
    const until = Date.now() + 5_000;
    while (items.length < 50 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(items).toEqual(Array.from({ length: 50 }, (_, i) => String(i + 1)));
    for (const credit of ['2', '2', '0']) orders.publish(control, undefined, { headers: header('Mesh-Stream-Credit', credit) });
    orders.publish(control, undefined, { headers: header('Mesh-Stream-Cancel', '1') });
    await orders.flush();
    while (fromOrders.length < 4 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fromOrders).toEqual(['2', '2', '0', '1']);
    expect(errors).toEqual([]);
  });

  it('lets a service answer a plain call once (allow_responses: true): a reply subject that is not a stream inbox takes no second message', async () => {
    const enc = new TextEncoder();
    const errors = watchErrors(billing);
    billing.subscribe('mesh.billing.twice', {
      queue: 'q',
      callback: (_, req) => {
        for (const answer of ['first', 'second', 'third']) req.respond(enc.encode(answer));
      },
    });
    await billing.flush();
    const inbox = createInbox(); // the shape of a plain call's reply subject
    const answers: string[] = [];
    gateway.subscribe(inbox, { callback: (_, msg) => answers.push(new TextDecoder().decode(msg.data)) });
    gateway.publish('mesh.billing.twice', undefined, { reply: inbox });
    await gateway.flush();
    const until = Date.now() + 5_000;
    while (errors.length < 2 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    await gateway.flush();
    expect(answers).toEqual(['first']);
    expect(errors).toEqual(['PERMISSIONS_VIOLATION', 'PERMISSIONS_VIOLATION']);
  });

  it('lets a service publish to stream subjects, and to no other inbox subject it did not receive', async () => {
    expect(await canPublish(billing, gateway, '_INBOX.orders.s.abc.1')).toBe(true);
    expect(await canPublish(billing, gateway, '_INBOX.nest-mesh-gateway.c.abc.1')).toBe(true);
    for (const subject of ['_INBOX.orders.abc.1', '_INBOX.orders.s', '_INBOX.s.abc', '_INBOX.orders.x.s.1', 'mesh.orders.s.x']) {
      expect({ subject, allowed: await canPublish(billing, gateway, subject) }).toEqual({ subject, allowed: false });
    }
  });

  it('keeps embedded.users with the permissions written for them', async () => {
    const ops = await mustConnect(broker.url, { user: 'ops', pass: 'ops-secret-1' });
    open.push(ops);
    expect(await canSubscribe(ops, gateway, '$SRV.>', undefined, '$SRV.PING')).toBe(true);
    expect(await canSubscribe(ops, gateway, 'mesh.>', undefined, 'mesh.orders.x')).toBe(false);
  });

  it('prints no seed, and the gateway password only as a variable', () => {
    const text = renderNatsConfig(config);
    expect(text).not.toContain(new TextDecoder().decode(billingKey.getSeed()));
    expect(text).not.toContain(GATEWAY_PASSWORD);
  });
});

function header(name: string, value: string) {
  const h = headers();
  h.set(name, value);
  return h;
}
