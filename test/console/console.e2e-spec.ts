import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect, StringCodec } from 'nats';
import { Browser, chromium, Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, describeWithChromium } from '../support/chromium';
import { TestProcess } from '../support/child';
import { startDemo } from '../support/demo';
import { Mesh, startMesh } from '../support/mesh';

/**
 * The console (docs/discovery.md) in headless Chromium: on the demo that `npm start` runs
 * (express) it lists the services, a call from the form shows the result, the events panel asks
 * for an admin token (the demo has eventing), and a screenshot is written to test-output/console.png
 * for a person to look at; on fastify the page is served the same way, says that a gateway
 * without eventing has none, and flags instances that disagree on the version.
 */
const OUTPUT = join(__dirname, '../../test-output');

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
      ({ process: demo, url: base } = await startDemo());
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

        // The demo has eventing (apps/demo/mesh.yaml): listing its events needs an admin token.
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
      mesh = await startMesh('embedded', { rules: { test: { echo: { rule: 'allow' }, generate: { rule: 'allow' }, fail: { rule: 'allow' } } }, adapter: 'fastify', config: { console: { enabled: true } } });
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

    it('shows the items of a stream as they arrive when asked to stream, and the end', async () => {
      const { page, errors } = await openConsole(browser, `${mesh.url}/console/`);
      try {
        await page.locator('[data-service="test"]').waitFor({ timeout: 30_000 });
        await page.locator('#call-target').selectOption('test.generate');
        await page.locator('#call-params').fill('{"items": 3}');
        await page.locator('#call-stream').check();
        await page.getByRole('button', { name: 'Call', exact: true }).click();
        await expectText(page, '#call-output', '— end: 3 items');
        expect(await page.locator('#call-output').innerText()).toBe('"item-1"\n"item-2"\n"item-3"\n— end: 3 items');
        await expectText(page, '#call-status', '200');
        // a call refused before the stream began shows its JSON error
        await page.locator('#call-target').selectOption('test.fail');
        await page.locator('#call-params').fill('{"status": 409, "message": "taken", "code": "NAME_TAKEN"}');
        await page.getByRole('button', { name: 'Call', exact: true }).click();
        await expectText(page, '#call-output', 'NAME_TAKEN');
        await expectText(page, '#call-status', '409');
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

    it('pages through a long listing: More adds the next page (its cursor), until the last', async () => {
      const cursors: (string | null)[] = [];
      const { page, errors } = await openConsole(browser, 'about:blank');
      const dead = (id: string) => ({ id, type: 'user.signup', attempts: 6, lastError: `${id} failed`, time: '2026-01-01T00:00:00Z' });
      await page.route('**/v1/api/demo/eventing/events**', async (route) => {
        const cursor = new URL(route.request().url()).searchParams.get('cursor');
        cursors.push(cursor);
        if (cursor === null) return route.fulfill({ status: 200, json: { events: [dead('evt-1'), dead('evt-2')], next: 'page-2' } });
        if (cursor === 'page-2') return route.fulfill({ status: 200, json: { events: [dead('evt-3')], next: null } });
        return route.fulfill({ status: 400, json: { error: 'unknown cursor', code: 'BAD_REQUEST' } });
      });
      try {
        await page.goto(`${mesh.url}/console/`, { timeout: 30_000 });
        await expectText(page, '#events-note', '2 dead event(s) shown; there are more.');
        await page.getByRole('button', { name: 'More' }).click();
        await expectText(page, '#events-note', '3 dead event(s).');
        await expectText(page, '#events', 'evt-1 failed');
        await expectText(page, '#events', 'evt-3 failed');
        expect(await page.locator('#events tr').count()).toBe(3);
        expect(await page.getByRole('button', { name: 'More' }).isHidden()).toBe(true);
        expect(cursors).toEqual([null, 'page-2']);
        expect(errors).toEqual([]);
      } finally {
        await page.close();
      }
    });

    it('flags a service whose instances announce different versions', async () => {
      const other = await connect({ servers: mesh.brokerUrl, name: 'another version' });
      const info = { type: 'io.nats.micro.v1.info_response', name: 'test', id: 'other-1', version: '2.0.0', endpoints: [{ name: 'echo', subject: 'mesh.test.echo', queue_group: 'q' }] };
      other.subscribe('$SRV.INFO', { callback: (_, msg) => msg.respond(StringCodec().encode(JSON.stringify(info))) });
      await other.flush();
      const { page, errors } = await openConsole(browser, `${mesh.url}/console/`);
      try {
        const flag = page.locator('[data-service="test"] .version .conflict');
        const until = Date.now() + 30_000;
        while ((await flag.count()) === 0 && Date.now() < until) {
          await page.waitForTimeout(500);
          await page.locator('#refresh').click();
        }
        expect(await flag.innerText()).toContain('instances disagree');
        expect(await flag.getAttribute('title')).toMatch(/^instances disagree: .*\b2\.0\.0 \(other-1\)/);
        expect(await flag.getAttribute('title')).toMatch(/\b1\.0\.0 \(/);
        expect(errors).toEqual([]);
      } finally {
        await page.close();
        await other.close();
      }
    });
  });
});

async function expectText(page: Page, selector: string, text: string): Promise<void> {
  await page.locator(selector).filter({ hasText: text }).first().waitFor({ timeout: 30_000 });
}
