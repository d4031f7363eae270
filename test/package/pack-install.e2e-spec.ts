import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import * as ts from 'typescript';
import { TestProcess } from '../support/child';
import { freePort } from '../support/free-port';
import { post } from '../support/mesh';

const root = join(__dirname, '..', '..');
const fixtures = join(root, 'test/fixtures/package-app');
const INSTALL_TIMEOUT_MS = 240_000;
const PACKAGE_JWT_SECRET = 'package-e2e-secret-of-at-least-32-bytes';

/** The environment for npm in the temp app: none of the npm_* settings of an `npm test` around us. */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('npm_') && key !== 'npm_config_cache' && key !== 'npm_config_registry') continue;
    if (key === 'INIT_CWD') continue;
    env[key] = value;
  }
  // better-sqlite3 builds from source here (no prebuilt binary is reachable): SQLite compiled without
  // optimisation builds in a third of the time, and the events this suite stores need no speed.
  env.CFLAGS = '-O0';
  return env;
}

function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env: npmEnv(), timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
    );
  });
}

/**
 * The package as a user gets it: `npm pack` (of what `npm run build` made), installed into a fresh
 * app in a temp folder outside the repo, its `nest-mesh gateway` command (with eventing), a plain JS
 * service using the installed library, and 'nest-mesh/client' (ESM and CJS) calling through the gateway.
 */
