import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { SignJWT } from 'jose';
import * as ts from 'typescript';
import { TestProcess } from '../support/child';
import { freePort } from '../support/free-port';
import { post } from '../support/mesh';
import { serveSqlitePrebuild } from '../support/sqlite-prebuild';

const root = join(__dirname, '..', '..');
const fixtures = join(root, 'test/fixtures/package-app');
const INSTALL_TIMEOUT_MS = 240_000;
const PACKAGE_JWT_SECRET = 'package-e2e-secret-of-at-least-32-bytes';
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
/** What Nest 12's Transport.NATS loads (Nest 11's loads `nats`, a dependency of the package). */
const NEST12_NATS = '@nats-io/transport-node@^3';

/**
 * The apps the package installs into, each with the package.json `nest new` writes (its
 * dependencies, pinned to the app's major): Nest 12 as `nest new` makes it today (ES modules,
 * "type": "module", its service imports 'nest-mesh'), and Nest 11 (CommonJS, its service requires
 * it). Each runs its gateway on another HTTP adapter.
 */
const APPS = [
  { name: 'Nest 12 (ES modules)', major: 12, esm: true, adapter: 'fastify' },
  { name: 'Nest 11 (CommonJS)', major: 11, esm: false, adapter: 'express' },
] as const;
type AppSpec = (typeof APPS)[number];

function nestNewPackageJson({ major, esm }: AppSpec): object {
  const nest = `^${major}.0.1`;
  return {
    name: `app-nest${major}`,
    version: '0.0.1',
    private: true,
    license: 'UNLICENSED',
    ...(esm ? { type: 'module' } : {}),
    dependencies: { '@nestjs/common': nest, '@nestjs/core': nest, '@nestjs/platform-express': nest, 'reflect-metadata': '^0.2.2', rxjs: '^7.8.1' },
  };
}

/** The install command of README.md's "In your own app", which docs/getting-started.md gives too. */
const INSTALL_LINE = /^npm install \/path\/to\/nest-mesh-\S+\.tgz\b.*$/m;
const TARBALL_ARG = /^\/path\/to\/nest-mesh-\S+\.tgz$/;

function installCommand(doc: string): string {
  const line = INSTALL_LINE.exec(readFileSync(join(root, doc), 'utf8'))?.[0];
  if (!line) throw new Error(`${doc}: no line "npm install /path/to/nest-mesh-<version>.tgz ..."`);
  return line.trim();
}

/** The environment for npm in a temp app: none of the npm_* settings of an `npm test` around us. */
function npmEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('npm_') && key !== 'npm_config_cache' && key !== 'npm_config_registry') continue;
    if (key === 'INIT_CWD') continue;
    env[key] = value;
  }
  // Should better-sqlite3 build from source after all (serveSqlitePrebuild serves only the repo's
  // version): SQLite compiled without optimisation builds in a third of the time.
  env.CFLAGS = '-O0';
  return { ...env, ...extra };
}

function run(command: string, args: string[], cwd: string, timeoutMs: number, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env: npmEnv(env), timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
    );
  });
}

/** The versions of every @nestjs package in an app's tree (`npm ls --all`), by name. */
function nestVersions(tree: { dependencies?: Record<string, { version?: string; dependencies?: object }> }, found = new Map<string, Set<string>>()): Map<string, Set<string>> {
  for (const [name, node] of Object.entries(tree.dependencies ?? {})) {
    if (name.startsWith('@nestjs/') && node.version) found.set(name, (found.get(name) ?? new Set()).add(node.version));
    nestVersions(node as typeof tree, found);
  }
  return found;
}

