import { DEFAULT_EVENT_STREAM } from '@nest-mesh/eventing';
import { JetStreamManager, NatsConnection } from 'nats';
import { post } from '../support/mesh';
import { valueWhen } from '../support/until';

/** The durable consumer of the JetStream event store (libs/eventing/src/jetstream-store.ts). */
export const EVENT_CONSUMER = 'dispatch';

type Placement = { leader?: string; replicas?: { current: boolean; offline?: boolean }[] };

/** Whether a stream or consumer has a leader and two replicas, both current (three nodes). */
export function onEveryNode(cluster?: Placement): boolean {
  return !!cluster?.leader && cluster.replicas?.length === 2 && cluster.replicas.every((r) => r.current && !r.offline);
}

/** Where the event stream and its consumer live now (JetStream's `cluster` of each). */
async function placement(jsm: JetStreamManager): Promise<{ stream?: Placement; consumer?: Placement }> {
  return {
    stream: (await jsm.streams.info(DEFAULT_EVENT_STREAM)).cluster,
    consumer: (await jsm.consumers.info(DEFAULT_EVENT_STREAM, EVENT_CONSUMER)).cluster,
  };
}

/** Resolves with the placement once the stream and its consumer are current on three nodes. */
function healthy(jsm: JetStreamManager, timeoutMs: number): Promise<{ stream?: Placement; consumer?: Placement }> {
  return valueWhen('the event stream and its consumer current on three nodes', () => placement(jsm), (now) => onEveryNode(now.stream) && onEveryNode(now.consumer), timeoutMs);
}

/**
 * Waits until the event stream and its consumer are current on three nodes, then makes one node
 * lead both (consumer leader step-downs: JetStream picks a new leader at random), the worst node
 * to lose: it stores the events and hands them out. Resolves with that node's server name.
 */
export async function leadBoth(nc: NatsConnection, jsm: JetStreamManager, timeoutMs = 30_000): Promise<string> {
  let now = await healthy(jsm, timeoutMs);
  for (let tries = 0; tries < 12 && now.stream!.leader !== now.consumer!.leader; tries++) {
    await nc.request(`$JS.API.CONSUMER.LEADER.STEPDOWN.${DEFAULT_EVENT_STREAM}.${EVENT_CONSUMER}`, undefined, { timeout: 5000 }).catch(() => undefined);
    now = await healthy(jsm, timeoutMs);
  }
  return now.stream!.leader!; // (1 in 4096) the stream leader alone
}

export interface Queued {
  id: string;
  gateway: string;
  status: number;
  code?: string;
  started: number;
}

/** One loop per gateway queueing `type` events (ids `<type>-<n>`) over HTTP until stop() is called. */
export function queueEvents(gateways: string[], project: string, type: string) {
  const queued: Queued[] = [];
  let running = true;
  let n = 0;
  const loops = gateways.map(async (gateway) => {
    while (running) {
      const id = `${type}-${++n}`;
      const started = Date.now();
      try {
        const reply = await post(`${gateway}/v1/api/${project}/eventing/queue`, { type, payload: { n }, id }, {}, 20_000);
        queued.push({ id, gateway, status: reply.status, code: reply.body?.code, started });
      } catch (error) {
        queued.push({ id, gateway, status: 0, code: (error as Error).message, started });
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
  return {
    accepted: () => queued.filter((q) => q.status === 202),
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return queued;
    },
  };
}
