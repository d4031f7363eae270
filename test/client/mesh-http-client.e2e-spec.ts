import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMeshClient, MeshHttpError } from 'nest-mesh/client';
import { TestProcess } from '../support/child';
import { GATEWAY_MAIN, Mesh, startMesh } from '../support/mesh';
import { rejectionOf } from '../support/rejection';
import { signToken } from '../support/tokens';
import { TYPED_CLIENT_HEADER, typeErrors } from '../support/type-check';

const rejection = (promise: Promise<unknown>) => rejectionOf(promise, MeshHttpError);

/**
 * 'nest-mesh/client' against a real gateway (embedded broker, eventing on) and the test service:
 * calls, emit, and calls typed by `nest-mesh types` run against this very gateway.
 */
describe('nest-mesh/client against a gateway', () => {
  let mesh: Mesh;
  let token: string;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nest-mesh-client-'));
    mesh = await startMesh('embedded', {
      rules: { test: { default: { rule: 'allow' }, whoami: { rule: 'authenticated' } }, default: { default: { rule: 'deny' } } },
      eventing: { enabled: true, store: join(dir, 'events'), rules: { 'user.signup': { rule: 'allow' } } },
    });
    token = await signToken({ sub: 'ada' });
  });

  afterAll(async () => {
    await mesh?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resolves to the result, sending params, the token and the request id', async () => {
    const client = createMeshClient({ url: mesh.url, project: 'demo', getToken: () => token });
    await expect(client.call('test', 'echo', { a: [1, 'two'] })).resolves.toEqual({ a: [1, 'two'] });
    await expect(client.call('test', 'nothing')).resolves.toBeNull();
    await expect(client.call('test', 'whoami', null, { requestId: 'client-e2e-1' })).resolves.toMatchObject({ auth: { sub: 'ada' }, requestId: 'client-e2e-1' });
  });

  it("rejects with the gateway's status, code and message, and the call's request id", async () => {
    const client = createMeshClient({ url: mesh.url, project: 'demo' });
    const thrown = await rejection(client.call('test', 'fail', { status: 409, message: 'taken', code: 'NAME_TAKEN' }, { requestId: 'client-e2e-2' }));
    expect(thrown.toJSON()).toEqual({ status: 409, code: 'NAME_TAKEN', message: 'taken', requestId: 'client-e2e-2' });
    expect(await rejection(client.call('test', 'whoami'))).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(await rejection(client.call('other', 'thing'))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(await rejection(createMeshClient({ url: mesh.url, project: 'nope' }).call('test', 'echo'))).toMatchObject({ status: 404, code: 'PROJECT_NOT_FOUND' });
    const late = await rejection(client.call('test', 'sleep', { ms: 3000 }, { timeout: 100 }));
    expect(late).toMatchObject({ status: 504, code: 'TIMEOUT' });
    expect(late.requestId).toMatch(/\S/);
  });

  it('iterates the items of a stream; throws the error of a call that fails; a stream left early ends', async () => {
    const client = createMeshClient({ url: mesh.url, project: 'demo' });
    const items: unknown[] = [];
    for await (const item of client.stream('test', 'generate', { items: 4 })) items.push(item);
    expect(items).toEqual(['item-1', 'item-2', 'item-3', 'item-4']);
    const plain: unknown[] = [];
    for await (const item of client.stream('test', 'echo', { one: 1 })) plain.push(item);
    expect(plain).toEqual([{ one: 1 }]);
    const failed = await rejection((async () => {
      for await (const _ of client.stream('test', 'fail', { status: 409, message: 'taken', code: 'NAME_TAKEN' })) void _;
    })());
    expect(failed).toMatchObject({ status: 409, code: 'NAME_TAKEN', message: 'taken' });
    const first: unknown[] = [];
    for await (const item of client.stream('test', 'generate', { items: 1000 })) {
      first.push(item);
      if (first.length === 2) break;
    }
    expect(first).toEqual(['item-1', 'item-2']);
  });

  it('emits an event: 202 resolves to its id; a type no rule names rejects with 403 FORBIDDEN', async () => {
    const client = createMeshClient({ url: mesh.url, project: 'demo' });
    const id = await client.emit('user.signup', { email: 'ada@example.com' });
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await expect(client.emit('user.signup', null, { id: 'client-emit-1', delay: 60_000 })).resolves.toBe('client-emit-1');
    // Stored once: the same id again answers the same id.
    await expect(client.emit('user.signup', 'again', { id: 'client-emit-1' })).resolves.toBe('client-emit-1');
    const forbidden = await rejection(client.emit('user.deleted', { id: 1 }));
    expect(forbidden).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(forbidden.requestId).toMatch(/\S/);
    expect(await rejection(client.emit('bad type!'))).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
  });

  it('types calls with `nest-mesh types --url` of this gateway: the DTO of test.signup checks params at compile time', async () => {
    const out = join(dir, 'mesh-types.d.ts');
    const { code, output } = await TestProcess.run('nest-mesh types', process.execPath, [GATEWAY_MAIN, 'types', '--url', mesh.url, '--project', 'demo', '--out', out], { timeoutMs: 30_000 });
    expect(output).toMatch(/^nest-mesh types: wrote \d+ function\(s\) from /);
    expect(code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('signup');
    const wrong: Record<string, [string, string]> = {
      'wrong-type.ts': [`client.call('test', 'signup', { email: 'a@example.com', age: '20' });`, `Type 'string' is not assignable to type 'number'`],
      'missing-email.ts': [`client.call('test', 'signup', { age: 20 });`, `Property 'email' is missing`],
      'bad-address.ts': [`client.call('test', 'signup', { email: 'a@example.com', age: 20, address: { town: 'X' } });`, `'town' does not exist`],
      'unknown-function.ts': [`client.call('test', 'signon', {});`, `'"signon"' is not assignable`],
      'denied-service.ts': [`client.call('other', 'thing', {});`, `'"other"' is not assignable`],
    };
    const errors = await typeErrors(dir, {
      'right.ts': `${TYPED_CLIENT_HEADER}
  return client.call('test', 'signup', { email: 'ada@example.com', age: 36, address: { city: 'London' } });
}`,
      ...Object.fromEntries(Object.entries(wrong).map(([name, [body]]) => [name, `${TYPED_CLIENT_HEADER}  ${body}\n}`])),
    });
    expect(errors['right.ts']).toBeUndefined();
    expect(errors['(global)']).toBeUndefined();
    for (const [name, [, complaint]] of Object.entries(wrong)) expect([name, errors[name]?.join('\n') ?? 'no error']).toEqual([name, expect.stringContaining(complaint)]);
    // The call that type-checks is one the service accepts.
    await expect(createMeshClient({ url: mesh.url, project: 'demo' }).call('test', 'signup', { email: 'ada@example.com', age: 36, address: { city: 'London' } })).resolves.toEqual({
      welcome: 'ada@example.com',
      isSignup: true,
    });
  });

  it('rejects with ABORTED when the call is aborted while the function runs', async () => {
    const client = createMeshClient({ url: mesh.url, project: 'demo' });
    const started = Date.now();
    const error = await rejection(client.call('test', 'sleep', { ms: 5000 }, { signal: AbortSignal.timeout(200) }));
    expect(error).toMatchObject({ status: 0, code: 'ABORTED' });
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('rejects with BAD_RESPONSE when something that is not the gateway answers', async () => {
    const server: Server = createServer((_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      expect(await rejection(createMeshClient({ url: `http://127.0.0.1:${port}`, project: 'demo' }).call('test', 'echo'))).toMatchObject({
        status: 502,
        code: 'BAD_RESPONSE',
      });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('rejects with status 0 UNAVAILABLE at once when the gateway is down', async () => {
    const url = mesh.url;
    await mesh.gateway.stop();
    const started = Date.now();
    const error = await rejection(createMeshClient({ url, project: 'demo' }).call('test', 'echo', 1));
    expect(error).toMatchObject({ status: 0, code: 'UNAVAILABLE' });
    expect(error.message).toContain(url);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
