// Run by type-check.ts in a child process, so that the compiler does not block the test's event loop:
// `node type-check-run.js <root> <dir> <file>...` type-checks the files and prints their errors as JSON.
const { join } = require('node:path');
const ts = require('typescript');

const [root, dir, ...names] = process.argv.slice(2);
const program = ts.createProgram(
  names.map((name) => join(dir, name)),
  {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [],
    baseUrl: root,
    paths: { 'nest-mesh/client': ['libs/client/src'], 'nest-mesh': ['libs/mesh/src'], '@nest-mesh/wire': ['libs/wire/src'] },
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
  },
);
const errors = {};
for (const d of ts.getPreEmitDiagnostics(program)) {
  const file = d.file ? d.file.fileName.slice(dir.length + 1) : '(global)';
  (errors[file] ??= []).push(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}
process.stdout.write(JSON.stringify(errors));
