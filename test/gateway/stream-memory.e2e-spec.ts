import { request as httpRequest, IncomingMessage } from 'node:http';
import { FLOOD_ITEMS } from '../fixtures/stream-services';
import { TestProcess } from '../support/child';
import { BrokerKind, get, HttpAdapter, Mesh, startMesh } from '../support/mesh';
import { describeWithNatsServer } from '../support/nats-server';
import { testProgram } from '../support/programs';

/**
 * Server-sent events to a client that stops reading (docs/protocol.md#streams-over-http): the
 * gateway asks the function for more only as its socket drains, so a function that could send
 * 100,000 items of 1 KB as fast as it can sends a bounded number, and the gateway's memory stays
 * bounded. One mesh per adapter, each on another broker.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const MB = 1024 * 1024;
/** Generous: 100,000 items held anywhere would be about 100 MB of them. */
const HEAP_BOUND = 48 * MB;
const RSS_BOUND = 96 * MB;
/** Far less than all of them: the credits (64), the socket buffers of both sides (a few MB of 1 KB items). */
const PRODUCED_BOUND = FLOOD_ITEMS / 4;

interface Memory {
  heapUsed: number;
  rss: number;
  produced: number;
  finalized: boolean;
}

const cases: [BrokerKind, HttpAdapter][] = [
  ['embedded', 'express'],
  ['nats-server', 'fastify'],
];

for (const [kind, adapter] of cases) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;
  describeFor(`server-sent events to a client that stops reading stay bounded (${kind}, ${adapter})`, () => {
    let mesh: Mesh;
    let service: TestProcess;

    beforeAll(async () => {
      mesh = await startMesh(kind, { adapter, rules: { flood: { default: { rule: 'allow' } } }, services: 0, config: { http: { adapter } } });
      service = await TestProcess.start('flood service', process.execPath, ['--expose-gc', testProgram('stream-services')], {
        env: { MESH_SERVERS: mesh.brokerUrl },
        ready: /^ready$/m,
        timeoutMs: 40_000,
      });
    }, 60_000);
    afterAll(async () => {
      await service?.stop();
      await mesh?.stop();
    });

    const serviceMemory = async (): Promise<Memory> => (await mesh.call('/v1/api/demo/functions/flood/memory', {})).body.result;
    /** The gateway's heap and resident set, from its /metrics (prom-client's process metrics). */
    const gatewayMemory = async () => {
      const text = (await get(`${mesh.url}/metrics`)).text;
      const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)![1]);
      return { heapUsed: value('nodejs_heap_size_used_bytes'), rss: value('process_resident_memory_bytes') };
    };

    it('pulls the function only as fast as the client reads, and the gateway memory stays bounded', async () => {
      const gatewayBefore = await gatewayMemory();
      let response: IncomingMessage | undefined;
      const request = httpRequest(`${mesh.url}/v1/api/demo/functions/flood/generator`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      });
      try {
        const answered = new Promise<IncomingMessage>((resolve, reject) => {
          request.once('response', resolve);
          request.once('error', reject);
        });
        request.end('{}');
        response = await answered;
        expect(response.statusCode).toBe(200);
        // The first bytes, then the client reads no more.
        await new Promise((resolve) => response!.once('data', resolve));
        response.pause();

        // Wait (bounded) until the function stops producing: everything in between is full.
        let last = -1;
        let during = await serviceMemory();
        const until = Date.now() + 20_000;
        while (during.produced !== last && Date.now() < until) {
          last = during.produced;
          await sleep(1000);
          during = await serviceMemory();
        }
        const gatewayDuring = await gatewayMemory();
        process.stdout.write(
          `SSE to a paused client (${kind}, ${adapter}): produced ${during.produced} of ${FLOOD_ITEMS}; gateway heap ${mb(gatewayBefore.heapUsed)} -> ${mb(gatewayDuring.heapUsed)}, rss ${mb(gatewayBefore.rss)} -> ${mb(gatewayDuring.rss)}\n`,
        );
        expect(during.produced).toBe(last); // it did stop
        expect(during.finalized).toBe(false);
        expect(during.produced).toBeLessThan(PRODUCED_BOUND);
        expect(gatewayDuring.heapUsed - gatewayBefore.heapUsed).toBeLessThan(HEAP_BOUND);
        expect(gatewayDuring.rss - gatewayBefore.rss).toBeLessThan(RSS_BOUND);

        // The client goes away: the generator is let go of within a second.
        const left = Date.now();
        request.destroy();
        let after = await serviceMemory();
        while (!after.finalized && Date.now() - left < 3000) {
          await sleep(20);
          after = await serviceMemory();
        }
        expect(after.finalized).toBe(true);
        expect(Date.now() - left).toBeLessThan(1000);
      } finally {
        request.destroy();
      }
    }, 60_000);
  });
}

function mb(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}
