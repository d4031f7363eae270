import { connect, NatsConnection } from 'nats';
import { EMIT_SUBJECT } from '@nest-mesh/wire';
import { decodeJson, encodeJson } from 'nest-mesh/internal';
import type { GatewayConfig } from '../../apps/gateway/src/config/gateway-config';
import { EmitListener } from '../../apps/gateway/src/eventing/emit-listener';
import type { EventingService } from '../../apps/gateway/src/eventing/eventing.service';
import { freePort } from '../support/free-port';
import { describeWithNatsServer, NatsServerProcess } from '../support/nats-server';
import { until } from '../support/until';

const config = { modules: { eventing: { maxPayload: 1000 } } } as GatewayConfig;

/** The gateway's `$MESH.events.queue` listener: serving before the gateway does, or later when the broker is down at start-up. */
describeWithNatsServer('EmitListener start-up', () => {
  const stops: (() => Promise<unknown>)[] = [];
  const queued: string[] = [];
  const eventing = { queue: async (request: { id?: string }) => (queued.push(request.id ?? ''), { id: request.id ?? 'new', duplicate: false }) } as unknown as EventingService;
  const emit = (nc: NatsConnection, id: string) =>
    nc.request(EMIT_SUBJECT, encodeJson({ type: 'user.signup', payload: 1, id }), { timeout: 5_000 }).then((reply) => decodeJson(reply.data));

  // Stopped in reverse order: clients, then the listener, then the broker.
  afterEach(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
  });

  it('is subscribed once onApplicationBootstrap resolves: an emit right after start-up is stored, not answered 503', async () => {
    const nats = await new NatsServerProcess().start();
    stops.push(() => nats.stop());
    const client = await connect({ servers: nats.url });
    stops.push(() => client.close());
    const listener = new EmitListener(eventing, { servers: nats.url }, config);
    stops.splice(1, 0, () => listener.onApplicationShutdown());
    await listener.onApplicationBootstrap();
    await expect(emit(client, 'at-once')).resolves.toEqual({ id: 'at-once' });
    expect(queued).toContain('at-once');
  });

  it('does not hold start-up when the broker is down, and serves once it is up', async () => {
    const port = await freePort();
    const nats = new NatsServerProcess({ port });
    stops.push(() => nats.stop());
    const listener = new EmitListener(eventing, { servers: `nats://127.0.0.1:${port}`, reconnectTimeWait: 200 }, config);
    stops.push(() => listener.onApplicationShutdown());
    const started = Date.now();
    await listener.onApplicationBootstrap();
    expect(Date.now() - started).toBeLessThan(5_000);
    await nats.start();
    const client = await connect({ servers: nats.url });
    stops.push(() => client.close());
    await until(async () => (await emit(client, 'later').catch(() => undefined)) !== undefined, 20_000, 'emit served');
    expect(queued).toContain('later');
  });
});
