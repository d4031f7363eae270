import { join } from 'node:path';
import { compiledPathIn, compilePrograms, ROOT } from '../../test/support/programs';

export { ROOT };

/** Where the benchmark programs are compiled to; the tree under it mirrors the repository. */
export const BENCH_DIST = join(ROOT, 'dist', 'bench');

const SOURCES = ['bench/servers', 'bench/load.ts', 'bench/support/load-types.ts', 'bench/support/alloc-sampler.ts', 'libs/mesh/src', 'libs/wire/src'];

/** The path aliases of tsconfig.json the compiled programs use, and the source each stands for. */
const ALIASES: Record<string, string> = { '@nest-mesh/wire': 'libs/wire/src/index.ts' };

/**
 * Compiles the server programs and the load process to plain JS under dist/bench (test/support/programs.ts),
 * so that they start fast and do not carry ts-node's memory in the peak RSS that is measured.
 */
export function compileBenchPrograms(): void {
  compilePrograms(SOURCES, BENCH_DIST, ALIASES);
}

/** dist/bench/<path relative to the root, .ts -> .js> */
export function compiledPath(sourceFile: string): string {
  return compiledPathIn(BENCH_DIST, sourceFile);
}
