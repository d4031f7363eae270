import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestProcess } from './child';
import { freePort } from './free-port';

const DEMO_MAIN = join(__dirname, '../../dist/apps/demo/main.js');

/**
 * Starts what `npm start` runs (the built demo: the gateway with its embedded broker, and the demo
 * services) on free ports, with its events in a fresh temp folder; resolves once it is up with its
 * base URL, e.g. http://127.0.0.1:41234.
 */
export async function startDemo(): Promise<{ process: TestProcess; url: string }> {
  const port = await freePort();
  const proc = await TestProcess.start('demo', process.execPath, [DEMO_MAIN], {
    env: { PORT: String(port), DEMO_BROKER_PORT: String(await freePort()), DEMO_EVENTS_DIR: mkdtempSync(join(tmpdir(), 'nest-mesh-demo-events-')) },
    ready: /nest-mesh demo is up/,
    timeoutMs: 30_000,
  });
  return { process: proc, url: `http://127.0.0.1:${port}` };
}
