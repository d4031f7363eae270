import { INestApplication, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { decodeJwt } from 'jose';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsConnection } from 'nats';
import { EMIT_SUBJECT } from '@nest-mesh/wire';
import { MeshClient, MeshContext, MeshEvent, MeshFunction, meshMicroservice, MeshModule, MeshService } from 'nest-mesh';
import { parseConfig } from '../../apps/gateway/src/config/load-config';
import { renderNatsConfig } from '../../apps/gateway/src/trust/nats-authorization';
import { TestProcess } from '../support/child';
import { freePort } from '../support/free-port';
import { writeConfig } from '../support/config-file';
import { BROKERS, JWT_SECRET, startGateway } from '../support/mesh';
import { signToken } from '../support/tokens';
import { describeWithNatsServer, NatsServerProcess } from '../support/nats-server';
import { until } from '../support/until';
import { canPublish, mustConnect } from '../trust/broker-access';

const GATEWAY_PASSWORD = 'gw-pass-integ-3';
const ORDERS_PASSWORD = 'orders-pass-integ-3';
const MAIL_PASSWORD = 'mail-pass-integ-3';
/** A user without permissions that watches subjects (embedded.users; nats-server's own output has the gateway's). */
const WATCH_PASSWORD = 'watch-pass-integ-3';

interface Delivery {
  params: { id: string; type: string; source: string; attempt: number; payload: unknown };
  event: MeshEvent | undefined;
  token: string | undefined;
  auth: unknown;
}
const deliveries: Delivery[] = [];

/** The trigger's function: served as identity `mail`, it runs only for calls with a valid Mesh-Token. */
@MeshService('mail')
class MailService {
  @MeshFunction('welcome')
  welcome(params: Delivery['params'], ctx: MeshContext): void {
    deliveries.push({ params, event: ctx.event, token: ctx.meshToken, auth: ctx.auth ?? null });
  }

  /** A `func` rule's function for queueing events: admins only, by the claims of the verified Mesh-Token. */
  @MeshFunction('mayQueue')
  mayQueue(payload: { auth?: { role?: string } | null }, ctx: MeshContext): { ack: boolean } {
    return { ack: (ctx.auth as { role?: string } | undefined)?.role === 'admin' && payload?.auth?.role === 'admin' };
  }
}

@Module({ controllers: [MailService] })
class MailModule {}

const userToken = (role: string) => signToken({ sub: role, role });

/**
 * Service identities and eventing together (docs/security.md, docs/events.md): a backend logged in
 * as its identity queues an event with MeshClient.emit (its identity may publish to
 * `$MESH.events.queue` because eventing is on), the gateway stores it and its dispatcher calls the
 * trigger's function, which another identity serves while verifying the gateway's Mesh-Token. On the
 * embedded broker, and on nats-server running `nest-mesh nats-config`'s output with JetStream (the
 * gateway's own user reaches the JetStream API).
 */
