import { createServer, Server } from 'node:http';
import { Browser, chromium, Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, describeWithChromium } from '../support/chromium';
import { freePort } from '../support/free-port';
import { natsServerBinary } from '../support/nats-server';
import { ADAPTERS, BROKERS, Mesh, post, startMesh } from '../support/mesh';
import { signToken } from '../support/tokens';

/**
 * A real browser calls the gateway from a page of another origin (docs/operations.md#browsers-cors): headless
 * Chromium loads a page from a small HTTP server, the page calls functions with fetch (with and
 * without a bearer token) and reads the result, the X-Request-Id and Retry-After; a page from an
 * origin the config does not allow is refused by the browser, and cannot call a function with the
 * requests a browser sends without a preflight either (a form, a no-cors fetch: docs/security.md#browsers).
 */

const PAGE = '<!doctype html><html><head><meta charset="utf-8"><title>mesh page</title></head><body>page</body></html>';

/** A page server on a free port; `host` makes its origin (localhost and 127.0.0.1 are different origins). */
async function pageServer(host: string): Promise<{ origin: string; server: Server }> {
  const port = await freePort();
  const server = createServer((request, response) => {
    response.writeHead(request.url === '/' ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end(request.url === '/' ? PAGE : '');
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  return { origin: `http://${host}:${port}`, server };
}

interface PageAnswer {
  status: number;
  body: any;
  requestId: string | null;
  retryAfter: string | null;
}

/** fetch() inside the page; resolves with what the page's script can read, or `{failed}` when fetch rejects. */
function callFromPage(page: Page, url: string, headers: Record<string, string>, body: unknown): Promise<PageAnswer | { failed: string }> {
  return page.evaluate(
    async ({ url, headers, body }) => {
      try {
        const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
        return {
          status: response.status,
          body: await response.json(),
          requestId: response.headers.get('X-Request-Id'),
          retryAfter: response.headers.get('Retry-After'),
        };
      } catch (error) {
        return { failed: String(error) };
      }
    },
    { url, headers, body },
  );
}

/** What a page can send to any origin without a CORS preflight, carrying `body` as a call's JSON. */
type SimpleRequest = 'form' | 'no-cors text' | 'no-cors blob' | 'no-cors empty';

/**
 * Sends `body` from the page as `how`; resolves with the gateway's status as the browser received
 * it (the page's script cannot read it: the answer is opaque or a navigation of a frame).
 */
async function sendFromPage(page: Page, url: string, how: SimpleRequest, body: string): Promise<number> {
  const answered = page.waitForResponse((response) => response.url() === url, { timeout: 30_000 });
  await page.evaluate(
    ({ url, how, body }) => {
      if (how === 'form') {
        // enctype text/plain writes `name=value`: a name that opens a JSON string and a value that closes it make the body JSON.
        const { document } = globalThis as unknown as { document: any };
        const frame = Object.assign(document.createElement('iframe'), { name: `sink-${Math.random()}` });
        const form = Object.assign(document.createElement('form'), { method: 'POST', action: url, enctype: 'text/plain', target: frame.name });
        const cut = body.lastIndexOf('"');
        form.append(Object.assign(document.createElement('input'), { type: 'hidden', name: body.slice(0, cut), value: body.slice(cut) }));
        document.body.append(frame, form);
        form.submit();
        return;
      }
      const payload = how === 'no-cors text' ? body : how === 'no-cors blob' ? new Blob([body]) : undefined;
      void fetch(url, { method: 'POST', mode: 'no-cors', body: payload }).catch(() => undefined);
    },
    { url, how, body },
  );
  return (await answered).status();
}

describeWithChromium('a browser page on another origin calls functions', () => {
  let browser: Browser;
  let allowed: { origin: string; server: Server };
  let foreign: { origin: string; server: Server };
  let token: string;

  beforeAll(async () => {
    [allowed, foreign] = await Promise.all([pageServer('127.0.0.1'), pageServer('localhost')]);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
    token = await signToken({ sub: 'ada' });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    for (const page of [allowed, foreign]) await new Promise((resolve) => page?.server.close(resolve));
  });

  for (const kind of BROKERS) {
    for (const adapter of ADAPTERS) {
      const maybe = kind === 'nats-server' && natsServerBinary() === undefined && process.env.CI !== 'true' ? describe.skip : describe;
      maybe(`${kind}, ${adapter}`, () => {
        let mesh: Mesh;
        let page: Page;
        let foreignPage: Page;
        const fn = (name: string) => `${mesh.url}/v1/api/demo/functions/test/${name}`;

        beforeAll(async () => {
          mesh = await startMesh(kind, {
            adapter,
            rules: {
              test: {
                echo: { rule: 'allow' },
                whoami: { rule: 'authenticated' },
                sleep: { rule: 'allow', rateLimit: { limit: 1, window: 60_000 } },
              },
              guard: { check: { rule: 'allow' }, seen: { rule: 'allow' } },
            },
            config: { http: { adapter, cors: { origins: [allowed.origin] } } },
          });
          page = await browser.newPage();
          foreignPage = await browser.newPage();
          await page.goto(`${allowed.origin}/`, { timeout: 30_000 });
          await foreignPage.goto(`${foreign.origin}/`, { timeout: 30_000 });
        }, 90_000);
        afterAll(async () => {
          await page?.close();
          await foreignPage?.close();
          await mesh?.stop();
        });

        it('without a token: reads the result and the X-Request-Id', async () => {
          const answer = (await callFromPage(page, fn('echo'), {}, { params: { hello: 'browser' } })) as PageAnswer;
          expect(answer).toMatchObject({ status: 200, body: { result: { hello: 'browser' } } });
          expect(answer.requestId).toMatch(/^[A-Za-z0-9._-]{1,128}$/);
        });

        it('with a bearer token (a preflighted request): the function sees the claims; its own X-Request-Id comes back', async () => {
          const answer = (await callFromPage(page, fn('whoami'), { Authorization: `Bearer ${token}`, 'X-Request-Id': 'from-the-browser-1' }, {})) as PageAnswer;
          expect(answer.status).toBe(200);
          expect(answer.body.result.auth).toMatchObject({ sub: 'ada' });
          expect(answer.body.result.requestId).toBe('from-the-browser-1');
          expect(answer.requestId).toBe('from-the-browser-1');
        });

        it('reads error answers: 401 without the token, 429 with Retry-After', async () => {
          expect(await callFromPage(page, fn('whoami'), {}, {})).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
          expect(await callFromPage(page, fn('sleep'), {}, { params: { ms: 0 } })).toMatchObject({ status: 200 });
          const limited = (await callFromPage(page, fn('sleep'), {}, { params: { ms: 0 } })) as PageAnswer;
          expect(limited).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED' } });
          expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
        });

        it('a page sending JSON as text/plain (no preflight) is answered 415, and can read it when its origin is allowed', async () => {
          const answer = await page.evaluate(async (url) => {
            const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{"params":1}' });
            return { status: response.status, body: await response.json() };
          }, fn('echo'));
          expect(answer).toEqual({ status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE', error: 'request Content-Type must be application/json' } });
        });

        const simpleRequests: SimpleRequest[] = ['form', 'no-cors text', 'no-cors blob', 'no-cors empty'];
        it.each(simpleRequests)('a page on a foreign origin cannot call a function with a %s request: 415, and the function is not called', async (how) => {
          const tag = `${how}-${kind}-${adapter}`.replace(/ /g, '-');
          const status = await sendFromPage(foreignPage, `${mesh.url}/v1/api/demo/functions/guard/check`, how, JSON.stringify({ params: { params: { tag, pad: '' } } }));
          expect(status).toBe(415);
          // guard.check records the params of every call it serves; `seen` reads them back.
          expect(await post(`${mesh.url}/v1/api/demo/functions/guard/seen`, { params: { tag } })).toMatchObject({ status: 200, body: { result: null } });
        });

        it('a page from an origin that is not allowed is refused by the browser', async () => {
          expect(await callFromPage(foreignPage, fn('echo'), {}, { params: 1 })).toEqual({ failed: expect.stringMatching(/TypeError/) });
          expect(await callFromPage(foreignPage, fn('whoami'), { Authorization: `Bearer ${token}` }, {})).toEqual({ failed: expect.stringMatching(/TypeError/) });
        });
      });
    }
  }
});
