import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestProcess } from '../support/child';
import { freePort } from '../support/free-port';
import { JWT_SECRET, post, startGateway } from '../support/mesh';
import { writeConfig } from '../support/config-file';
import { signToken } from '../support/tokens';
import { until } from '../support/until';
import { EventService } from './event-service';

/** The eventing routes answer the same on fastify as on express. */
describe('eventing routes on fastify', () => {
  let dir: string;
  let gateway: { process: TestProcess; url: string; brokerUrl: string };
  let service: EventService;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nest-mesh-fastify-events-'));
    gateway = await startGateway(
      writeConfig({
        id: 'demo',
        secret: JWT_SECRET,
        port: await freePort(),
        http: { adapter: 'fastify' },
        modules: {
          functions: { embedded: { host: '127.0.0.1', port: await freePort() }, rules: {} },
          eventing: {
            enabled: true,
            store: join(dir, 'events'),
            triggers: { welcome: { on: { event: 'user.signup' }, call: { service: 'mail', func: 'welcome' } } },
            rules: { default: { rule: 'allow' } },
            admin: { rule: 'authenticated' },
          },
        },
      }),
    );
    service = await new EventService().start(gateway.brokerUrl, ['welcome']);
  });
  afterAll(async () => {
    await service?.stop();
    await gateway?.process.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('queues (202 with X-Request-Id), refuses bad bodies (400), and serves the admin list', async () => {
    const res = await post(`${gateway.url}/v1/api/demo/eventing/queue`, { type: 'user.signup', payload: { a: 1 } });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    await until(() => service.of('welcome').some((s) => s.params.id === res.body.id));
    expect(await post(`${gateway.url}/v1/api/demo/eventing/queue`)).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
    expect(await post(`${gateway.url}/v1/api/demo/eventing/queue`, '{bad')).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
    const admin = await signToken({ sub: 'ops' });
    const list = await fetch(`${gateway.url}/v1/api/demo/eventing/events?status=pending`, { headers: { Authorization: `Bearer ${admin}` } });
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual({ events: [], next: null });
  });
});