for (const kind of BROKERS) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;

  describeFor(`identities and eventing together (${kind})`, () => {
    const started: { stop(): Promise<void> }[] = [];
    let dir: string;
    let gateway: { process: TestProcess; url: string; brokerUrl: string };
    let mail: INestMicroservice;
    let orders: INestApplication;
    let emitter: MeshClient;
    let ordersRaw: NatsConnection;
    let watcher: NatsConnection;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'nest-mesh-integ-'));
      const natsPort = await freePort();
      const config = {
        id: 'demo',
        secret: JWT_SECRET,
        port: await freePort(),
        modules: {
          functions: {
            ...(kind === 'nats-server'
              ? { conn: `nats://nest-mesh-gateway:${GATEWAY_PASSWORD}@127.0.0.1:${natsPort}` }
              : { embedded: { host: '127.0.0.1', port: natsPort, users: [{ user: 'watch', password: WATCH_PASSWORD }] } }),
            services: { orders: { password: ORDERS_PASSWORD, calls: [] }, mail: { password: MAIL_PASSWORD, calls: [] } },
            rules: { mail: { welcome: { rule: 'authenticated' } } },
          },
          eventing: {
            enabled: true,
            store: join(dir, 'events'),
            // No retries: a call the function refuses (e.g. 401 for a missing Mesh-Token) makes the event dead at once.
            triggers: { welcome: { on: { event: 'user.signup' }, call: { service: 'mail', func: 'welcome' }, retries: 0 } },
            rules: { 'order.placed': { rule: 'func', service: 'mail', func: 'mayQueue' } },
            admin: { rule: 'match', eval: '==', type: 'string', f1: 'args.auth.role', f2: 'admin' },
          },
        },
      };
      if (kind === 'nats-server') {
        const nats = new NatsServerProcess({ port: natsPort, config: renderNatsConfig(parseConfig(JSON.stringify(config), {})), args: ['-js', '-sd', join(dir, 'js')] });
        started.push(nats);
        await nats.start();
      }
      gateway = await startGateway(writeConfig(config));
      started.push(gateway.process);
      const servers = gateway.brokerUrl;
      mail = await NestFactory.createMicroservice(MailModule, {
        ...meshMicroservice({ servers, user: 'mail', pass: MAIL_PASSWORD, verify: { jwks: `${gateway.url}/.well-known/jwks.json`, audience: 'demo' } }),
        logger: false,
      });
      await mail.listen();
      @Module({ imports: [MeshModule.forRoot({ servers, user: 'orders', pass: ORDERS_PASSWORD })] })
      class OrdersModule {}
      orders = await NestFactory.create(OrdersModule, { logger: false });
      await orders.init();
      emitter = orders.get(MeshClient);
      ordersRaw = await mustConnect(servers, { user: 'orders', pass: ORDERS_PASSWORD });
      watcher = await mustConnect(servers, kind === 'nats-server' ? { user: 'nest-mesh-gateway', pass: GATEWAY_PASSWORD } : { user: 'watch', pass: WATCH_PASSWORD });
    }, 90_000);

    afterAll(async () => {
      await ordersRaw?.close().catch(() => undefined);
      await watcher?.close().catch(() => undefined);
      await orders?.close();
      await mail?.close();
      for (const item of started.reverse()) await item.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    });

    it('stores an event emitted by a service identity and delivers it to the trigger\'s function with a valid Mesh-Token', async () => {
      const id = await emitter.emit('user.signup', { email: 'ada@example.com' }, { id: `signup-${kind}`, timeout: 10_000 });
      expect(id).toBe(`signup-${kind}`);
      await until(() => deliveries.some((d) => d.params.id === id), 20_000, `delivery of ${id}`);
      const got = deliveries.find((d) => d.params.id === id)!;
      expect(got.params).toMatchObject({ type: 'user.signup', source: 'event', attempt: 1, payload: { email: 'ada@example.com' } });
      expect(got.event).toEqual({ id, type: 'user.signup', attempt: 1 });
      expect(got.auth).toBeNull();
      expect(decodeJwt(got.token!)).toMatchObject({ iss: 'nest-mesh', aud: 'demo', svc: 'mail', fn: 'welcome', auth: null });
    });

    it('keeps no dead event: the dispatcher\'s calls pass the Mesh-Token check', async () => {
      const res = await fetch(`${gateway.url}/v1/api/demo/eventing/events?status=dead`, { headers: { Authorization: `Bearer ${await userToken('admin')}` }, signal: AbortSignal.timeout(30_000) });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ events: [], next: null });
    });

    it('lets the identity publish to the event queue (eventing is on), and nothing else of the mesh', async () => {
      expect(await canPublish(ordersRaw, watcher, EMIT_SUBJECT, 5_000)).toBe(true);
      expect(await canPublish(ordersRaw, watcher, '$MESH.events.other', 1_500)).toBe(false);
    });

    it('calls a `func` queue rule\'s function (an identity verifying Mesh-Token) with the caller\'s claims in the token', async () => {
      const queue = async (role: string) =>
        (await fetch(`${gateway.url}/v1/api/demo/eventing/queue`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${await userToken(role)}` },
          body: JSON.stringify({ type: 'order.placed', payload: { n: 1 } }),
          signal: AbortSignal.timeout(30_000),
        })).status;
      expect(await queue('admin')).toBe(202);
      expect(await queue('user')).toBe(403);
    });

    it('lists the identity\'s functions in discovery and OpenAPI (its $SRV answers reach the gateway)', async () => {
      const services = await fetch(`${gateway.url}/v1/api/demo/services`, { signal: AbortSignal.timeout(30_000) });
      expect(services.status).toBe(200);
      expect(((await services.json()) as { services: unknown[] }).services).toEqual([
        expect.objectContaining({ name: 'mail', instances: 1, functions: [expect.objectContaining({ name: 'welcome' })] }),
      ]);
      const openapi = await fetch(`${gateway.url}/v1/api/demo/openapi.json`, { signal: AbortSignal.timeout(30_000) });
      expect(Object.keys(((await openapi.json()) as { paths: object }).paths)).toEqual(['/v1/api/demo/functions/mail/welcome']);
    });

    it('does not let the emitting identity call the trigger\'s function itself (its `calls` are empty)', async () => {
      await expect(emitter.call('mail', 'welcome', { id: 'forged' }, { timeout: 1_500 })).rejects.toMatchObject({ status: expect.any(Number) });
      expect(deliveries.some((d) => d.params.id === 'forged')).toBe(false);
    });
  });
}

/** Without eventing, a service identity may not publish to the event queue (docs/security.md). */
describe('a service identity when eventing is off', () => {
  let gateway: { process: TestProcess; url: string; brokerUrl: string } | undefined;
  const connections: NatsConnection[] = [];

  beforeAll(async () => {
    gateway = await startGateway(
      writeConfig({
        id: 'demo',
        secret: JWT_SECRET,
        port: await freePort(),
        modules: {
          functions: {
            embedded: { host: '127.0.0.1', port: await freePort(), users: [{ user: 'watch', password: WATCH_PASSWORD }] },
            services: { orders: { password: ORDERS_PASSWORD, calls: [] } },
            rules: {},
          },
        },
      }),
    );
  });
  afterAll(async () => {
    for (const nc of connections) await nc.close().catch(() => undefined);
    await gateway?.process.stop();
  });

  it('refuses its publish to $MESH.events.queue', async () => {
    const orders = await mustConnect(gateway!.brokerUrl, { user: 'orders', pass: ORDERS_PASSWORD });
    const watcher = await mustConnect(gateway!.brokerUrl, { user: 'watch', pass: WATCH_PASSWORD });
    connections.push(orders, watcher);
    expect(await canPublish(orders, watcher, EMIT_SUBJECT, 3_000)).toBe(false);
  });
});
