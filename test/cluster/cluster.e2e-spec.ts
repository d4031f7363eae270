import { TestProcess } from '../support/child';
import { freePort } from '../support/free-port';
import { JWT_SECRET, post, startGateway, startTestService } from '../support/mesh';
import { writeConfig } from '../support/config-file';
import { NatsCluster } from '../support/nats-cluster';
import { describeWithNatsServer } from '../support/nats-server';

/**
 * The mesh on a NATS cluster (docs/operations.md, "A NATS cluster"): three nats-server nodes
 * routed to each other, two gateways (A on node 1, B on node 2), service instances spread over
 * the nodes. Calls keep flowing while instances and a node are stopped or killed.
 */
const CALL_TIMEOUT = 3000;

interface Outcome {
  gateway: string;
  status: number;
  code?: string;
  instance?: string;
  started: number;
  ms: number;
}

describeWithNatsServer('the mesh on a 3-node NATS cluster', () => {
  const cluster = new NatsCluster(3);
  const processes: TestProcess[] = [];
  let gatewayA: string;
  let gatewayB: string;

  const service = async (node: number, instance: string) => {
    const proc = await startTestService(cluster.url(node), instance);
    processes.push(proc);
    return proc;
  };

  beforeAll(async () => {
    await cluster.start();
    const gateway = async (node: number) => {
      const config = writeConfig({
        id: 'demo',
        secret: JWT_SECRET,
        port: await freePort(),
        modules: { functions: { conn: cluster.url(node), rules: { test: { default: { rule: 'allow' } } } } },
      });
      const started = await startGateway(config);
      processes.push(started.process);
      return started.url;
    };
    [gatewayA, gatewayB] = await Promise.all([gateway(0), gateway(1)]);
    await Promise.all([service(0, 'n1-a'), service(1, 'n2-a'), service(2, 'n3-a'), service(2, 'n3-b')]);
  }, 90_000);

  afterAll(async () => {
    for (const proc of processes.reverse()) await proc.stop().catch(() => undefined);
    await cluster.stop();
  }, 60_000);

  const call = async (gateway: string, func: string, params: unknown): Promise<Outcome> => {
    const started = Date.now();
    try {
      const reply = await post(`${gateway}/v1/api/demo/functions/test/${func}`, { params, timeout: CALL_TIMEOUT }, {}, CALL_TIMEOUT + 10_000);
      return { gateway, status: reply.status, code: reply.body?.code, instance: reply.body?.result?.instance, started, ms: Date.now() - started };
    } catch (error) {
      return { gateway, status: 0, code: (error as Error).message, started, ms: Date.now() - started };
    }
  };

  /** `callers` loops per gateway, each calling test.sleep (ms) until stop() is called. */
  const stream = (gateways: string[], callers: number, ms: number) => {
    const outcomes: Outcome[] = [];
    let running = true;
    const loops = gateways.flatMap((gateway) =>
      Array.from({ length: callers }, async () => {
        while (running) outcomes.push(await call(gateway, 'sleep', { ms }));
      }),
    );
    return {
      outcomes,
      stop: async () => {
        running = false;
        await Promise.all(loops);
        return outcomes;
      },
    };
  };

  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('serves calls through both gateways from instances on every node', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 40 && seen.size < 4; i++) {
      for (const gateway of [gatewayA, gatewayB]) {
        const outcome = await call(gateway, 'whoami', null);
        expect(outcome.status).toBe(200);
        seen.add(outcome.instance!);
      }
    }
    expect([...seen].sort()).toEqual(['n1-a', 'n2-a', 'n3-a', 'n3-b']);
  });

  it('loses no call when an instance gets SIGTERM under a stream of calls', async () => {
    const load = stream([gatewayA, gatewayB], 4, 50);
    await pause(800);
    const stopping = processes.find((proc) => proc.name === 'test service n3-b')!;
    await stopping.stop('SIGTERM');
    await pause(800);
    const outcomes = await load.stop();
    expect(outcomes.filter((o) => o.status !== 200)).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(20);
  }, 60_000);

  it('fails at most the calls in flight on an instance that gets SIGKILL, each within its timeout', async () => {
    await service(2, 'n3-c');
    const callers = 4;
    const load = stream([gatewayA, gatewayB], callers, 50);
    await pause(800);
    const killed = processes.find((proc) => proc.name === 'test service n3-c')!;
    await killed.stop('SIGKILL');
    await pause(CALL_TIMEOUT + 1000);
    const outcomes = await load.stop();
    const failures = outcomes.filter((o) => o.status !== 200);
    // At most one call per caller was in flight on the killed instance; each waits for its timeout.
    expect(failures.length).toBeLessThanOrEqual(2 * callers);
    for (const failure of failures) {
      expect(failure).toMatchObject({ status: 504, code: 'TIMEOUT' });
      expect(failure.ms).toBeLessThan(CALL_TIMEOUT + 2000);
    }
    expect(outcomes.filter((o) => o.status === 200).length).toBeGreaterThan(20);
  }, 60_000);

  it('recovers within 5 s when the node a gateway is connected to gets SIGKILL; its services reconnect', async () => {
    const load = stream([gatewayA, gatewayB], 4, 50);
    await pause(800);
    const killedAt = Date.now();
    await cluster.nodes[0].stop('SIGKILL');
    await pause(CALL_TIMEOUT + 3000);
    const outcomes = await load.stop();

    // Nothing waits past its timeout: a call in flight on the dead node fails fast (503) or times out.
    for (const failure of outcomes.filter((o) => o.status !== 200)) {
      expect([503, 504]).toContain(failure.status);
      expect(failure.ms).toBeLessThan(CALL_TIMEOUT + 2000);
    }
    // Gateway A (on the dead node) serves again within 5 s of the kill.
    const firstSuccessA = outcomes
      .filter((o) => o.gateway === gatewayA && o.status === 200 && o.started >= killedAt)
      .map((o) => o.started + o.ms - killedAt)
      .sort((a, b) => a - b)[0];
    expect(firstSuccessA).toBeLessThan(5000);

    // n1-a was connected to the dead node: it reconnects to another one by itself and serves again.
    const seen = new Set<string>();
    const deadline = Date.now() + 15_000;
    while (!seen.has('n1-a') && Date.now() < deadline) {
      const outcome = await call(gatewayA, 'whoami', null);
      if (outcome.status === 200) seen.add(outcome.instance!);
    }
    expect(seen.has('n1-a')).toBe(true);
  }, 60_000);
});
