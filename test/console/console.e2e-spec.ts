import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { TestProcess } from '../support/child';
import { freePort } from '../support/free-port';
import { Mesh, startMesh } from '../support/mesh';

/**
 * The console (docs/discovery.md) in headless Chromium: on the demo that `npm start` runs
 * (express) it lists the services, a call from the form shows the result, the events panel asks
 * for an admin token (the demo runs eventing), and a screenshot is written to test-output/console.png
 * for a person to look at; on fastify the page is served the same way (and says eventing is off there).
 */
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const OUTPUT = join(__dirname, '../../test-output');

/** Outside CI a missing Chromium skips the suite; with CI=true it fails it. */
function describeWithChromium(name: string, fn: () => void): void {
  const available = existsSync(CHROMIUM);
  if (!available && process.env.CI !== 'true') {
    describe.skip(`${name} (no Chromium at ${CHROMIUM})`, fn);
    return;
  }
  describe(name, () => {
    if (!available) {
      it('needs Chromium', () => {
        throw new Error(`no Chromium at ${CHROMIUM}; CI must have it`);
      });
      return;
    }
    fn();
  });
}

async function openConsole(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  // A 404 is an answer the page handles (the events route when eventing is off), not an error of the page.
  page.on('console', (message) => message.type() === 'error' && !message.text().startsWith('Failed to load resource') && errors.push(message.text()));
  await page.goto(url, { timeout: 30_000 });
  return { page, errors };
}

describeWithChromium('the console in a browser', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 60_000 });
  });
  afterAll(async () => {
    await browser?.close();
  });

  describe('on the demo (npm start, express)', () => {
    let demo: TestProcess;
    let base: string;

    beforeAll(async () => {
      const port = await freePort();
      demo = await TestProcess.start('demo', process.execPath, [join(__dirname, '../../dist/apps/demo/main.js')], {
        env: { PORT: String(port), DEMO_BROKER_PORT: String(await freePort()) },
        ready: /nest-mesh demo is up/,
        timeoutMs: 30_000,
      });
      base = `http://127.0.0.1:${port}`;
    });
    afterAll(() => demo?.stop());

    it('lists the services, calls a function from the form, and shows the result', async () => {
      const { page, errors } = await openConsole(browser, `${base}/console/`);
      try {
        await page.locator('[data-service="greeter"]').waitFor({ timeout: 30_000 });
        await page.locator('[data-service="math"]').waitFor({ timeout: 30_000 });
        await expectText(page, '#project', 'project demo');
        await expectText(page, '[data-service="math"] .functions', 'divide');
        await expectText(page, '[data-service="math"] .instances', '1.0.0');

        await page.locator('[data-service="math"] tr', { hasText: 'add' }).getByRole('button', { name: 'Try' }).click();
        await page.locator('#call-params').fill('{"a": 2, "b": 3}');
        await page.getByRole('button', { name: 'Call', exact: true }).click();
        await expectText(page, '#call-status', '200');
        expect(JSON.parse(await page.locator('#call-output').innerText())).toEqual({ result: 5 });

        await page.locator('#call-target').selectOption('math.divide');
        await page.locator('#call-params').fill('{"a": 1, "b": 0}');
        await page.getByRole('button', { name: 'Call', exact: true }).click();
        await expectText(page, '#call-output', 'DIVISION_BY_ZERO');
        await expectText(page, '#call-status', '400');

        // The demo runs eventing without an admin rule: the admin routes answer 401 and the panel says so.
        await expectText(page, '#events-note', 'needs an admin token');

        // The instance's ADR-32 stats count the two calls once discovery has a newer round.
        const requests = page.locator('[data-service="math"] .instances tbody td:nth-child(4)');
        const until = Date.now() + 30_000;
        while (Number(await requests.innerText()) < 2 && Date.now() < until) {
          await page.waitForTimeout(500);
          await page.locator('#refresh').click();
        }
        expect(Number(await requests.innerText())).toBe(2);

        // Open one schema, so the screenshot shows one.
        await page.locator('[data-service="math"] tr', { hasText: 'add' }).locator('summary').click();
        mkdirSync(OUTPUT, { recursive: true });
        await page.screenshot({ path: join(OUTPUT, 'console.png'), fullPage: true });
        expect(errors).toEqual([]);
      } finally {
        await page.close();
      }
    });
  });

  describe('on fastify', () => {
    let mesh: Mesh;

    beforeAll(async () => {
      mesh = await startMesh('embedded', { rules: { test: { echo: { rule: 'allow' } } }, adapter: 'fastify', config: { console: { enabled: true } } });
    });
    afterAll(() => mesh?.stop());

    it('serves the same page at /console, which lists the services and calls', async () => {
      const { page, errors } = await openConsole(browser, `${mesh.url}/console`);
      try {
        await page.locator('[data-service="test"]').waitFor({ timeout: 30_000 });
        await page.locator('#call-target').selectOption('test.echo');
        await page.locator('#call-params').fill('{"hello": "fastify"}');
        await page.getByRole('button', { name: 'Call', exact: true }).click();
        await expectText(page, '#call-status', '200');
        expect(JSON.parse(await page.locator('#call-output').innerText())).toEqual({ result: { hello: 'fastify' } });
        await expectText(page, '#events-note', 'Eventing is not enabled on this gateway.');
        expect(errors).toEqual([]);
      } finally {
        await page.close();
      }
    });

    it('lists dead events and re-drives one with the admin token, when the gateway has eventing', async () => {
      // Eventing's admin routes (docs/events.md) answered in the browser, as a gateway with eventing would.
      const seen: { method: string; url: string; auth?: string }[] = [];
      const { page, errors } = await openConsole(browser, 'about:blank');
      await page.route('**/v1/api/demo/eventing/events**', async (route) => {
        const request = route.request();
        seen.push({ method: request.method(), url: request.url(), auth: request.headers().authorization });
        if (request.headers().authorization !== 'Bearer admin-jwt') return route.fulfill({ status: 401, json: { error: 'a token is required', code: 'UNAUTHENTICATED' } });
        if (request.method() === 'POST') return route.fulfill({ status: 202, json: { id: 'evt-1' } });
        return route.fulfill({ status: 200, json: { events: [{ id: 'evt-1', type: 'user.signup', attempts: 4, lastError: 'mail server down', time: '2026-01-01T00:00:00Z' }] } });
      });
      try {
        await page.goto(`${mesh.url}/console/`, { timeout: 30_000 });
        await expectText(page, '#events-note', 'needs an admin token');
        await page.locator('#admin-token').fill('admin-jwt');
        await page.getByRole('button', { name: 'Load' }).click();
        await expectText(page, '#events', 'mail server down');
        await page.getByRole('button', { name: 'Re-drive' }).click();
        await expectText(page, '#events', 're-driven');
        const retry = seen.find((r) => r.method === 'POST');
        expect(retry).toEqual({ method: 'POST', url: `${mesh.url}/v1/api/demo/eventing/events/evt-1/retry`, auth: 'Bearer admin-jwt' });
        expect(seen.filter((r) => r.method === 'GET').map((r) => new URL(r.url).searchParams.get('status'))).toContain('dead');
        expect(errors).toEqual([]);
      } finally {
        await page.close();
      }
    });
  });
});

async function expectText(page: Page, selector: string, text: string): Promise<void> {
  await page.locator(selector).filter({ hasText: text }).first().waitFor({ timeout: 30_000 });
}
