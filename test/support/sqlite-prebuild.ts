import { execFile } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

/**
 * better-sqlite3's install downloads a prebuilt binary (prebuild-install, from GitHub) and builds
 * SQLite from source when it cannot, which takes minutes on a CI machine. This serves the binary of
 * the repo's own install as that download, from 127.0.0.1 (prebuild-install's
 * `npm_config_better_sqlite3_binary_host`), so that a temp app installing the package gets it in
 * seconds, as a user's install does. Only the repo's exact version, Node ABI and platform are
 * served; any other request is a 404, and that install builds from source.
 */
export async function serveSqlitePrebuild(): Promise<{ env: Record<string, string>; close(): Promise<void> }> {
  const packageDir = dirname(require.resolve('better-sqlite3/package.json'));
  const { version } = require('better-sqlite3/package.json') as { version: string };
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const dir = mkdtempSync(join(tmpdir(), 'nest-mesh-prebuild-'));
  await promisify(execFile)('tar', ['-czf', join(dir, name), '-C', packageDir, 'build/Release/better_sqlite3.node']);
  const server = createServer((req, res) => {
    if (req.url !== `/v${version}/${name}`) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/gzip' });
    createReadStream(join(dir, name)).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    env: { npm_config_better_sqlite3_binary_host: `http://127.0.0.1:${port}` },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
