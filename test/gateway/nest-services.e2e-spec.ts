import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import { SignJWT } from 'jose';
import { lastValueFrom, toArray } from 'rxjs';
import { MeshClient, MeshModule } from 'nest-mesh';
import { encodeJson } from 'nest-mesh/internal';
import { TestProcess } from '../support/child';
import { itemsOf, postEventStream } from '../support/event-stream';
import { testProgram } from '../support/programs';
import { describeWithNatsServer } from '../support/nats-server';
import { BROKERS, get, JWT_SECRET, Mesh, startMesh } from '../support/mesh';

/**
 * Existing Transport.NATS services behind the gateway, unchanged (docs/getting-started.md#coming-from-transportnats):
 * test/fixtures/nest-transport-app.ts, a Nest microservice with @MessagePattern and no nest-mesh
 * code, served as mesh functions by `modules.functions.nest`, called over HTTP, with MeshClient and
 * with a Nest ClientProxy, listed by discovery; on both brokers and both HTTP adapters.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const NEST = {
  'legacy-users': {
    get: 'users.get',
    sum: '{"cmd":"sum"}',
    max: '{"cmd":"max","role":"math"}',
    count: 'users.count',
    ticks: 'users.ticks',
    broken: 'users.broken',
    nothing: 'users.nothing',
    missing: 'users.missing',
    'rpc-text': 'users.rpc-text',
    http: 'users.http',
    crash: 'users.crash',
    denied: 'users.denied',
    slow: 'users.slow',
    secret: 'users.get',
    nobody: 'users.nobody-listens',
  },
};
const RULES = { 'legacy-users': { default: { rule: 'allow' }, secret: { rule: 'authenticated' } } };

function startNestApp(servers: string): Promise<TestProcess> {
  return TestProcess.start('Transport.NATS app', process.execPath, [testProgram('nest-transport-app')], {
    env: { MESH_SERVERS: servers },
    ready: /^ready$/m,
  });
}

function meshClientOf(servers: string): Promise<INestApplicationContext> {
  @Module({ imports: [MeshModule.forRoot({ servers, callTimeout: 5000 })] })
  class CallerModule {}
  return NestFactory.createApplicationContext(CallerModule, { logger: false });
}

const variants = [
  { kind: BROKERS[0], adapter: 'express' as const },
  { kind: BROKERS[1], adapter: 'fastify' as const },
];

for (const { kind, adapter } of variants) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;

  describeFor(`Transport.NATS services behind the gateway (${kind}, ${adapter})`, () => {
    let mesh: Mesh;
    let nestApp: TestProcess;
    let caller: INestApplicationContext;
    let client: MeshClient;
    let nest: ClientProxy;
    const call = (func: string, body: unknown = {}, headers?: Record<string, string>) => mesh.call(`/v1/api/demo/functions/legacy-users/${func}`, body, headers);

    beforeAll(async () => {
      mesh = await startMesh(kind, { rules: RULES, services: 0, adapter, functions: { nest: NEST }, config: { log: { calls: true } } });
      nestApp = await startNestApp(mesh.brokerUrl);
      caller = await meshClientOf(mesh.brokerUrl);
      client = caller.get(MeshClient);
      nest = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: [mesh.brokerUrl] } });
      await nest.connect();
      // ServerNats subscribes without waiting for the broker to confirm: wait until a call gets through.
      for (const until = Date.now() + 10_000; (await call('get', { params: { id: 0 } })).status !== 200 && Date.now() < until; ) await sleep(50);
    });
    afterAll(async () => {
      await nest?.close();
      await caller?.close();
      await nestApp?.stop();
      await mesh?.stop();
    });

    it("calls a string pattern with the params as Nest's data, and answers its value; the Nest service gets the request id, deadline and claims", async () => {
      const res = await call('get', { params: { id: 7 } }, { 'X-Request-Id': 'nest-1' });
      expect(res).toMatchObject({ status: 200, body: { result: { id: 7, name: 'Ada', requestId: 'nest-1', auth: null, deadline: true } } });
      const token = await new SignJWT({ sub: 'ada' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(JWT_SECRET));
      const secret = await call('secret', { params: { id: 8 } }, { Authorization: `Bearer ${token}` });
      expect(secret).toMatchObject({ status: 200, body: { result: { id: 8, auth: { sub: 'ada' } } } });
    });

    it('calls object patterns, written as Nest writes them', async () => {
      expect(await call('sum', { params: [1, 2, 3] })).toMatchObject({ status: 200, body: { result: 6 } });
      expect(await call('max', { params: [4, 9, 2] })).toMatchObject({ status: 200, body: { result: 9 } });
    });

    it('answers a stream with its last item to a plain caller, and null for a pattern that answers nothing', async () => {
      expect(await call('count', { params: 5 })).toMatchObject({ status: 200, body: { result: 5 } });
      expect(await call('ticks', { params: 4 })).toMatchObject({ status: 200, body: { result: 4 } });
      expect(await call('nothing')).toMatchObject({ status: 200, body: { result: null } });
    });

    it('maps errors by the table of errors', async () => {
      expect(await call('missing')).toMatchObject({ status: 404, body: { error: 'no such user', code: 'NO_USER' } });
      expect(await call('rpc-text')).toMatchObject({ status: 500, body: { error: 'out of stock', code: 'INTERNAL' } });
      expect(await call('http')).toMatchObject({ status: 500, body: { error: 'function legacy-users.http failed', code: 'INTERNAL' } });
      expect(await call('crash')).toMatchObject({ status: 500, body: { error: 'function legacy-users.crash failed', code: 'INTERNAL' } });
      expect((await call('crash')).text).not.toMatch(/secret/);
      expect(await call('denied')).toMatchObject({ status: 403, body: { error: 'Forbidden resource', code: 'FORBIDDEN' } });
    });

    it('answers 503 at once when no Nest service listens, 504 when it does not answer in time', async () => {
      expect(await call('nobody', { timeout: 30_000 })).toMatchObject({ status: 503, body: { code: 'SERVICE_UNAVAILABLE' } });
      expect(await call('slow', { params: 5_000, timeout: 300 })).toMatchObject({ status: 504, body: { code: 'TIMEOUT' } });
    });

    it('applies the rules, and counts and logs the calls, as for any function', async () => {
      expect(await call('secret', { params: { id: 1 } })).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
      expect(await call('missing', {}, { 'X-Request-Id': 'nest-log-1' })).toMatchObject({ status: 404 });
      const metrics = (await get(`${mesh.url}/metrics`)).text;
      // Label values are the names the rules give (docs/operations.md#metrics): `secret` has a rule of its own.
      expect(metrics).toMatch(/mesh_gateway_calls_total\{service="legacy-users",func="secret",status="401",code="UNAUTHENTICATED"\} [1-9]/);
      expect(metrics).toMatch(/mesh_gateway_calls_total\{service="legacy-users",func="_other",status="404",code="NO_USER"\} [1-9]/);
      await mesh.gateway.waitFor(/nest-log-1 legacy-users\.missing 404 NO_USER [\d.]+ ms/);
    });

    it('streams every item to MeshClient.stream, and an error after the items before it', async () => {
      await expect(lastValueFrom(client.stream('legacy-users', 'count', 300).pipe(toArray()))).resolves.toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
      await expect(lastValueFrom(client.stream('legacy-users', 'ticks', 20).pipe(toArray()))).resolves.toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      await expect(lastValueFrom(client.stream('legacy-users', 'get', { id: 3 }).pipe(toArray()))).resolves.toEqual([expect.objectContaining({ id: 3 })]);
      const items: unknown[] = [];
      const error = await new Promise((resolve) => client.stream('legacy-users', 'broken').subscribe({ next: (item) => items.push(item), error: resolve, complete: () => resolve('completed') }));
      expect(items).toEqual([1, 2]);
      expect(error).toMatchObject({ status: 409, code: 'NO_MORE', message: 'no more' });
      await expect(client.call('legacy-users', 'sum', [2, 2])).resolves.toBe(4);
    });

    it('answers their streams as server-sent events over HTTP, an error after the items as an error event', async () => {
      const url = (func: string) => `${mesh.url}/v1/api/demo/functions/legacy-users/${func}`;
      const counted = await postEventStream(url('count'), { params: 50 });
      expect(counted.status).toBe(200);
      expect(itemsOf(counted)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(counted.events.at(-1)).toEqual({ event: 'end', data: '{"count":50}' });
      const broken = await postEventStream(url('broken'), {});
      expect(itemsOf(broken)).toEqual([1, 2]);
      expect(broken.events.at(-1)?.event).toBe('error');
      expect(JSON.parse(broken.events.at(-1)!.data)).toEqual({ error: 'no more', code: 'NO_MORE', status: 409 });
      expect(await postEventStream(url('secret'), { params: { id: 1 } })).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
    });

    it('fails a stream its reader does not keep up with as SLOW_CONSUMER (Nest pushes without flow control)', async () => {
      const replies = await client.openStream('legacy-users', 'count', encodeJson(1000), { window: 8, timeout: 10_000 });
      // Read nothing until it failed: the gateway holds what Nest pushes beyond the credits, up to the high-water mark.
      await expect(new Promise((resolve) => replies.onSettle(resolve))).resolves.toMatchObject({ status: 503, code: 'SLOW_CONSUMER' });
      const read: unknown[] = [];
      const failure = await (async () => {
        for (;;) {
          const next = await replies.next();
          if (next.done) return 'ended';
          read.push(next.value);
        }
      })().catch((error: unknown) => error);
      expect(failure).toMatchObject({ status: 503, code: 'SLOW_CONSUMER' });
      expect(read).toHaveLength(8);
    });

    it('serves them to a Nest ClientProxy on their mesh subjects too', async () => {
      await expect(lastValueFrom(nest.send('mesh.legacy-users.count', 3).pipe(toArray()))).resolves.toEqual([1, 2, 3]);
      await expect(lastValueFrom(nest.send('mesh.legacy-users.missing', {}))).rejects.toEqual({ status: 404, code: 'NO_USER', message: 'no such user' });
    });

    it('lists them in /services and OpenAPI with params null', async () => {
      const listing = await get(`${mesh.url}/v1/api/demo/services`);
      const service = listing.body.services.find((s: { name: string }) => s.name === 'legacy-users');
      expect(service).toMatchObject({ instances: 1 });
      expect(service.functions).toEqual(
        expect.arrayContaining(['get', 'sum', 'count'].map((name) => expect.objectContaining({ name, params: null }))),
      );
      const openapi = await get(`${mesh.url}/v1/api/demo/openapi.json`);
      expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(['/v1/api/demo/functions/legacy-users/get', '/v1/api/demo/functions/legacy-users/sum']));
    });
  });
}