describe('the npm package, installed into a fresh app', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nest-mesh-package-'));
  const app = join(dir, 'app');
  const bin = join(app, 'node_modules/.bin/nest-mesh');
  const started: TestProcess[] = [];
  let tarball: { filename: string; files: { path: string }[]; size: number };
  let url: string;

  beforeAll(async () => {
    // --ignore-scripts: pack what the build made, without building again under other running suites.
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], root, 120_000);
    tarball = JSON.parse(packed)[0];
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    await run(
      'npm',
      [
        'install',
        join(dir, tarball.filename),
        '@nestjs/common@11',
        '@nestjs/core@11',
        '@nestjs/microservices@11',
        'rxjs',
        'reflect-metadata',
        'class-validator',
        'class-transformer',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
      ],
      app,
      INSTALL_TIMEOUT_MS,
    );
    for (const file of readdirSync(fixtures)) copyFileSync(join(fixtures, file), join(app, file));

    const [port, brokerPort] = [await freePort(), await freePort()];
    writeFileSync(
      join(app, 'mesh.json'),
      JSON.stringify({
        id: 'app',
        secret: PACKAGE_JWT_SECRET,
        modules: {
          functions: { embedded: { port: brokerPort }, rules: { greeter: { hello: { rule: 'allow' } }, relay: { greet: { rule: 'allow' } } } },
          // greeter.hello refuses an event's params (no `name`): with no retries the event is kept as dead with its error.
          eventing: {
            enabled: true,
            store: join(app, 'events'),
            triggers: { greet: { on: { event: 'greet' }, call: { service: 'greeter', func: 'hello' }, retries: 0 } },
            rules: { greet: { rule: 'allow' } },
            admin: { rule: 'authenticated' },
          },
        },
      }),
    );
    const gateway = await TestProcess.start('nest-mesh gateway', bin, ['gateway', '--config', join(app, 'mesh.json')], {
      env: { PORT: String(port) },
      ready: /nest-mesh broker: nats:\S+/,
      timeoutMs: 60_000,
    });
    started.push(gateway);
    url = (await gateway.waitFor(/nest-mesh gateway: (http\S+)/))[1];
    expect(url).toBe(`http://127.0.0.1:${port}`);
    const brokerUrl = (await gateway.waitFor(/nest-mesh broker: (nats\S+)/))[1];
    started.push(await TestProcess.start('service', process.execPath, [join(app, 'service.js')], { env: { MESH_SERVERS: brokerUrl }, ready: /^ready$/m, timeoutMs: 60_000 }));
  }, INSTALL_TIMEOUT_MS + 180_000);

  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('packs nest-mesh-<version>.tgz with compiled JS and .d.ts, and no sources, tests or bench', () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(tarball.filename).toBe(`nest-mesh-${version}.tgz`);
    const paths = tarball.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'dist/apps/gateway/main.js',
        'dist/apps/gateway/broker-thread-main.js',
        'dist/libs/mesh/index.js',
        'dist/libs/mesh/index.d.ts',
        'dist/libs/client/esm/index.js',
        'dist/libs/client/cjs/index.js',
        'dist/libs/client/cjs/index.d.ts',
      ]),
    );
    expect(paths.filter((p) => /(^|\/)(test|bench|apps\/demo)\/|\.spec\.|\.ts$/.test(p) && !p.endsWith('.d.ts'))).toEqual([]);
    expect(tarball.size).toBeLessThan(2_000_000);
  });

  it("has the gateway carry its own Nest: it requires nothing of the app's but Node's modules and the package's dependencies and non-Nest peers", () => {
    const gateway = readFileSync(join(app, 'node_modules/nest-mesh/dist/apps/gateway/main.js'), 'utf8');
    const { dependencies, peerDependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const allowed = [...Object.keys(dependencies), ...Object.keys(peerDependencies)].filter((name) => !name.startsWith('@nestjs/'));
    const required = [...gateway.matchAll(/^module\.exports = require\("([^"]+)"\);$/gm)].map((m) => m[1]);
    expect(required).toContain('nats');
    expect(required.filter((name) => !builtinModules.includes(name.replace(/^node:/, '')) && !allowed.includes(/^(@[^/]+\/)?[^/]+/.exec(name)![0]))).toEqual([]);
  });

  it('runs the gateway from the installed command, and calls a service written against the installed library', async () => {
    const res = await post(`${url}/v1/api/app/functions/greeter/hello`, { params: { name: 'Ada' } }, { 'X-Request-Id': 'pkg-1' });
    expect(res).toMatchObject({ status: 200, body: { result: { greeting: 'hello Ada', requestId: 'pkg-1' } } });
    const relayed = await post(`${url}/v1/api/app/functions/relay/greet`, { params: { name: 'Bob' } });
    expect(relayed).toMatchObject({ status: 200, body: { result: { greeting: 'hello Bob' } } });
    const failed = await post(`${url}/v1/api/app/functions/greeter/hello`, { params: {} });
    expect(failed).toMatchObject({ status: 422, body: { error: 'name is required', code: 'NAME_REQUIRED' } });
  });

  it('stores and delivers events with the installed gateway (its local store comes with the package)', async () => {
    expect(await post(`${url}/v1/api/app/eventing/queue`, { type: 'greet', payload: { name: 'Ada' }, id: 'pkg-event-1' })).toMatchObject({ status: 202, body: { id: 'pkg-event-1' } });
    const admin = await new SignJWT({ sub: 'ops' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('10m').sign(new TextEncoder().encode(PACKAGE_JWT_SECRET));
    let dead: { id: string; lastError?: string }[] = [];
    for (const until = Date.now() + 20_000; dead.length === 0 && Date.now() < until; ) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const res = await fetch(`${url}/v1/api/app/eventing/events?status=dead`, { headers: { Authorization: `Bearer ${admin}` }, signal: AbortSignal.timeout(30_000) });
      expect(res.status).toBe(200);
      dead = ((await res.json()) as { events: typeof dead }).events;
    }
    expect(dead).toEqual([expect.objectContaining({ id: 'pkg-event-1', lastError: expect.stringContaining('NAME_REQUIRED') })]);
  });

  it("calls through 'nest-mesh/client' as an ES module and through require()", async () => {
    const esm = await TestProcess.run('client.mjs', process.execPath, [join(app, 'client.mjs')], { env: { GATEWAY_URL: url }, timeoutMs: 30_000 });
    expect(esm.code).toBe(0);
    expect(JSON.parse(esm.output)).toEqual({
      result: { greeting: 'hello ESM', requestId: 'esm-1' },
      error: { status: 422, code: 'NAME_REQUIRED', message: 'name is required', requestId: expect.any(String) },
    });
    const cjs = await TestProcess.run('client.cjs', process.execPath, [join(app, 'client.cjs')], { env: { GATEWAY_URL: url }, timeoutMs: 30_000 });
    expect([cjs.code, JSON.parse(cjs.output)]).toEqual([0, { result: { greeting: 'hello CJS', requestId: expect.any(String) } }]);
  });

  it("ships a browser-safe ESM client: no import but its own relative .js files", () => {
    const esm = join(app, 'node_modules/nest-mesh/dist/libs/client/esm');
    const imports = readdirSync(esm)
      .filter((f) => f.endsWith('.js'))
      .flatMap((f) => [...readFileSync(join(esm, f), 'utf8').matchAll(/(?:import|export)[^'"]*from\s*['"]([^'"]+)['"]|require\(/g)].map((m) => m[1] ?? 'require('));
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((spec) => !/^\.\/[a-z-]+\.js$/.test(spec))).toEqual([]);
  });

  it.each([
    ['node16', ['typed.ts', 'typed-esm.mts'], { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 }],
    ['node10 (Nest CLI default)', ['typed.ts'], { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 }],
  ])('type-checks an app using nest-mesh and nest-mesh/client from the package (%s resolution)', (_name, files, resolution) => {
    const program = ts.createProgram(files.map((file) => join(app, file)), {
      ...resolution,
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      types: [],
      skipLibCheck: true,
    });
    const errors = ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(errors).toEqual([]);
    const resolved = program.getSourceFiles().map((f) => f.fileName);
    expect(resolved).toEqual(expect.arrayContaining([join(app, 'node_modules/nest-mesh/dist/libs/mesh/index.d.ts')]));
    expect(resolved).toContain(join(app, 'node_modules/nest-mesh/dist/libs/client/cjs/index.d.ts'));
    if (files.includes('typed-esm.mts')) expect(resolved).toContain(join(app, 'node_modules/nest-mesh/dist/libs/client/esm/index.d.ts'));
  });

  it('stops `nest-mesh gateway` with one line and exit 1 for a missing or an invalid config', async () => {
    const missing = await TestProcess.run('nest-mesh gateway', bin, ['gateway', '--config', join(app, 'none.yaml')]);
    expect([missing.code, missing.output]).toEqual([1, `nest-mesh gateway: config: cannot read config file ${join(app, 'none.yaml')}: ENOENT\n`]);
    writeFileSync(join(app, 'bad.yaml'), 'id: app\nmodules:\n  functions:\n    rules:\n      users:\n        create: { rule: alow }\n');
    const invalid = await TestProcess.run('nest-mesh gateway', bin, ['gateway'], { env: { MESH_CONFIG: join(app, 'bad.yaml') } });
    expect([invalid.code, invalid.output]).toEqual([1, 'nest-mesh gateway: config: modules.functions.rules.users.create.rule: unknown rule "alow"\n']);
    const natsConfig = await TestProcess.run('nest-mesh nats-config', bin, ['nats-config', '--config', join(app, 'none.yaml')]);
    expect([natsConfig.code, natsConfig.output]).toEqual([1, `nest-mesh nats-config: config: cannot read config file ${join(app, 'none.yaml')}: ENOENT\n`]);
  });

  it('lists its commands with --help, and refuses an unknown one with exit 1', async () => {
    const help = await TestProcess.run('nest-mesh --help', bin, ['--help']);
    expect(help.code).toBe(0);
    for (const command of ['gateway', 'nats-config', 'types']) expect(help.output).toMatch(new RegExp(`^  ${command} `, 'm'));
    const unknown = await TestProcess.run('nest-mesh gatway', bin, ['gatway']);
    expect(unknown.code).toBe(1);
    expect(unknown.output.split('\n')[0]).toBe('nest-mesh: unknown command "gatway"');
  });
});
