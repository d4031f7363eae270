/**
 * Probes, metrics and call logs of the built gateway (docs/operations.md), on both adapters and
 * both brokers; the management port, a broker outage and SIGTERM with nats-server.
 */
import { request as httpRequest } from 'node:http';
import { freePort } from '../support/free-port';
import { ADAPTERS, BROKERS, get, JWT_SECRET, Mesh, startMesh } from '../support/mesh';
import { signToken } from '../support/tokens';
import { valueWhen } from '../support/until';
import { describeWithNatsServer, NatsServerProcess } from '../support/nats-server';

jest.setTimeout(120_000);

const RULES = { test: { default: { rule: 'allow' } }, gated: { admin: { rule: 'deny' } } };
const SECRET_PARAM = 'param-secret-7f3a9c';

/** The value of one sample line of a scrape, or undefined when absent. */
function sample(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

/**
 * A POST on a connection of its own, closed after the answer: a kept-alive connection would hold
 * a closing HTTP server open until the client drops it.
 */
function postWithoutKeepAlive(url: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' }, timeout: 20_000 }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.on('timeout', () => request.destroy(new Error('no answer within 20 s')));
    request.end(JSON.stringify(body));
  });
}

const token = () => signToken({ sub: 'ada' });

for (const kind of BROKERS) {
  const describeBroker = kind === 'nats-server' ? describeWithNatsServer : describe;
  for (const adapter of ADAPTERS) {
    describeBroker(`observability (${kind}, ${adapter})`, () => {
      let mesh: Mesh;

      beforeAll(async () => {
        mesh = await startMesh(kind, { rules: RULES, adapter, config: { log: { format: 'json', calls: true } } });
      });
      afterAll(async () => {
        await mesh?.stop();
      });

      it('answers /livez and /readyz (the broker is connected)', async () => {
        const live = await get(`${mesh.url}/livez`);
        expect(live.status).toBe(200);
        expect(live.body).toEqual({ status: 'ok' });
        const ready = await get(`${mesh.url}/readyz`);
        expect(ready.status).toBe(200);
        expect(ready.body).toMatchObject({ status: 'ok', info: { broker: { status: 'up' } } });
      });

      it('serves the series of docs/operations.md and the process metrics on /metrics, with bounded labels', async () => {
        expect((await mesh.call('/v1/api/demo/functions/test/echo', { params: { secret: SECRET_PARAM } })).status).toBe(200);
        expect((await mesh.call('/v1/api/demo/functions/test/fail', { params: { status: 418, message: 'no', code: 'TEAPOT' } })).status).toBe(418);
        expect((await mesh.call('/v1/api/demo/functions/gated/admin', {})).status).toBe(403);
        const flood = Array.from({ length: 200 }, (_, i) => `svc${i}x${Math.random().toString(36).slice(2, 8)}`);
        for (let i = 0; i < flood.length; i += 50) {
          const statuses = await Promise.all(flood.slice(i, i + 50).map((name) => mesh.call(`/v1/api/demo/functions/${name}/fn${i}`, {}).then((r) => r.status)));
          expect(new Set(statuses)).toEqual(new Set([403]));
        }
        const { status, text, headers } = await get(`${mesh.url}/metrics`);
        expect(status).toBe(200);
        expect(headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
        // `test.default` covers echo and fail, but no rule names them: `_other`
        expect(sample(text, 'mesh_gateway_calls_total{service="test",func="_other",status="200",code="OK"}')).toBe(1);
        expect(sample(text, 'mesh_gateway_calls_total{service="test",func="_other",status="418",code="TEAPOT"}')).toBe(1);
        expect(sample(text, 'mesh_gateway_calls_total{service="gated",func="admin",status="403",code="FORBIDDEN"}')).toBe(1);
        expect(sample(text, 'mesh_gateway_calls_total{service="_other",func="_other",status="403",code="FORBIDDEN"}')).toBe(200);
        expect(sample(text, 'mesh_gateway_call_duration_seconds_count{service="test",func="_other"}')).toBe(2);
        expect(text).toMatch(/^mesh_gateway_call_duration_seconds_bucket\{service="test",func="_other",le="\+Inf"\} 2$/m);
        expect(sample(text, 'mesh_gateway_calls_in_flight')).toBe(0);
        expect(sample(text, 'mesh_broker_connected')).toBe(1);
        expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
        expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
        for (const name of flood) expect(text).not.toContain(name);
        const labelSets = text.split('\n').filter((line) => line.startsWith('mesh_gateway_calls_total{'));
        expect(labelSets.length).toBeLessThan(12);
      });

      it('answers concurrent scrapes, each complete', async () => {
        const scrapes = await Promise.all(Array.from({ length: 30 }, () => get(`${mesh.url}/metrics`)));
        for (const scrape of scrapes) {
          expect(scrape.status).toBe(200);
          expect(scrape.text).toContain('# TYPE mesh_gateway_calls_total counter');
          expect(scrape.text).toContain('# TYPE mesh_broker_connected gauge');
          expect(scrape.text.endsWith('\n')).toBe(true);
        }
      });

      it('writes JSON log lines, one per call with its fields, and never params or tokens', async () => {
        const bearer = await token();
        const ok = await mesh.call('/v1/api/demo/functions/test/echo', { params: { secret: SECRET_PARAM } }, { authorization: `Bearer ${bearer}`, 'x-request-id': 'log-ok-1' });
        expect(ok.status).toBe(200);
        const bad = await mesh.call('/v1/api/demo/functions/test/echo', { params: { secret: SECRET_PARAM } }, { authorization: 'Bearer not.a-valid.token-9d1e', 'x-request-id': 'log-bad-1' });
        expect(bad.status).toBe(401);
        const output = await valueWhen('the call line of log-bad-1', async () => mesh.gateway.output, (out) => out.includes('"requestId":"log-bad-1"'));
        const objects = output
          .split('\n')
          .filter((l) => l.trim() !== '' && !l.startsWith('nest-mesh '))
          .map((l) => JSON.parse(l) as { level: string; timestamp: number; context?: string; message: unknown });
        for (const object of objects) {
          expect(typeof object.level).toBe('string');
          expect(typeof object.timestamp).toBe('number');
        }
        const calls = objects.filter((o) => o.context === 'Calls').map((o) => o.message as Record<string, unknown>);
        expect(calls).toContainEqual({ requestId: 'log-ok-1', service: 'test', func: 'echo', status: 200, code: 'OK', ms: expect.any(Number) });
        expect(calls).toContainEqual({ requestId: 'log-bad-1', service: 'test', func: 'echo', status: 401, code: 'UNAUTHENTICATED', ms: expect.any(Number) });
        const everything = mesh.gateway.output;
        expect(everything).not.toContain(SECRET_PARAM);
        expect(everything).not.toContain(bearer);
        expect(everything).not.toContain(bearer.split('.')[2]);
        expect(everything).not.toContain('not.a-valid.token-9d1e');
        expect(everything).not.toContain(JWT_SECRET);
      });
    });
  }
}

describeWithNatsServer('management port, broker outage and SIGTERM (nats-server)', () => {
  for (const adapter of ADAPTERS) {
    describe(adapter, () => {
      let mesh: Mesh;
      let management: string;
      let restarted: NatsServerProcess | undefined;

      beforeAll(async () => {
        const port = await freePort();
        mesh = await startMesh('nats-server', { rules: RULES, adapter, config: { management: { port } } });
        management = `http://127.0.0.1:${port}`;
      });
      afterAll(async () => {
        await mesh?.stop();
        await restarted?.stop();
      });

      it('serves /livez, /readyz and /metrics on the management port only', async () => {
        expect(mesh.gateway.output).toContain(`nest-mesh management: ${management}`);
        for (const path of ['/livez', '/readyz', '/metrics']) {
          expect((await get(`${mesh.url}${path}`)).status).toBe(404);
          expect((await get(`${management}${path}`)).status).toBe(200);
        }
        expect((await get(`${management}/livez`)).body).toEqual({ status: 'ok' });
        expect((await get(`${management}/metrics`)).text).toContain('mesh_broker_connected 1');
        const unknown = await get(`${management}/v1/api/demo/functions/test/echo`);
        expect(unknown.status).toBe(404);
        expect(unknown.body).toEqual({ error: 'not found', code: 'NOT_FOUND' });
        const post = await fetch(`${management}/metrics`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
        expect(post.status).toBe(405);
        expect((await mesh.call('/v1/api/demo/functions/test/echo', { params: 1 })).status).toBe(200);
      });

      it('is not ready while the broker is down, and ready again when it is back', async () => {
        const natsPort = mesh.nats!.port;
        await mesh.nats!.stop();
        const down = await valueWhen('readyz 503', () => get(`${management}/readyz`), (r) => r.status === 503);
        expect(down.body).toMatchObject({ status: 'error', error: { broker: { status: 'down' } } });
        expect((await get(`${management}/metrics`)).text).toContain('mesh_broker_connected 0');
        expect((await get(`${management}/livez`)).status).toBe(200);
        restarted = await new NatsServerProcess({ port: natsPort }).start();
        const up = await valueWhen('readyz 200', () => get(`${management}/readyz`), (r) => r.status === 200);
        expect(up.body).toMatchObject({ status: 'ok', info: { broker: { status: 'up' } } });
      });

      it('answers /readyz 503 from SIGTERM until it exits, while a call in flight finishes', async () => {
        await valueWhen('the service is back', () => mesh.call('/v1/api/demo/functions/test/echo', { params: 1 }), (r) => r.status === 200);
        const slow = postWithoutKeepAlive(`${mesh.url}/v1/api/demo/functions/test/sleep`, { params: { ms: 3000 } });
        await valueWhen('the call is in flight', () => get(`${management}/metrics`), (r) => sample(r.text, 'mesh_gateway_calls_in_flight') === 1);
        mesh.gateway.child.kill('SIGTERM');
        const stopping = await valueWhen('readyz 503', () => get(`${management}/readyz`), (r) => r.status === 503, 2500);
        expect(stopping.body).toMatchObject({ status: 'error', error: { shutdown: { status: 'down' } } });
        expect((await get(`${management}/livez`)).status).toBe(200);
        expect(await slow).toBe(200);
        expect(await mesh.gateway.exitCode(20_000)).toBe(0);
      });
    });
  }
});
