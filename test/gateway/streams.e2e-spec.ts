import { TestProcess } from '../support/child';
import { EventStreamAnswer, itemsOf, postEventStream } from '../support/event-stream';
import { get, Mesh, startMesh } from '../support/mesh';
import { describeWithNatsServer } from '../support/nats-server';
import { testProgram } from '../support/programs';

/**
 * Streams over HTTP (docs/protocol.md#streams-over-http): `Accept: text/event-stream` on the call
 * route, on both adapters and both brokers, against the `sse` service of test/fixtures/stream-services.ts.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const minute = 60_000;
/** `modules.functions.timeout.stream` of these gateways: longer than any other stream here takes. */
const STREAM_TIMEOUT = 2500;

const rules = {
  sse: {
    default: { rule: 'allow' },
    denied: { rule: 'deny' },
    limited: { rule: 'allow', rateLimit: { limit: 2, window: minute } },
  },
};

let streamNames = 0;
/** A name no other stream of this run uses (the service records when each named stream was let go of). */
const uniqueName = () => `s${process.pid}-${++streamNames}`;

/** Both brokers and both adapters, paired: the defaults (embedded, fastify), and nats-server with express. */
const VARIANTS = [
  { kind: 'embedded' as const, adapter: 'fastify' as const },
  { kind: 'nats-server' as const, adapter: 'express' as const },
];

