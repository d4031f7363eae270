import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import * as ts from 'typescript';

/** The repository root. */
export const ROOT = join(__dirname, '..', '..');
/** Where the benchmark programs are compiled to; the tree under it mirrors the repository. */
export const BENCH_DIST = join(ROOT, 'dist', 'bench');

const SOURCES = ['bench/servers', 'bench/load.ts', 'bench/support/load-types.ts', 'bench/support/alloc-sampler.ts', 'libs/mesh/src', 'libs/wire/src'];

/** The path aliases of tsconfig.json the compiled programs use, and the source each stands for. */
const ALIASES: Record<string, string> = { '@nest-mesh/wire': 'libs/wire/src/index.ts' };

const OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  esModuleInterop: true,
  useDefineForClassFields: false,
};

/**
 * Compiles the server programs and the load process to plain JS under dist/bench (file by file,
 * types not checked: `tsc` does that), so that they start fast and do not carry ts-node's memory in
 * the peak RSS that is measured. Returns the compiled path of a source file of the repository.
 */
export function compileBenchPrograms(): void {
  for (const source of SOURCES) {
    for (const file of tsFiles(join(ROOT, source))) {
      const target = compiledPath(file);
      const output = resolveAliases(ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: OPTIONS, fileName: file }).outputText, target);
      mkdirSync(dirname(target), { recursive: true });
      // Written aside and renamed into place: a program of another run (e.g. a test file in another
      // jest worker) started meanwhile reads the old file or the new one, never half of one.
      const written = `${target}.${process.pid}.tmp`;
      writeFileSync(written, output);
      renameSync(written, target);
    }
  }
}

/** `require("<alias>")` as a relative require of the compiled file the alias stands for. */
function resolveAliases(code: string, target: string): string {
  return code.replace(/require\("(@nest-mesh\/[a-z]+)"\)/g, (call, alias: string) => {
    const source = ALIASES[alias];
    if (source === undefined) return call;
    const path = relative(dirname(target), compiledPath(join(ROOT, source)));
    return `require(${JSON.stringify(path.startsWith('.') ? path : `./${path}`)})`;
  });
}

/** dist/bench/<path relative to the root, .ts -> .js> */
export function compiledPath(sourceFile: string): string {
  return join(BENCH_DIST, relative(ROOT, sourceFile)).replace(/\.ts$/, '.js');
}

function tsFiles(path: string): string[] {
  if (path.endsWith('.ts')) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((entry) => {
    const full = join(path, entry.name);
    if (entry.isDirectory()) return tsFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}
