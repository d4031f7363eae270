import { readFile } from 'node:fs/promises';
import { createServer, Server } from 'node:http';
import { join, normalize } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { TestProcess } from '../support/child';
import { CHROMIUM, CHROMIUM_ARGS, describeWithChromium } from '../support/chromium';
import { freePort } from '../support/free-port';
import { ADAPTERS, Mesh, post, startMesh } from '../support/mesh';
import { ROOT, testProgram } from '../support/programs';

/**
 * 'nest-mesh/client' `stream` in a real browser (docs/getting-started.md#7-streams): headless
 * Chromium loads a page and the client's ESM build from a server of another origin, and the page
 * iterates streams of the gateway (CORS on), on both adapters: the items, the error of an
 * `event: error`, and a loop left early, which stops the function.
 */

const CLIENT_ESM = join(ROOT, 'dist', 'libs', 'client', 'esm');
/** The page loads the client as a browser app would (an ES module) and hands it to the test's scripts. */
const PAGE =
  '<!doctype html><html><head><meta charset="utf-8"><title>stream page</title>' +
  '<script type="module">import { createMeshClient } from "/client/client/src/index.js"; window.createMeshClient = createMeshClient;</script>' +
  '</head><body>page</body></html>';

/** The page at `/`, the client's ESM files under `/client/`. */
async function pageServer(): Promise<{ origin: string; server: Server }> {
  const port = await freePort();
  const server = createServer((request, response) => {
    void (async () => {
      const url = request.url ?? '/';
      if (url === '/') {
        response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE);
        return;
      }
      const path = normalize(join(CLIENT_ESM, url.replace(/^\/client\//, '')));
      if (!url.startsWith('/client/') || !path.startsWith(CLIENT_ESM) || !path.endsWith('.js')) {
        response.writeHead(404).end();
        return;
      }
      const code = await readFile(path).catch(() => undefined);
      if (code === undefined) response.writeHead(404).end();
      else response.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' }).end(code);
    })();
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${port}`, server };
}

describeWithChromium('nest-mesh/client streams in a browser', () => {
  let browser: Browser;
  let pages: { origin: string; server: Server };

  beforeAll(async () => {
    pages = await pageServer();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => pages?.server.close(resolve));
  });

  for (const adapter of ADAPTERS) {
    describe(adapter, () => {
      let mesh: Mesh;
      let service: TestProcess;
      let page: Page;

      beforeAll(async () => {
        mesh = await startMesh('embedded', {
          adapter,
          rules: { sse: { default: { rule: 'allow' } } },
          services: 0,
          config: { http: { adapter, cors: { origins: [pages.origin] } } },
        });
        service = await TestProcess.start('sse service', process.execPath, [testProgram('stream-services')], {
          env: { MESH_SERVERS: mesh.brokerUrl },
          ready: /^ready$/m,
          timeoutMs: 40_000,
        });
        page = await browser.newPage();
        await page.goto(`${pages.origin}/`, { timeout: 30_000 });
        await page.waitForFunction(() => 'createMeshClient' in globalThis, undefined, { timeout: 30_000 });
      }, 90_000);
      afterAll(async () => {
        await page?.close();
        await service?.stop();
        await mesh?.stop();
      });

      it('iterates the items, throws the error of an error event, and stops the function when the loop is left', async () => {
        const name = `browser-${adapter}-${process.pid}`;
        const result = await page.evaluate(
          async ({ url, name }) => {
            type Client = { stream(service: string, func: string, params?: unknown): AsyncIterable<unknown> };
            const { createMeshClient } = globalThis as unknown as { createMeshClient(options: object): Client };
            const client = createMeshClient({ url, project: 'demo' });
            const counted: unknown[] = [];
            for await (const item of client.stream('sse', 'count', 3)) counted.push(item);
            const before: unknown[] = [];
            let error: unknown;
            try {
              for await (const item of client.stream('sse', 'failing')) before.push(item);
            } catch (e) {
              const { name, status, code, message } = e as { name: string; status: number; code: string; message: string };
              error = { name, status, code, message };
            }
            const early: unknown[] = [];
            for await (const item of client.stream('sse', 'paced', { name, gap: 20, first: 0 })) {
              early.push(item);
              if (early.length === 2) break;
            }
            return { counted, before, error, early, left: Date.now() };
          },
          { url: mesh.url, name },
        );
        expect(result.counted).toEqual([1, 2, 3]);
        expect(result.before).toEqual([1, { two: 2 }]);
        expect(result.error).toEqual({ name: 'MeshHttpError', status: 409, code: 'NO_MORE', message: 'no more' });
        expect(result.early).toEqual([1, 2]);
        // the page left the loop: the gateway saw the request end and stopped the generator
        const until = Date.now() + 3000;
        let released: number | null = null;
        while (released === null && Date.now() < until) {
          released = (await post(`${mesh.url}/v1/api/demo/functions/sse/released`, { params: name })).body.result;
          if (released === null) await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(released).not.toBeNull();
        expect(released! - result.left).toBeLessThan(1000);
      });
    });
  }
});