for (const { kind, adapter } of VARIANTS) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;
  describeFor(`server-sent events of streams (${kind}, ${adapter})`, () => {
    let mesh: Mesh;
    let service: TestProcess;
    const url = (func: string, project = 'demo') => `${mesh.url}/v1/api/${project}/functions/sse/${func}`;
    const stream = (func: string, body: unknown = {}, options: Parameters<typeof postEventStream>[2] = {}) => postEventStream(url(func), body, options);

    beforeAll(async () => {
      mesh = await startMesh(kind, {
        adapter,
        rules,
        services: 0,
        config: { http: { adapter }, log: { calls: true } },
        functions: { maxInFlight: 3, timeout: { stream: STREAM_TIMEOUT } },
      });
      service = await TestProcess.start('sse service', process.execPath, [testProgram('stream-services')], {
        env: { MESH_SERVERS: mesh.brokerUrl },
        ready: /^ready$/m,
        timeoutMs: 40_000,
      });
    }, 60_000);
    afterAll(async () => {
      await service?.stop();
      await mesh?.stop();
    });

    /** When the service let go of the stream `name` (unix ms); bounded wait. */
    async function releasedAt(name: string, ms = 5000): Promise<number | null> {
      const until = Date.now() + ms;
      for (;;) {
        const { body } = await mesh.call('/v1/api/demo/functions/sse/released', { params: name });
        if (body.result !== null || Date.now() > until) return body.result;
        await sleep(20);
      }
    }

    function expectEnded(answer: EventStreamAnswer, items: unknown[]): void {
      expect(answer.status).toBe(200);
      expect(itemsOf(answer)).toEqual(items);
      expect(answer.events.at(-1)).toEqual({ event: 'end', data: JSON.stringify({ count: items.length }) });
    }

    it('answers each item as an `item` event, then `end` with the count, with headers that keep proxies from buffering', async () => {
      const answer = await stream('count', { params: 3 }, { headers: { 'x-request-id': 'sse-1' } });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('text/event-stream');
      expect(answer.headers.get('cache-control')).toBe('no-cache');
      expect(answer.headers.get('x-accel-buffering')).toBe('no');
      expect(answer.headers.get('x-request-id')).toBe('sse-1');
      expect(answer.headers.get('content-encoding')).toBeNull();
      expect(answer.text).toBe('event: item\ndata: 1\n\nevent: item\ndata: 2\n\nevent: item\ndata: 3\n\nevent: end\ndata: {"count":3}\n\n');
      // An empty stream: only the end.
      expectEnded(await stream('count', { params: 0 }), []);
      // Without the Accept header: the last item, as JSON.
      expect((await mesh.call('/v1/api/demo/functions/sse/count', { params: 3 })).body).toEqual({ result: 3 });
    });

    it('writes each item as it is produced', async () => {
      const seen: number[] = [];
      const started = Date.now();
      const answer = await stream('paced', { params: { name: uniqueName(), gap: 300, first: 0 } }, { stopAfter: 3, onEvent: () => seen.push(Date.now() - started) });
      expect(itemsOf(answer)).toEqual([1, 2, 3]);
      // the third item came two gaps after the first, not all at once at the end
      expect(seen[2] - seen[0]).toBeGreaterThanOrEqual(2 * 300 - 50);
    });

    it('answers a function that does not stream with one item, then the end', async () => {
      expectEnded(await stream('plain'), [{ plain: true }]);
    });

    it('ends with an `error` event when the function fails after the answer began', async () => {
      const answer = await stream('failing');
      expect(answer.status).toBe(200);
      expect(answer.events).toEqual([
        { event: 'item', data: '1' },
        { event: 'item', data: '{"two":2}' },
        { event: 'error', data: JSON.stringify({ error: 'no more', code: 'NO_MORE', status: 409 }) },
      ]);
    });

    it('answers the ordinary JSON error for anything that fails before the first item', async () => {
      const cases: [string, string, number, string][] = [
        [url('refused'), '{}', 403, 'NOT_YOU'],
        [url('nobody'), '{}', 503, 'SERVICE_UNAVAILABLE'],
        [url('denied'), '{}', 403, 'FORBIDDEN'],
        [url('count', 'other'), '{}', 404, 'PROJECT_NOT_FOUND'],
        [url('count'), '[1]', 400, 'BAD_REQUEST'],
      ];
      for (const [target, body, status, code] of cases) {
        const answer = await postEventStream(target, JSON.parse(body));
        expect({ target, status: answer.status, body: answer.body }).toEqual({ target, status, body: { error: expect.any(String), code } });
        expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      }
      const unauthenticated = await stream('count', { params: 1 }, { headers: { authorization: 'Bearer not-a-jwt' } });
      expect(unauthenticated.status).toBe(401);
      expect(unauthenticated.body.code).toBe('UNAUTHENTICATED');
    });

    it('ends with TIMEOUT when an item takes longer than `timeout` (the first: the JSON 504), and stops the function', async () => {
      const name = uniqueName();
      const answer = await stream('paced', { params: { name, gap: 1500, first: 0 }, timeout: 500 });
      expect(answer.status).toBe(200);
      expect(itemsOf(answer)).toEqual([1]);
      expect(answer.events.at(-1)).toEqual({ event: 'error', data: expect.any(String) });
      expect(JSON.parse(answer.events.at(-1)!.data)).toEqual({ error: expect.any(String), code: 'TIMEOUT', status: 504 });
      expect(await releasedAt(name)).not.toBeNull();

      const first = uniqueName();
      const late = await stream('paced', { params: { name: first, gap: 1500 }, timeout: 500 });
      expect(late.status).toBe(504);
      expect(late.body.code).toBe('TIMEOUT');
      expect(await releasedAt(first)).not.toBeNull();
    });

    it('ends with TIMEOUT when the whole stream outlasts timeout.stream, and stops the function', async () => {
      const name = uniqueName();
      const started = Date.now();
      const answer = await stream('ticks', { params: { name, gap: 100 }, timeout: 2000 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(STREAM_TIMEOUT - 50);
      expect(answer.status).toBe(200);
      expect(itemsOf(answer).length).toBeGreaterThan(0);
      expect(JSON.parse(answer.events.at(-1)!.data)).toEqual({ error: expect.any(String), code: 'TIMEOUT', status: 504 });
      expect(await releasedAt(name)).not.toBeNull();
    });

    for (const func of ['paced', 'ticks']) {
      it(`ends the function's ${func === 'paced' ? 'generator' : 'Observable'} within a second when the client goes away, logged as 499 CLIENT_CLOSED`, async () => {
        const name = uniqueName();
        const from = mesh.gateway.output.length;
        const answer = await stream(func, { params: { name, gap: 20, first: 0 } }, { stopAfter: 3 });
        expect(itemsOf(answer)).toEqual(func === 'paced' ? [1, 2, 3] : [0, 1, 2]);
        const released = await releasedAt(name, 3000);
        expect(released).not.toBeNull();
        expect(released! - answer.abortedAt!).toBeLessThan(1000);
        await mesh.gateway.waitFor(new RegExp(`sse\\.${func} 499 CLIENT_CLOSED`), 5000, from);
      });
    }

    it('ends the function when the client goes away before the first item', async () => {
      const name = uniqueName();
      // an Observable: let go of at once (a generator is only at its next yield)
      const answer = await stream('ticks', { params: { name, gap: 10_000 }, timeout: 20_000 }, { stopAfterMs: 300 });
      expect(answer.status).toBe(0);
      const released = await releasedAt(name, 3000);
      expect(released).not.toBeNull();
      expect(released! - answer.abortedAt!).toBeLessThan(1000);
    });

    it('checks rules and rate limits once per stream, and counts and logs it once', async () => {
      const from = mesh.gateway.output.length;
      expectEnded(await stream('limited'), [1, 2, 3]);
      expectEnded(await stream('limited'), [1, 2, 3]);
      const third = await stream('limited');
      expect(third.status).toBe(429);
      expect(third.body.code).toBe('RATE_LIMITED');
      const metrics = (await get(`${mesh.url}/metrics`)).text;
      expect(metrics).toMatch(/mesh_gateway_calls_total\{[^}]*func="limited"[^}]*status="200"[^}]*\} 2\n/);
      await mesh.gateway.waitFor(/sse\.limited 429 RATE_LIMITED/, 5000, from);
      expect(mesh.gateway.output.slice(from).match(/sse\.limited 200 OK/g)).toHaveLength(2);
    });

    it('holds its place in maxInFlight for as long as the stream lasts', async () => {
      const controllers: AbortController[] = [];
      const open = async () => {
        const controller = new AbortController();
        controllers.push(controller);
        const response = await fetch(url('paced'), {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
          body: JSON.stringify({ params: { name: uniqueName(), gap: 50, first: 0 } }),
          signal: controller.signal,
        });
        expect(response.status).toBe(200);
        // the first event has come: the stream is under way
        const reader = response.body!.getReader();
        await reader.read();
        return reader;
      };
      try {
        await Promise.all([open(), open(), open()]);
        const overloaded = await mesh.call('/v1/api/demo/functions/sse/plain', {});
        expect(overloaded.status).toBe(503);
        expect(overloaded.body.code).toBe('OVERLOADED');
        controllers[0].abort();
        const until = Date.now() + 3000;
        let status = 0;
        while (Date.now() < until && (status = (await mesh.call('/v1/api/demo/functions/sse/plain', {})).status) !== 200) await sleep(20);
        expect(status).toBe(200);
      } finally {
        for (const controller of controllers) controller.abort();
      }
    });
  });
}
