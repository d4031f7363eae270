import { DEFAULT_EVENT_STREAM, JetStreamEventStore } from '@nest-mesh/eventing';
import { connect } from 'nats';
import { EventService } from '../eventing/event-service';
import { TestProcess } from '../support/child';
import { writeConfig } from '../support/config-file';
import { freePort } from '../support/free-port';
import { JWT_SECRET, post, startGateway, startTestService } from '../support/mesh';
import { NatsCluster } from '../support/nats-cluster';
import { describeWithNatsServer } from '../support/nats-server';
import { describeWithRedis, REDIS_URL } from '../support/redis';
import { until } from '../support/until';
import { EVENT_CONSUMER, leadBoth, onEveryNode, queueEvents } from './event-stream';

/**
 * The mesh on a NATS cluster (docs/operations.md, "A NATS cluster"): three nats-server nodes
 * routed to each other, two gateways (A on node 1, B on node 2) sharing the Redis rate-limit store
 * and the JetStream event streams (3 replicas), service instances spread over the nodes. Calls and
 * events keep flowing while instances and nodes are stopped or killed.
 */
const CALL_TIMEOUT = 3000;
/** A project id of this run only: the Redis keys of its rate limits are its own. */
const PROJECT = `cluster-${process.pid}-${Date.now()}`;
const RATE_LIMIT = 6;

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
  const events = new EventService();
  let gatewayA: string;
  let gatewayB: string;
  let gatewayProcs: TestProcess[];

  const service = async (node: number, instance: string) => {
    const proc = await startTestService(cluster.url(node), instance);
    processes.push(proc);
    return proc;
  };

  beforeAll(async () => {
    await cluster.start();
    // The event streams as a gateway of an earlier version (one replica) made them: the gateways scale them.
    const old = new JetStreamEventStore({ connection: { servers: cluster.url(2) }, leaseMs: 10_000 });
    try {
      await old.open();
    } finally {
      await old.close();
    }
    const gateway = async (node: number) => {
      const config = writeConfig({
        id: PROJECT,
        secret: JWT_SECRET,
        port: await freePort(),
        modules: {
          functions: {
            conn: cluster.url(node),
            timeout: { default: CALL_TIMEOUT, max: 60_000 },
            rateLimitStore: REDIS_URL,
            rules: { test: { default: { rule: 'allow' }, echo: { rule: 'allow', rateLimit: { limit: RATE_LIMIT, window: 60_000, by: 'ip' } } } },
          },
          eventing: {
            enabled: true,
            replicas: 3,
            rules: { default: { rule: 'allow' } },
            triggers: { tick: { on: { event: 'cluster.tick' }, call: { service: 'mail', func: 'tick' }, retries: 100, backoff: [200, 1000] } },
          },
        },
      });
      const started = await startGateway(config);
      processes.push(started.process);
      return started;
    };
    const started = await Promise.all([gateway(0), gateway(1)]);
    [gatewayA, gatewayB] = started.map((g) => g.url);
    gatewayProcs = started.map((g) => g.process);
    await Promise.all([service(0, 'n1-a'), service(1, 'n2-a'), service(2, 'n3-a'), service(2, 'n3-b'), events.start(cluster.url(2), ['tick'])]);
  }, 90_000);

  afterAll(async () => {
    await events.stop();
    for (const proc of processes.reverse()) await proc.stop().catch(() => undefined);
    await cluster.stop();
  }, 60_000);

  const call = async (gateway: string, func: string, params: unknown): Promise<Outcome> => {
    const started = Date.now();
    try {
      const reply = await post(`${gateway}/v1/api/${PROJECT}/functions/test/${func}`, { params, timeout: CALL_TIMEOUT }, {}, CALL_TIMEOUT + 10_000);
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

  describeWithRedis('sharing the Redis rate-limit store', () => {
    it('lets `limit` calls through both gateways together, then answers 429 RATE_LIMITED with Retry-After on either', async () => {
      await Promise.all(gatewayProcs.map((proc) => proc.waitFor(/rate limit store \S+ connected/, 15_000)));
      const echo = (gateway: string, i: number) => post(`${gateway}/v1/api/${PROJECT}/functions/test/echo`, { params: { i } }, {}, 15_000);
      for (let i = 0; i < RATE_LIMIT; i++) expect((await echo(i % 2 ? gatewayB : gatewayA, i)).status).toBe(200);
      for (const gateway of [gatewayA, gatewayB]) {
        const limited = await echo(gateway, RATE_LIMIT);
        expect(limited).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED' } });
        expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      }
    });
  });

  it('keeps the event streams and their consumer on all three nodes (replicas: 3, also a stream made with one)', async () => {
    const nc = await connect({ servers: cluster.url(1) });
    try {
      const jsm = await nc.jetstreamManager();
      for (const stream of [DEFAULT_EVENT_STREAM, `${DEFAULT_EVENT_STREAM}_DEAD`]) {
        await until(async () => onEveryNode((await jsm.streams.info(stream)).cluster), 20_000, `${stream} current on three nodes`);
        expect((await jsm.streams.info(stream)).config.num_replicas).toBe(3);
      }
      await until(async () => onEveryNode((await jsm.consumers.info(DEFAULT_EVENT_STREAM, EVENT_CONSUMER)).cluster), 20_000, 'the consumer current on three nodes');
    } finally {
      await nc.close();
    }
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

  it('keeps delivering a JetStream trigger (3 replicas) when the node leading the event stream gets SIGKILL', async () => {
    await cluster.restart(0); // the test before killed node 1: all three nodes again
    const nc = await connect({ servers: [cluster.url(1), cluster.url(2), cluster.url(0)], maxReconnectAttempts: -1, reconnectTimeWait: 200 });
    try {
      const leader = await leadBoth(nc, await nc.jetstreamManager({ checkAPI: false }));
      const load = queueEvents([gatewayA, gatewayB], PROJECT, 'cluster.tick');
      await until(() => load.accepted().length >= 20, 15_000, 'events queued before the kill');
      const killedAt = Date.now();
      await cluster.nodes[[0, 1, 2].find((i) => cluster.name(i) === leader)!].stop('SIGKILL');
      // Queueing works again (new leaders are elected) through both gateways.
      const acceptedAfter = (gateway: string) => load.accepted().filter((q) => q.gateway === gateway && q.started > killedAt);
      await until(() => acceptedAfter(gatewayA).length >= 10 && acceptedAfter(gatewayB).length >= 10, 30_000, 'events queued after the kill');
      const queued = await load.stop();

      // Every event that got a 202, before or after the kill, is delivered (at least once), within 25 s of the kill.
      const accepted = queued.filter((q) => q.status === 202).map((q) => q.id);
      const delivered = () => new Set(events.of('tick').map((seen) => seen.params.id));
      await until(() => accepted.every((id) => delivered().has(id)), Math.max(5_000, killedAt + 25_000 - Date.now()), 'every accepted event delivered').catch((error: Error) => {
        const missing = accepted.filter((id) => !delivered().has(id));
        throw new Error(`${error.message}: ${missing.length} of ${accepted.length} missing, e.g. ${missing.slice(0, 5).join(', ')}`);
      });
      // Duplicates are allowed (at least once); anything but 202 is 503 while the stream has no leader.
      expect(events.of('tick').length).toBeGreaterThanOrEqual(accepted.length);
      for (const failed of queued.filter((q) => q.status !== 202)) expect(failed).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    } finally {
      await nc.close();
    }
  }, 150_000);
});
