import { describeWithNatsServer } from '../support/nats-server';
import { ADAPTERS, BROKERS, Mesh, startMesh } from '../support/mesh';

/** HTTP -> gateway -> NATS -> Nest service -> HTTP, and every error of docs/protocol.md, on both HTTP adapters. */
const variants = BROKERS.flatMap((kind) => ADAPTERS.map((adapter) => ({ kind, adapter })));

for (const { kind, adapter } of variants) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;

  describeFor(`calls through the gateway (${kind}, ${adapter})`, () => {
    let mesh: Mesh;

    beforeAll(async () => {
      mesh = await startMesh(kind, {
        adapter,
        rules: {
          test: { default: { rule: 'allow' }, forbidden: { rule: 'deny' } },
          ghost: { default: { rule: 'allow' } },
          ['x'.repeat(64)]: { default: { rule: 'allow' } },
        },
        functions: { timeout: { default: 10_000, max: 20_000 } },
      });
    });
    afterAll(() => mesh?.stop());

    const fn = (func: string, service = 'test') => `/v1/api/demo/functions/${service}/${func}`;

    it('returns the result of a function', async () => {
      const params = { text: 'héllo', list: [1, 2.5, null, true], nested: { a: { b: 'c' } } };
      const res = await mesh.call(fn('echo'), { params });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ result: params });
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    });

    it('answers on the /services/ route as well', async () => {
      const res = await mesh.call('/v1/api/demo/services/test/echo', { params: 42 });
      expect(res).toMatchObject({ status: 200, body: { result: 42 } });
    });

    it('gives params null when the body has none, and an empty body is {}', async () => {
      expect((await mesh.call(fn('echo'), {})).body).toEqual({ result: null });
      expect((await mesh.call(fn('echo'))).body).toEqual({ result: null });
    });

    it('gives {"result": null} for a function that returns nothing', async () => {
      const res = await mesh.call(fn('nothing'), { params: { any: 1 } });
      expect(res).toMatchObject({ status: 200, body: { result: null } });
    });

    it('takes the last value of an Observable, as lastValueFrom', async () => {
      expect((await mesh.call(fn('stream'), {})).body).toEqual({ result: 'second' });
    });

    it('takes the last item of an async generator, null when it yields none', async () => {
      expect((await mesh.call(fn('generate'), {})).body).toEqual({ result: 'item-3' });
      expect((await mesh.call(fn('generate'), { params: { items: 0 } })).body).toEqual({ result: null });
    });

    it('keeps the status, message and code of a MeshError', async () => {
      const res = await mesh.call(fn('fail'), { params: { status: 422, message: 'name taken', code: 'NAME_TAKEN' } });
      expect(res.status).toBe(422);
      expect(res.body).toEqual({ error: 'name taken', code: 'NAME_TAKEN' });
      const server = await mesh.call(fn('fail'), { params: { status: 502, message: 'upstream down', code: 'UPSTREAM' } });
      expect(server).toMatchObject({ status: 502, body: { error: 'upstream down', code: 'UPSTREAM' } });
    });

    it('turns an unexpected error into a generic 500 that names the function', async () => {
      const res = await mesh.call(fn('crash'), {});
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ error: 'function test.crash failed', code: 'INTERNAL' });
      expect(JSON.stringify(res.body)).not.toMatch(/secret internal detail|\.ts:|at /);
    });

    it('validates params with ValidationPipe and class-validator DTOs', async () => {
      const bad = await mesh.call(fn('signup'), { params: { email: 'nope', age: 3 } });
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('BAD_REQUEST');
      expect(bad.body.error).toMatch(/email must be an email/);
      expect(bad.body.error).toMatch(/age must not be less than 13/);
      const good = await mesh.call(fn('signup'), { params: { email: 'ada@example.com', age: 36 } });
      expect(good.body).toEqual({ result: { welcome: 'ada@example.com', isSignup: true } });
    });

    it('answers 504 when the function does not reply within the timeout', async () => {
      const started = Date.now();
      const res = await mesh.call(fn('sleep'), { params: { ms: 5000 }, timeout: 500 });
      const elapsed = Date.now() - started;
      expect(res.status).toBe(504);
      expect(res.body.code).toBe('TIMEOUT');
      expect(elapsed).toBeGreaterThanOrEqual(450);
      expect(elapsed).toBeLessThan(1500);
    });

    it('answers 503 at once when no instance serves the function', async () => {
      const started = Date.now();
      const res = await mesh.call(fn('nobody', 'ghost'), { timeout: 10_000 });
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('SERVICE_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it.each([['a.b'], ['*'], ['%3E'], ['x'.repeat(65)], ['a%20b'], ['%C3%A9']])('rejects the bad name %s with 400', async (name) => {
      const asFunc = await mesh.call(fn(name), {});
      expect(asFunc).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
      const asService = await mesh.call(fn('echo', name), {});
      expect(asService).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
    });

    it('accepts a 64-character name', async () => {
      const res = await mesh.call(fn('x'.repeat(64), 'x'.repeat(64)), {});
      expect(res).toMatchObject({ status: 503, body: { code: 'SERVICE_UNAVAILABLE' } });
    });

    it.each([['[1,2]'], ['"text"'], ['42'], ['null'], ['true'], ['{not json']])('rejects the body %s with 400', async (body) => {
      const res = await mesh.call(fn('echo'), body);
      expect(res).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
      expect(typeof res.body.error).toBe('string');
    });

    it.each([[0], [-1], [1.5], [20_001], ['100'], [null]])('rejects the timeout %p with 400', async (timeout) => {
      const res = await mesh.call(fn('echo'), { params: 1, timeout });
      expect(res).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
    });

    it('accepts the timeouts 1 and max', async () => {
      expect((await mesh.call(fn('echo'), { params: 1, timeout: 20_000 })).status).toBe(200);
      expect([200, 504]).toContain((await mesh.call(fn('echo'), { params: 1, timeout: 1 })).status);
    });

    it('answers 404 for a project that is not the configured one', async () => {
      const res = await mesh.call('/v1/api/other/functions/test/echo', {});
      expect(res).toMatchObject({ status: 404, body: { code: 'PROJECT_NOT_FOUND' } });
    });

    it('answers 403 for a function with no rule, and for a deny rule', async () => {
      expect(await mesh.call(fn('anything', 'norule'), {})).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
      expect(await mesh.call(fn('forbidden'), {})).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    });

    it('answers 413 for a body over the limit', async () => {
      const res = await mesh.call(fn('echo'), { params: 'x'.repeat(1_100_000) });
      expect(res).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
    });

    it('keeps a valid X-Request-Id, replaces a bad one, and sends one with every response', async () => {
      const kept = await mesh.call(fn('whoami'), {}, { 'X-Request-Id': 'req-1.A_b' });
      expect(kept.headers.get('x-request-id')).toBe('req-1.A_b');
      expect(kept.body.result.requestId).toBe('req-1.A_b');
      const replaced = await mesh.call(fn('whoami'), {}, { 'X-Request-Id': 'bad id!' });
      expect(replaced.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9._-]{1,128}$/);
      expect(replaced.headers.get('x-request-id')).not.toBe('bad id!');
      expect(replaced.body.result.requestId).toBe(replaced.headers.get('x-request-id'));
      const long = await mesh.call(fn('echo'), {}, { 'X-Request-Id': 'a'.repeat(129) });
      expect(long.headers.get('x-request-id')).not.toBe('a'.repeat(129));
      for (const res of [await mesh.call(fn('forbidden'), {}), await mesh.call('/v1/api/other/functions/a/b', {}), await mesh.call(fn('echo'), '[')]) {
        expect(res.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9._-]{1,128}$/);
      }
    });

    it('gives the function a deadline within the timeout and passes traceparent on', async () => {
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const before = Date.now();
      const res = await mesh.call(fn('whoami'), { timeout: 5000 }, { traceparent });
      const { result } = res.body;
      expect(result).toMatchObject({ service: 'test', func: 'whoami', auth: null, traceparent });
      expect(result.deadline).toBeGreaterThanOrEqual(before + 5000 - 50);
      expect(result.deadline).toBeLessThanOrEqual(Date.now() + 5000);
    });
  });
}
