import { createServer, Server } from 'node:http';
import { createMeshClient, MeshHttpError } from 'nest-mesh/client';
import { Mesh, startMesh } from '../support/mesh';
import { signToken } from '../support/tokens';
import { rejectionOf } from '../support/rejection';

const rejection = (promise: Promise<unknown>) => rejectionOf(promise, MeshHttpError);

/** 'nest-mesh/client' against a real gateway and service (embedded broker). */
describe('nest-mesh/client against a gateway', () => {
  let mesh: Mesh;
  let token: string;

  beforeAll(async () => {
    mesh = await startMesh('embedded', {
      rules: { test: { default: { rule: 'allow' }, whoami: { rule: 'authenticated' } }, default: { default: { rule: 'deny' } } },
    });
    token = await signToken({ sub: 'ada' });
  });

  afterAll(() => mesh?.stop());

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
