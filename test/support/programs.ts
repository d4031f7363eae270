import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import * as ts from 'typescript';

/**
 * Programs that tests and benchmarks start as processes, compiled to plain JS once (file by file,
 * types not checked: `tsc` does that), so that each start is `node <file>.js`: no ts-node in every
 * child (it took seconds of CPU per start) and none of its memory in what a benchmark measures.
 * `nest-mesh` resolves to the built package (dist/, through its `exports`), as in a user's app;
 * other path aliases of tsconfig.json are rewritten to relative requires.
 */

/** The repository root. */
export const ROOT = join(__dirname, '..', '..');

const OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  esModuleInterop: true,
  useDefineForClassFields: false,
};

/** Compiles the .ts files of `sources` (files or folders, relative to the root) into `outRoot`, mirroring the repository; `aliases` maps a path alias to the source it stands for. */
export function compilePrograms(sources: readonly string[], outRoot: string, aliases: Readonly<Record<string, string>> = {}): void {
  for (const source of sources) {
    for (const file of tsFiles(join(ROOT, source))) {
      const target = compiledPathIn(outRoot, file);
      const output = resolveAliases(ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: OPTIONS, fileName: file }).outputText, target, outRoot, aliases);
      mkdirSync(dirname(target), { recursive: true });
      // Written aside and renamed into place: a program of another run (e.g. a test file in another
      // jest worker) started meanwhile reads the old file or the new one, never half of one.
      const written = `${target}.${process.pid}.tmp`;
      writeFileSync(written, output);
      renameSync(written, target);
    }
  }
}

/** `<outRoot>/<path relative to the root, .ts -> .js>` */
export function compiledPathIn(outRoot: string, sourceFile: string): string {
  return join(outRoot, relative(ROOT, sourceFile)).replace(/\.ts$/, '.js');
}

/** `require("<alias>")` as a relative require of the compiled file the alias stands for. */
function resolveAliases(code: string, target: string, outRoot: string, aliases: Readonly<Record<string, string>>): string {
  return code.replace(/require\("(@nest-mesh\/[a-z]+)"\)/g, (call, alias: string) => {
    const source = aliases[alias];
    if (source === undefined) return call;
    const path = relative(dirname(target), compiledPathIn(outRoot, join(ROOT, source)));
    return `require(${JSON.stringify(path.startsWith('.') ? path : `./${path}`)})`;
  });
}

function tsFiles(path: string): string[] {
  if (path.endsWith('.ts')) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((entry) => {
    const full = join(path, entry.name);
    if (entry.isDirectory()) return tsFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Where the test programs (test/fixtures) are compiled to. */
export const TEST_PROGRAMS = join(ROOT, 'dist', 'test-programs');

/** The service programs of test/fixtures that suites start as processes. */
const TEST_FIXTURES = ['test/fixtures/test-services.ts', 'test/fixtures/identity-services.ts', 'test/fixtures/stream-services.ts', 'test/fixtures/nest-transport-app.ts'];

/** Compiles the test programs (jest's globalSetup of the e2e project: once per run, before any suite). */
export function compileTestPrograms(): void {
  compilePrograms(TEST_FIXTURES, TEST_PROGRAMS);
}

/** The compiled program of a test fixture, e.g. `testProgram('test-services')`. */
export function testProgram(name: string): string {
  return compiledPathIn(TEST_PROGRAMS, join(ROOT, 'test/fixtures', `${name}.ts`));
}
