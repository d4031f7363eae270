import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestProcess } from '../support/child';
import { freePort } from '../support/free-port';
import { post, startGateway } from '../support/mesh';
import { writeConfig } from '../support/config-file';
import { describeWithNatsServer, NatsServerProcess } from '../support/nats-server';
import { until } from '../support/until';
import { EventService } from './event-service';

/** Two gateways on one NATS with JetStream share the deliveries, and deliver each schedule occurrence once. */
describeWithNatsServer('eventing with several gateways (JetStream)', () => {
  let dir: string;
  let nats: NatsServerProcess;
  const gateways: { process: TestProcess; url: string }[] = [];
  let service: EventService;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nest-mesh-several-'));
    nats = await new NatsServerProcess({ args: ['-js', '-sd', join(dir, 'js')] }).start();
    for (let i = 0; i < 2; i++) {
      gateways.push(
        await startGateway(
          writeConfig({
            id: 'demo',
            port: await freePort(),
            modules: {
              functions: { conn: nats.url },
              eventing: {
                enabled: true,
                triggers: {
                  welcome: { on: { event: 'user.signup' }, call: { service: 'mail', func: 'welcome' } },
                  tick: { on: { schedule: '* * * * * *' }, call: { service: 'mail', func: 'tick' } },
                },
                rules: { 'user.signup': { rule: 'allow' } },
              },
            },
          }),
        ),
      );
    }
    service = await new EventService().start(nats.url, ['welcome', 'tick']);
  });
  afterAll(async () => {
    await service?.stop();
    for (const g of gateways) await g.process.stop();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers each event queued at either gateway once, and each occurrence once', async () => {
    for (let i = 0; i < 40; i++) {
      const res = await post(`${gateways[i % 2].url}/v1/api/demo/eventing/queue`, { type: 'user.signup', id: `both-${i}`, payload: i });
      expect(res.status).toBe(202);
    }
    // the same ids again, at the other gateway: stored once
    for (let i = 0; i < 40; i++) {
      expect((await post(`${gateways[(i + 1) % 2].url}/v1/api/demo/eventing/queue`, { type: 'user.signup', id: `both-${i}` })).body).toEqual({ id: `both-${i}` });
    }
    await until(() => new Set(service.of('welcome').map((s) => s.params.id)).size === 40, 30_000, '40 events delivered');
    await until(() => service.of('tick').length >= 3, 30_000, 'three ticks');
    await new Promise((r) => setTimeout(r, 1500));
    expect(service.of('welcome')).toHaveLength(40);
    const ticks = service.of('tick').map((s) => s.params.id);
    expect(new Set(ticks).size).toBe(ticks.length);
  });
});
