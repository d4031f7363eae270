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

/** SIGTERM while a slow trigger function runs: the delivery finishes and is acked before the gateway exits. */
describe('eventing on SIGTERM', () => {
  let dir: string;
  let gateway: { process: TestProcess; url: string; brokerUrl: string } | undefined;
  let service: EventService | undefined;
  let brokerPort: number;

  const config = async () =>
    writeConfig({
      id: 'demo',
      secret: JWT_SECRET,
      port: await freePort(),
      modules: {
        functions: { embedded: { host: '127.0.0.1', port: brokerPort }, rules: {} },
        eventing: {
          enabled: true,
          store: join(dir, 'events'),
          triggers: { slow: { on: { event: 'slow' }, call: { service: 'mail', func: 'slow' }, timeout: 20_000 } },
          rules: { slow: { rule: 'allow' } },
          admin: { rule: 'authenticated' },
        },
      },
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nest-mesh-stop-'));
    brokerPort = await freePort();
  });
  afterAll(async () => {
    await service?.stop();
    await gateway?.process.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets the delivery in flight finish and be acked, then exits 0; after a restart nothing is pending', async () => {
    gateway = await startGateway(await config());
    let answered = 0;
    service = await new EventService({
      slow: async () => {
        await new Promise((r) => setTimeout(r, 1500));
        answered = Date.now();
        return 'ok' as const;
      },
    }).start(gateway.brokerUrl, ['slow']);
    const res = await post(`${gateway.url}/v1/api/demo/eventing/queue`, { type: 'slow', id: 'slow-at-stop' });
    expect(res.status).toBe(202);
    await until(() => service!.of('slow').length === 1);
    await gateway.process.stop('SIGTERM', 30_000);
    const exited = Date.now();
    expect(gateway.process.child.exitCode).toBe(0);
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThanOrEqual(exited);
    await service.stop();

    gateway = await startGateway(await config());
    service = await new EventService().start(gateway.brokerUrl, ['slow']);
    const admin = await signToken({ sub: 'ops' });
    const pending = await fetch(`${gateway.url}/v1/api/demo/eventing/events?status=pending`, { headers: { Authorization: `Bearer ${admin}` } });
    expect(await pending.json()).toEqual({ events: [], next: null });
    await new Promise((r) => setTimeout(r, 1000));
    expect(service.of('slow')).toEqual([]);
  });
});