/** A path of the package's `exports` ('./dist/x.js') as a path in the tarball ('dist/x.js'). */
const packed = (path: string) => path.replace(/^\.\//, '');

/**
 * The package as a user gets it: `npm pack` (of what `npm run build` made), installed with the
 * README's command into fresh Nest 12 and Nest 11 apps in a temp folder outside the repo; in each,
 * its `nest-mesh gateway` command (with eventing), a plain JS service using the installed library,
 * and 'nest-mesh/client' (ESM and CJS) calling through the gateway.
 */
describe('the npm package, installed into fresh Nest 12 and Nest 11 apps', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nest-mesh-package-'));
  const appDir = (spec: AppSpec) => join(dir, `nest${spec.major}`);
  const binOf = (spec: AppSpec) => join(appDir(spec), 'node_modules/.bin/nest-mesh');
  let tarball: { filename: string; files: { path: string }[]; size: number };

  beforeAll(async () => {
    const command = installCommand('README.md').split(/\s+/);
    // --ignore-scripts: pack what the build made, without building again under other running suites.
    tarball = JSON.parse(await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], root, 120_000))[0];
    const prebuild = await serveSqlitePrebuild();
    try {
      // Side by side (npm's cache takes concurrent installs); both finish before a failure is reported.
      const installs = await Promise.allSettled(
        APPS.map(async (spec) => {
          const app = appDir(spec);
          mkdirSync(app);
          writeFileSync(join(app, 'package.json'), JSON.stringify(nestNewPackageJson(spec), null, 2));
          const args = command.slice(1).map((arg) => (TARBALL_ARG.test(arg) ? join(dir, tarball.filename) : arg));
          // Nest 12's Transport.NATS (its ClientProxy calls a mesh function below) needs @nats-io/transport-node in the app.
          const nats = spec.major === 12 ? [NEST12_NATS] : [];
          await run(command[0], [...args, ...nats, '--prefer-offline', '--no-audit', '--no-fund'], app, INSTALL_TIMEOUT_MS, prebuild.env);
          for (const file of readdirSync(fixtures, { withFileTypes: true })) if (file.isFile()) copyFileSync(join(fixtures, file.name), join(app, file.name));
          if (spec.esm) for (const file of readdirSync(join(fixtures, 'esm'))) copyFileSync(join(fixtures, 'esm', file), join(app, file));
        }),
      );
      for (const install of installs) if (install.status === 'rejected') throw install.reason;
    } finally {
      await prebuild.close();
    }
  }, INSTALL_TIMEOUT_MS + 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives one install command, the same in README.md and docs/getting-started.md', () => {
    expect(installCommand('docs/getting-started.md')).toBe(installCommand('README.md'));
  });

  it('packs nest-mesh-<version>.tgz with compiled JS and .d.ts, and no sources, tests or bench', () => {
    expect(tarball.filename).toBe(`nest-mesh-${pkg.version}.tgz`);
    const paths = tarball.files.map((f) => f.path);
    const client = pkg.exports['./client'];
    const testing = pkg.exports['./testing'];
    expect(paths).toEqual(
      expect.arrayContaining(
        [
          pkg.bin['nest-mesh'],
          'dist/apps/gateway/broker-thread-main.js',
          pkg.exports['.'].types,
          pkg.exports['.'].default,
          client.import.default,
          client.default.default,
          client.default.types,
          testing.types,
          testing.default,
        ].map(packed),
      ),
    );
    expect(paths.filter((p) => /(^|\/)(test|bench|apps\/demo)\/|\.spec\.|\.ts$/.test(p) && !p.endsWith('.d.ts'))).toEqual([]);
    // The gateway bundle (Nest and the HTTP adapters inside) is most of it.
    expect(tarball.size).toBeLessThan(2_000_000);
  });

  it("has the gateway carry its own Nest: it requires nothing of the app's but Node's modules and the package's dependencies and non-Nest peers", () => {
    const gateway = readFileSync(join(appDir(APPS[0]), 'node_modules/nest-mesh', pkg.bin['nest-mesh']), 'utf8');
    const allowed = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)].filter((name) => !name.startsWith('@nestjs/'));
    const required = [...gateway.matchAll(/^module\.exports = require\("([^"]+)"\);$/gm)].map((m) => m[1]);
    expect(required).toEqual(expect.arrayContaining(['nats', 'better-sqlite3', 'node:http']));
    expect(required.filter((name) => !builtinModules.includes(name.replace(/^node:/, '')) && !allowed.includes(/^(@[^/]+\/)?[^/]+/.exec(name)![0]))).toEqual([]);
  });

  it("ships a browser-safe ESM client: no import but its own relative .js files", () => {
    const entry = join(appDir(APPS[0]), 'node_modules/nest-mesh', pkg.exports['./client'].import.default);
    const seen = new Set<string>();
    const bad: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:import|export)[^'"]*from\s*['"]([^'"]+)['"]|require\(/g)) {
        const spec = m[1];
        if (spec === undefined || !/^\.\.?\/.*\.js$/.test(spec) || !existsSync(resolve(dirname(file), spec))) bad.push(`${relative(dirname(entry), file)}: ${spec ?? 'require('}`);
        else visit(resolve(dirname(file), spec));
      }
    };
    visit(entry);
    expect(seen.size).toBeGreaterThan(1);
    expect(bad).toEqual([]);
  });

  it('stops `nest-mesh gateway` with one line and exit 1 for a missing or an invalid config', async () => {
    const [bin, app] = [binOf(APPS[0]), appDir(APPS[0])];
    const missing = await TestProcess.run('nest-mesh gateway', bin, ['gateway', '--config', join(app, 'none.yaml')]);
    expect([missing.code, missing.output]).toEqual([1, `nest-mesh gateway: config: cannot read config file ${join(app, 'none.yaml')}: ENOENT\n`]);
    writeFileSync(join(app, 'bad.yaml'), 'id: app\nmodules:\n  functions:\n    rules:\n      users:\n        create: { rule: alow }\n');
    const invalid = await TestProcess.run('nest-mesh gateway', bin, ['gateway'], { env: { MESH_CONFIG: join(app, 'bad.yaml') } });
    expect([invalid.code, invalid.output]).toEqual([1, 'nest-mesh gateway: config: modules.functions.rules.users.create.rule: unknown rule "alow"\n']);
    const natsConfig = await TestProcess.run('nest-mesh nats-config', bin, ['nats-config', '--config', join(app, 'none.yaml')]);
    expect([natsConfig.code, natsConfig.output]).toEqual([1, `nest-mesh nats-config: config: cannot read config file ${join(app, 'none.yaml')}: ENOENT\n`]);
  });

  it('lists its commands with --help, and refuses an unknown one with exit 1', async () => {
    const bin = binOf(APPS[0]);
    const help = await TestProcess.run('nest-mesh --help', bin, ['--help']);
    expect(help.code).toBe(0);
    for (const command of ['gateway', 'nats-config', 'types']) expect(help.output).toMatch(new RegExp(`^  ${command} `, 'm'));
    const unknown = await TestProcess.run('nest-mesh gatway', bin, ['gatway']);
    expect(unknown.code).toBe(1);
    expect(unknown.output.split('\n')[0]).toBe('nest-mesh: unknown command "gatway"');
  });

  describe.each(APPS)('in a $name app', (spec) => {
    const started: TestProcess[] = [];
    let app: string;
    let url: string;
    let brokerUrl: string;

    beforeAll(async () => {
      app = appDir(spec);
      const [port, brokerPort] = [await freePort(), await freePort()];
      writeFileSync(
        join(app, 'mesh.json'),
        JSON.stringify({
          id: 'app',
          secret: PACKAGE_JWT_SECRET,
          http: { adapter: spec.adapter },
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
      const gateway = await TestProcess.start('nest-mesh gateway', binOf(spec), ['gateway', '--config', join(app, 'mesh.json')], {
        env: { PORT: String(port) },
        ready: /nest-mesh broker: nats:\S+/,
        timeoutMs: 60_000,
      });
      started.push(gateway);
      url = (await gateway.waitFor(/nest-mesh gateway: (http\S+)/))[1];
      expect(url).toBe(`http://127.0.0.1:${port}`);
      brokerUrl = (await gateway.waitFor(/nest-mesh broker: (nats\S+)/))[1];
      started.push(await TestProcess.start('service', process.execPath, [join(app, 'service.js')], { env: { MESH_SERVERS: brokerUrl }, ready: /^ready$/m, timeoutMs: 60_000 }));
    }, 180_000);

    afterAll(async () => {
      await Promise.all(started.map((p) => p.stop()));
    });

    it(`holds one Nest, ${spec.major}.x, which nest-mesh and the installed @nestjs/microservices share`, async () => {
      const versions = nestVersions(JSON.parse(await run('npm', ['ls', '--all', '--json'], app, 60_000)));
      expect([...versions.keys()].sort()).toEqual(['@nestjs/common', '@nestjs/core', '@nestjs/microservices', '@nestjs/platform-express']);
      for (const [name, found] of versions) expect([name, [...found].map((v) => v.split('.')[0])]).toEqual([name, [String(spec.major)]]);
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

    if (!spec.esm) {
      it("runs a service's node:test tests with 'nest-mesh/testing': a handler with meshContext, calls through a gateway and broker inside the test's process", async () => {
        const run = await TestProcess.run('node --test', process.execPath, ['--test', '--test-reporter=tap', join(app, 'testing.test.cjs')], { timeoutMs: 60_000 });
        const count = (what: string) => new RegExp(`^# ${what} (\\d+)$`, 'm').exec(run.output)?.[1];
        expect({ code: run.code, pass: count('pass'), fail: count('fail') }).toEqual({ code: 0, pass: '3', fail: '0' });
      });
    }

    if (spec.major === 12) {
      it('answers a Nest 12 ClientProxy (Transport.NATS) calling a mesh function on its subject: the value, and the error as {status, code, message}', async () => {
        const run = await TestProcess.run('nest-client.js', process.execPath, [join(app, 'nest-client.js')], { env: { MESH_SERVERS: brokerUrl }, timeoutMs: 30_000 });
        expect(run.code).toBe(0);
        const line = run.output.split('\n').find((text) => text.startsWith('{'));
        expect(JSON.parse(line ?? 'null')).toEqual({
          result: { greeting: 'hello Nest 12', requestId: '' },
          error: { status: 422, code: 'NAME_REQUIRED', message: 'name is required' },
        });
      });
    }

    // The type checks `nest new` apps get: NodeNext (both majors' templates), and the older Node10
    // resolution of CommonJS apps; against the app's own Nest. In the ES module app typed.ts is an ES module too.
    const client = pkg.exports['./client'];
    type Check = [name: string, files: string[], resolution: Pick<ts.CompilerOptions, 'module' | 'moduleResolution'>, clientTypes: string[]];
    const nodeNext = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext };
    const checks: Check[] = spec.esm
      ? [['nodenext', ['typed.ts', 'typed-esm.mts'], nodeNext, [client.import.types]]]
      : [
          ['nodenext', ['typed.ts', 'typed-esm.mts'], nodeNext, [client.default.types, client.import.types]],
          ['node10', ['typed.ts'], { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 }, [client.default.types]],
        ];
    it.each(checks)('type-checks an app using nest-mesh (with its Nest), nest-mesh/client and nest-mesh/testing from the package (%s resolution)', (_name, files, resolution, clientTypes) => {
      const program = ts.createProgram(
        files.map((file) => join(app, file)),
        {
          ...resolution,
          strict: true,
          noEmit: true,
          target: ts.ScriptTarget.ES2022,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
          types: [],
          skipLibCheck: true,
        },
      );
      const errors = ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
      expect(errors).toEqual([]);
      const resolved = program.getSourceFiles().map((f) => f.fileName);
      const installed = (path: string) => join(app, 'node_modules/nest-mesh', path);
      expect(resolved).toEqual(expect.arrayContaining([...[pkg.exports['.'].types, pkg.exports['./testing'].types, ...clientTypes].map(installed), join(app, 'node_modules/@nestjs/common/index.d.ts')]));
    });
  });
});
