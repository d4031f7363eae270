import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = join(__dirname, '..', '..');

/**
 * Type-checks `files` (name -> source, written to `dir`) strictly against 'nest-mesh/client' and
 * 'nest-mesh' (their sources); resolves to the compiler's errors per file name ('(global)' for errors of no file).
 * The compiler runs in a child process (type-check-run.js): in the test's own process it would
 * block the event loop for seconds, and a pooled HTTP connection that the gateway closes meanwhile
 * would be reused before its close was seen.
 */
export async function typeErrors(dir: string, files: Record<string, string>): Promise<Record<string, string[]>> {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const { stdout } = await promisify(execFile)(process.execPath, [join(__dirname, 'type-check-run.js'), root, dir, ...Object.keys(files)], {
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as Record<string, string[]>;
}

/** The start of a file that calls a typed client: `client` is typed by `./mesh-types` (a `nest-mesh types` output). */
export const TYPED_CLIENT_HEADER = `import { createMeshClient } from 'nest-mesh/client';
import type { MeshFunctions } from './mesh-types';
const client = createMeshClient<MeshFunctions>({ url: 'http://127.0.0.1:1', project: 'demo' });
export async function use() {
`;

/** The start of a file that calls through a typed MeshClient (`MeshClient<MeshFunctions>`, as a Nest service injects it). */
export const TYPED_MESH_CLIENT_HEADER = `import { MeshClient } from 'nest-mesh';
import type { MeshFunctions } from './mesh-types';
declare const client: MeshClient<MeshFunctions>;
export async function use() {
`;
