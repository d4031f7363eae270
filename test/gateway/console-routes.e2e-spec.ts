import { ADAPTERS, get, Mesh, startMesh } from '../support/mesh';
import { valueWhen } from '../support/until';

/**
 * The console's routes over plain HTTP on both adapters (the browser suite is test/console):
 * the page at /console, /console/ and /console/index.html with its security headers, its data at
 * /console/api/services, 404 for anything else under /console (also its paths in another letter
 * case) and everything when it is off.
 */

const RULES = { test: { echo: { rule: 'allow' }, whoami: { rule: 'authenticated' }, crash: { rule: 'deny' } } };

for (const adapter of ADAPTERS) {
  describe(`the console's routes (${adapter})`, () => {
    let mesh: Mesh;

    beforeAll(async () => {
      mesh = await startMesh('embedded', { rules: RULES, adapter, config: { console: { enabled: true } } });
    });
    afterAll(() => mesh?.stop());

    it('serves one self-contained page at /console, /console/ and /console/index.html', async () => {
      for (const path of ['/console', '/console/', '/console/index.html']) {
        const res = await get(`${mesh.url}${path}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(res.text).toContain('<title>nest-mesh console</title>');
        expect(res.text).not.toContain('/*SCRIPT*/');
        expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+'; style-src 'sha256-/);
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('x-request-id')).toBeTruthy();
      }
    });

    it('answers 404 for other paths under /console', async () => {
      for (const path of ['/console/nope', '/console/api/nope', '/console/a/b']) {
        expect((await get(`${mesh.url}${path}`)).status).toBe(404);
      }
    });

    it('answers 404 for its paths in another letter case (routes are case-sensitive)', async () => {
      for (const path of ['/CONSOLE/', '/Console', '/CONSOLE/index.html', '/console/INDEX.html', '/console/API/services']) {
        const res = await get(`${mesh.url}${path}`);
        expect([path, res.status, res.body]).toEqual([path, 404, { error: `Cannot GET ${path}`, code: 'NOT_FOUND' }]);
        expect(res.headers.get('x-request-id')).toBeTruthy();
      }
    });

    it('gives the console the callable functions with their rules, and the instances with their stats', async () => {
      const services = () => get(`${mesh.url}/console/api/services`);
      const { body } = await valueWhen('a service in the console', services, (res) => res.status === 200 && res.body.services.length > 0);
      expect(body.project).toBe('demo');
      const [test] = body.services;
      expect(test.name).toBe('test');
      expect(test.functions).toEqual([
        { name: 'echo', params: null, rule: { kind: 'allow', path: 'modules.functions.rules.test.echo', token: 'none' } },
        { name: 'whoami', params: null, rule: { kind: 'authenticated', path: 'modules.functions.rules.test.whoami', token: 'required' } },
      ]);
      expect(test.instances).toEqual([
        { id: expect.any(String), version: '1.0.0', info: true, started: expect.any(String), stats: expect.objectContaining({ echo: expect.objectContaining({ requests: expect.any(Number) }) }) },
      ]);
    });
  });
}

describe('the console when it is off (the default)', () => {
  let mesh: Mesh;

  beforeAll(async () => {
    mesh = await startMesh('embedded', { rules: RULES, services: 0 });
  });
  afterAll(() => mesh?.stop());

  it('is not served', async () => {
    for (const path of ['/console', '/console/', '/console/api/services']) {
      expect((await get(`${mesh.url}${path}`)).status).toBe(404);
    }
  });
});
