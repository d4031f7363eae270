import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';

const root = join(__dirname, '..', '..');

/**
 * Type-checks `files` (name -> source, written to `dir`) strictly against 'nest-mesh/client' (its
 * sources); returns the compiler's errors per file name ('(global)' for errors of no file).
 */
export function typeErrors(dir: string, files: Record<string, string>): Record<string, string[]> {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const program = ts.createProgram(
    Object.keys(files).map((name) => join(dir, name)),
    {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      types: [],
      baseUrl: root,
      paths: { 'nest-mesh/client': ['libs/client/src'] },
    },
  );
  const errors: Record<string, string[]> = {};
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const file = d.file ? d.file.fileName.slice(dir.length + 1) : '(global)';
    (errors[file] ??= []).push(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  }
  return errors;
}

/** The start of a file that calls a typed client: `client` is typed by `./mesh-types` (a `nest-mesh types` output). */
export const TYPED_CLIENT_HEADER = `import { createMeshClient } from 'nest-mesh/client';
import type { MeshFunctions } from './mesh-types';
const client = createMeshClient<MeshFunctions>({ url: 'http://127.0.0.1:1', project: 'demo' });
export async function use() {
`;
