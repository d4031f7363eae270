import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestProcess } from '../support/child';
import { freePort } from '../support/free-port';
import { GATEWAY_MAIN } from '../support/mesh';
import { TYPED_CLIENT_HEADER as header, TYPED_MESH_CLIENT_HEADER, typeErrors } from '../support/type-check';

const root = join(__dirname, '..', '..');
const fixture = readFileSync(join(root, 'test/fixtures/openapi.json'), 'utf8');

/** `nest-mesh types` against a gateway's openapi.json: the .d.ts it writes checks calls at compile time. */
describe('nest-mesh types', () => {
  let server: Server;
  let url: string;
  const seen: string[] = [];
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'nest-mesh-types-'));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      if (req.url === '/v1/api/demo/openapi.json') res.writeHead(200, { 'content-type': 'application/json' }).end(fixture);
      else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no such project","code":"PROJECT_NOT_FOUND"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const types = (args: string[], cwd?: string) => TestProcess.run('nest-mesh types', process.execPath, [GATEWAY_MAIN, 'types', ...args], { timeoutMs: 30_000, env: cwd ? { MESH_CONFIG: join(cwd, 'mesh.yaml') } : {} });

  it('writes MeshFunctions from GET /v1/api/{project}/openapi.json; correct calls compile, wrong ones do not', async () => {
    const dir = tempDir();
    const out = join(dir, 'mesh-types.d.ts');
    const { code, output } = await types(['--url', url, '--project', 'demo', '--out', out, '--token', 'tok']);
    expect(output).toBe(`nest-mesh types: wrote 4 function(s) from ${url}/v1/api/demo/openapi.json to ${out}\n`);
    expect(code).toBe(0);
    expect(seen).toContain('GET /v1/api/demo/openapi.json Bearer tok');

    // Each wrong use, and a piece of the compiler's complaint about it.
    const wrong: Record<string, [string, string]> = {
      'wrong-type.ts': [`client.call('users', 'create', { name: 42 });`, `Type 'number' is not assignable to type 'string'`],
      'missing-required.ts': [`client.call('users', 'create', { age: 3 });`, `Property 'name' is missing`],
      'missing-params.ts': [`client.call('users', 'create');`, 'Expected 3-4 arguments, but got 2'],
      'bad-enum.ts': [`client.call('users', 'create', { name: 'a', role: 'root' });`, `Type '"root"' is not assignable`],
      'typo-property.ts': [`client.call('users', 'create', { name: 'a', nmae: 'b' });`, `'nmae' does not exist`],
      'unknown-function.ts': [`client.call('users', 'remove', { name: 'a' });`, `'"remove"' is not assignable`],
      'unknown-service.ts': [`client.call('billing', 'charge', {});`, `'"billing"' is not assignable`],
      'wrong-result.ts': [`const s: string = await client.call('math', 'divide', { a: 1, b: 2 }); void s;`, `Type 'number' is not assignable to type 'string'`],
      'extra-hello.ts': [`client.call('greeter', 'hello', { name: 'a', shout: true });`, `'shout' does not exist`],
    };
    const errors = await typeErrors(dir, {
      'right.ts': `${header}
  const user = await client.call('users', 'create', { name: 'Ada', age: 36, role: 'admin', tags: ['x'], nickname: null, address: { city: 'London', next: { city: 'Paris' } } });
  const quotient: number = await client.call('math', 'divide', { a: 1, b: 2 }, { timeout: 500 });
  await client.call('greeter', 'hello', { name: 'Ada' }, { requestId: 'r-1' });
  await client.call('misc', 'anything');
  await client.call('misc', 'anything', [1, 'two']);
  return [user, quotient];
}`,
      ...Object.fromEntries(Object.entries(wrong).map(([name, [body]]) => [name, `${header}  ${body}\n}`])),
    });
    expect(errors['right.ts']).toBeUndefined();
    expect(errors['(global)']).toBeUndefined();
    for (const [name, [, complaint]] of Object.entries(wrong)) expect([name, errors[name]?.join('\n') ?? 'no error']).toEqual([name, expect.stringContaining(complaint)]);
  });

  it('types MeshClient<MeshFunctions> calls the same way; an untyped MeshClient takes any call, with a result type the caller states', async () => {
    const dir = tempDir();
    const { code } = await types(['--url', url, '--project', 'demo', '--out', join(dir, 'mesh-types.d.ts')]);
    expect(code).toBe(0);
    const wrong: Record<string, [string, string]> = {
      'wrong-type.ts': [`client.call('users', 'create', { name: 42 });`, `Type 'number' is not assignable to type 'string'`],
      'missing-params.ts': [`client.call('users', 'create');`, 'Expected 3-4 arguments, but got 2'],
      'unknown-function.ts': [`client.call('users', 'remove', { name: 'a' });`, `'"remove"' is not assignable`],
      'unknown-service.ts': [`client.call('billing', 'charge', {});`, `'"billing"' is not assignable`],
      'wrong-result.ts': [`const s: string = await client.call('math', 'divide', { a: 1, b: 2 }); void s;`, `Type 'number' is not assignable to type 'string'`],
      'stated-result.ts': [`await client.call<number>('math', 'divide', { a: 1, b: 2 });`, 'Expected 5 arguments, but got 3'],
    };
    const errors = await typeErrors(dir, {
      'right.ts': `${TYPED_MESH_CLIENT_HEADER}
  const user = await client.call('users', 'create', { name: 'Ada', age: 36, role: 'admin', tags: ['x'], nickname: null, address: { city: 'London' } });
  const quotient: number = await client.call('math', 'divide', { a: 1, b: 2 }, { timeout: 500 });
  await client.call('misc', 'anything');
  return [user, quotient];
}`,
      'untyped.ts': `import { MeshClient } from 'nest-mesh';
declare const client: MeshClient;
export async function use() {
  const anything: unknown = await client.call('any', 'thing', { x: 1 }, { timeout: 5 });
  const stated: { id: string } = await client.call<{ id: string }>('users', 'get', { id: 'a' });
  await client.call('any', 'thing');
  return [anything, stated.id];
}`,
      ...Object.fromEntries(Object.entries(wrong).map(([name, [body]]) => [name, `${TYPED_MESH_CLIENT_HEADER}  ${body}\n}`])),
    });
    expect(errors['right.ts']).toBeUndefined();
    expect(errors['untyped.ts']).toBeUndefined();
    expect(errors['(global)']).toBeUndefined();
    for (const [name, [, complaint]] of Object.entries(wrong)) expect([name, errors[name]?.join('\n') ?? 'no error']).toEqual([name, expect.stringContaining(complaint)]);
  });

  it('reads a file with --openapi, and the project id of mesh.yaml when --project is not given', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'openapi.json'), fixture);
    const fromFile = await types(['--openapi', join(dir, 'openapi.json'), '--out', join(dir, 'a.d.ts')]);
    expect(fromFile.code).toBe(0);
    writeFileSync(join(dir, 'mesh.yaml'), 'id: demo\nsecret: ${NOT_NEEDED_HERE}\n');
    const fromUrl = await types(['--url', `${url}/`, '--out', join(dir, 'b.d.ts')], dir);
    expect(fromUrl.code).toBe(0);
    expect(readFileSync(join(dir, 'b.d.ts'), 'utf8').split('\n').slice(1)).toEqual(readFileSync(join(dir, 'a.d.ts'), 'utf8').split('\n').slice(1));
  });

  it.each([
    [['--project', 'demo'], /^nest-mesh types: give either --url <gateway> or --openapi <file>\n$/],
    [['--url', 'http://x', '--colour', 'blue'], /^nest-mesh types: unknown flag --colour/],
    [['--openapi', '/nonexistent/openapi.json'], /^nest-mesh types: ENOENT/],
  ])('fails in one line with exit code 1 (%#)', async (args, message) => {
    const { code, output } = await types(args);
    expect(output).toMatch(message);
    expect(output.trim().split('\n')).toHaveLength(1);
    expect(code).toBe(1);
  });

  it('fails in one line when the gateway is down', async () => {
    const port = await freePort();
    const { code, output } = await types(['--url', `http://127.0.0.1:${port}`, '--project', 'demo']);
    expect(output).toMatch(new RegExp(`^nest-mesh types: cannot reach http://127.0.0.1:${port}/v1/api/demo/openapi.json: .*ECONNREFUSED.*\n$`));
    expect(code).toBe(1);
  });

  it('fails in one line when the gateway answers an error or something that is not OpenAPI', async () => {
    const wrongProject = await types(['--url', url, '--project', 'other', '--out', join(tempDir(), 'never.d.ts')]);
    expect(wrongProject.output).toMatch(/^nest-mesh types: .*\/v1\/api\/other\/openapi\.json answered 404: .*PROJECT_NOT_FOUND.*\n$/);
    expect(wrongProject.code).toBe(1);
  });
});
