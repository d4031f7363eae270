import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeshError } from 'nest-mesh';
import { Browser, chromium, Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, describeWithChromium } from '../support/chromium';
import { Mesh, post, startMesh } from '../support/mesh';
import { signToken } from '../support/tokens';
import { EventService } from '../eventing/event-service';
import { until } from '../support/until';

const jwt = (claims: Record<string, unknown>) => signToken(claims);

/**
 * The console's events panel (docs/discovery.md) in headless Chromium against the gateway's real
 * eventing routes (docs/events.md): an event whose function always fails (no retries) goes dead;
 * with an admin token the panel lists it with its last error, and its Re-drive button makes the
 * gateway call the function again.
 */
describeWithChromium('the console events panel on a gateway with eventing', () => {
  let browser: Browser;
  let mesh: Mesh;
  let dir: string;
  let service: EventService;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nest-mesh-console-events-'));
    mesh = await startMesh('embedded', {
      rules: {},
      services: 0,
      config: { console: { enabled: true } },
      eventing: {
        enabled: true,
        store: join(dir, 'events'),
        triggers: { broken: { on: { event: 'always.fails' }, call: { service: 'mail', func: 'broken' }, retries: 0 } },
        rules: { 'always.fails': { rule: 'allow' } },
        admin: { rule: 'match', eval: '==', type: 'string', f1: 'args.auth.role', f2: 'admin' },
      },
    });
    service = await new EventService({ broken: (s) => new MeshError(500, `mail server down (attempt ${s.params.attempt})`) }).start(mesh.brokerUrl, ['broken']);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 60_000 });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    await mesh?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the dead event with an admin token and re-drives it: the function is called again', async () => {
    const queued = await post(`${mesh.url}/v1/api/demo/eventing/queue`, { type: 'always.fails', payload: { to: 'ada@example.com' }, id: 'console-dead-1' });
    expect(queued).toMatchObject({ status: 202, body: { id: 'console-dead-1' } });
    const admin = await jwt({ sub: 'ops', role: 'admin' });
    const dead = async () => {
      const res = await fetch(`${mesh.url}/v1/api/demo/eventing/events?status=dead`, { headers: { Authorization: `Bearer ${admin}` }, signal: AbortSignal.timeout(30_000) });
      return ((await res.json()) as { events: { id: string }[] }).events;
    };
    await until(async () => (await dead()).some((e) => e.id === 'console-dead-1'), 20_000, 'the event is dead');
    expect(service.of('broken')).toHaveLength(1);

    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      await page.goto(`${mesh.url}/console/`, { timeout: 30_000 });
      // Without a token, and with a token that is not an admin's, the routes refuse and the panel says why.
      await expectText(page, '#events-note', 'needs an admin token');
      await page.locator('#admin-token').fill(await jwt({ sub: 'u1', role: 'user' }));
      await page.getByRole('button', { name: 'Load' }).click();
      await expectText(page, '#events-note', ': 403.');

      await page.locator('#admin-token').fill(admin);
      await page.getByRole('button', { name: 'Load' }).click();
      await expectText(page, '#events-note', '1 dead event(s).');
      const row = page.locator('#events tr', { hasText: 'console-dead-1' });
      await expectText(page, '#events tr', 'mail server down (attempt 1)');
      expect(await row.locator('td').allInnerTexts()).toEqual(['console-dead-1', 'always.fails', '1', '500 INTERNAL: mail server down (attempt 1)', expect.stringMatching(/^\d{4}-\d\d-\d\dT/), 'Re-drive']);

      await row.getByRole('button', { name: 'Re-drive' }).click();
      await expectText(page, '#events', 're-driven');
      await until(() => service.of('broken').length === 2, 20_000, 'the function is called again');
      expect(service.of('broken')[1].params).toMatchObject({ id: 'console-dead-1', type: 'always.fails', attempt: 1, payload: { to: 'ada@example.com' } });
      // It failed again, so it is dead again; the panel lists it once more after reloading.
      await until(async () => (await dead()).some((e) => e.id === 'console-dead-1'), 20_000, 'the event is dead again');
      await page.getByRole('button', { name: 'Load' }).click();
      await expectText(page, '#events tr', 'Re-drive');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});

async function expectText(page: Page, selector: string, text: string): Promise<void> {
  await page.locator(selector).filter({ hasText: text }).first().waitFor({ timeout: 30_000 });
}
