import { connect, RequestStrategy, ServiceInfo } from 'nats';
import { describeWithNatsServer } from '../support/nats-server';
import { BROKERS, Mesh, startMesh } from '../support/mesh';

/** Many instances of one service: the queue group shares the load, and a stopping one loses no call. */
for (const kind of BROKERS) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;

  describeFor(`instances of a service (${kind})`, () => {
    let mesh: Mesh;

    beforeAll(async () => {
      mesh = await startMesh(kind, { rules: { test: { default: { rule: 'allow' } } }, services: 3 });
    });
    afterAll(() => mesh?.stop());

    it('shares 300 calls between 3 instances, at least 50 each', async () => {
      const served = new Map<string, number>();
      for (let batch = 0; batch < 30; batch++) {
        const replies = await Promise.all(
          Array.from({ length: 10 }, () => mesh.call('/v1/api/demo/functions/test/whoami', {})),
        );
        for (const reply of replies) {
          expect(reply.status).toBe(200);
          const instance: string = reply.body.result.instance;
          served.set(instance, (served.get(instance) ?? 0) + 1);
        }
      }
      expect([...served.keys()].sort()).toEqual(['i1', 'i2', 'i3']);
      for (const count of served.values()) expect(count).toBeGreaterThanOrEqual(50);
    });

    it('answers ADR-32 discovery: $SRV.PING and $SRV.INFO, one endpoint per function, queue group q', async () => {
      const nc = await connect({ servers: mesh.brokerUrl });
      try {
        const client = nc.services.client({ strategy: RequestStrategy.Timer, maxWait: 2000 });
        const pings = [];
        for await (const ping of await client.ping('test')) pings.push(ping);
        expect(pings).toHaveLength(3);
        expect(new Set(pings.map((ping) => ping.id)).size).toBe(3);
        const infos: ServiceInfo[] = [];
        for await (const info of await client.info('test', pings[0].id)) infos.push(info);
        expect(infos).toHaveLength(1);
        const endpoints = infos[0].endpoints.map(({ name, subject, queue_group }) => ({ name, subject, queue_group }));
        expect(endpoints).toEqual(
          expect.arrayContaining([
            { name: 'echo', subject: 'mesh.test.echo', queue_group: 'q' },
            { name: 'whoami', subject: 'mesh.test.whoami', queue_group: 'q' },
          ]),
        );
      } finally {
        await nc.close();
      }
    });

    it('loses no call when one of 3 instances gets SIGTERM under a steady stream of calls', async () => {
      const failures: unknown[] = [];
      const servedBy = new Map<string, number>();
      let calls = 0;
      let streaming = true;
      // 8 callers, each call held 100 ms by the function, so calls are in flight when SIGTERM lands.
      const caller = async () => {
        while (streaming) {
          calls++;
          const reply = await mesh.call('/v1/api/demo/functions/test/sleep', { params: { ms: 100 } });
          if (reply.status !== 200) failures.push(reply.body);
          else servedBy.set(reply.body.result.instance, (servedBy.get(reply.body.result.instance) ?? 0) + 1);
        }
      };
      const callers = Array.from({ length: 8 }, caller);
      const stopping = mesh.services[0];
      try {
        await new Promise((resolve) => setTimeout(resolve, 700));
        const servedBeforeStop = servedBy.get('i1') ?? 0;
        expect(servedBeforeStop).toBeGreaterThan(0);
        await stopping.stop('SIGTERM');
        // Nest's shutdown hook closes the app, then re-raises the signal.
        expect(stopping.child.exitCode === 0 || stopping.child.signalCode === 'SIGTERM').toBe(true);
        expect(stopping.output).toMatch(/MeshServer.*stopped taking calls/);
        await new Promise((resolve) => setTimeout(resolve, 700));
      } finally {
        streaming = false;
        await Promise.all(callers);
      }
      expect(failures).toEqual([]);
      expect(calls).toBeGreaterThan(50);
      expect((servedBy.get('i2') ?? 0) + (servedBy.get('i3') ?? 0)).toBeGreaterThan(0);
    });
  });
}
