import { describeWithNatsServer } from '../support/nats-server';
import { ADAPTERS, BROKERS, HttpAdapter, Mesh, startMesh } from '../support/mesh';

/**
 * CORS (docs/operations.md#browsers-cors): one table of cases, the same answers on express and fastify, on both
 * brokers. A browser-level test is in test/browser/.
 */

const ALLOWED = 'http://localhost:3000';
const OTHER_ALLOWED = 'http://127.0.0.1:3000';
const FOREIGN = 'http://evil.example';
const CALL = '/v1/api/demo/functions/test/echo';

interface Answer {
  status: number;
  headers: Headers;
}

async function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(15_000) });
  await response.arrayBuffer();
  return { status: response.status, headers: response.headers };
}

const preflight = (origin: string, method = 'POST', requestHeaders = 'content-type, authorization, x-request-id, traceparent') => ({
  method: 'OPTIONS',
  headers: { Origin: origin, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': requestHeaders },
});
const post = (headers: Record<string, string> = {}, path = CALL) => ({
  method: 'POST',
  path,
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify({ params: { hi: 1 } }),
});

const list = (value: string | null) => (value ?? '').split(',').map((item) => item.trim().toLowerCase()).filter(Boolean);

type Case = [string, { method: string; path?: string; headers: Record<string, string>; body?: string }, (answer: Answer) => void];

const cases: Case[] = [
  [
    'a preflight from an allowed origin: 204 with origin, methods, headers and max age',
    preflight(ALLOWED),
    ({ status, headers }) => {
      expect(status).toBe(204);
      expect(headers.get('access-control-allow-origin')).toBe(ALLOWED);
      expect(list(headers.get('access-control-allow-methods'))).toContain('post');
      expect(list(headers.get('access-control-allow-headers'))).toEqual(expect.arrayContaining(['content-type', 'authorization', 'x-request-id', 'traceparent']));
      expect(headers.get('access-control-max-age')).toBe('600');
      expect(headers.get('access-control-allow-credentials')).toBeNull();
    },
  ],
  [
    'a preflight from the other allowed origin',
    preflight(OTHER_ALLOWED),
    ({ status, headers }) => {
      expect(status).toBe(204);
      expect(headers.get('access-control-allow-origin')).toBe(OTHER_ALLOWED);
    },
  ],
  [
    'a preflight asking for DELETE (the eventing routes answer it): granted',
    preflight(ALLOWED, 'DELETE'),
    ({ status, headers }) => {
      expect(status).toBe(204);
      expect(list(headers.get('access-control-allow-methods'))).toContain('delete');
    },
  ],
  [
    'a preflight asking for a method no route answers: PUT is not granted',
    preflight(ALLOWED, 'PUT'),
    ({ headers }) => {
      expect(list(headers.get('access-control-allow-methods'))).not.toContain('put');
      expect(list(headers.get('access-control-allow-methods'))).toContain('post');
    },
  ],
  [
    'a preflight asking for a header that is not allowed: it is not granted',
    preflight(ALLOWED, 'POST', 'content-type, x-evil'),
    ({ headers }) => {
      expect(list(headers.get('access-control-allow-headers'))).not.toContain('x-evil');
    },
  ],
  [
    'a preflight from a foreign origin: no Access-Control-Allow-Origin',
    preflight(FOREIGN),
    ({ status, headers }) => {
      expect(status).toBe(404);
      expect(headers.get('access-control-allow-origin')).toBeNull();
      expect(headers.get('access-control-allow-methods')).toBeNull();
    },
  ],
  [
    'a preflight from Origin: null (sandboxed page, file://): refused',
    preflight('null'),
    ({ status, headers }) => {
      expect(status).toBe(404);
      expect(headers.get('access-control-allow-origin')).toBeNull();
    },
  ],
  [
    'a preflight from an allowed origin with another port: refused (exact origins)',
    preflight('http://localhost:3001'),
    ({ headers }) => expect(headers.get('access-control-allow-origin')).toBeNull(),
  ],
  [
    'a call from an allowed origin: Allow-Origin and Expose-Headers',
    post({ Origin: ALLOWED }),
    ({ status, headers }) => {
      expect(status).toBe(200);
      expect(headers.get('access-control-allow-origin')).toBe(ALLOWED);
      expect(list(headers.get('access-control-expose-headers'))).toEqual(expect.arrayContaining(['x-request-id', 'retry-after']));
      expect(headers.get('x-request-id')).toBeTruthy();
      // The answer depends on Origin: a shared cache must keep one per origin.
      expect(list(headers.get('vary'))).toContain('origin');
    },
  ],
  [
    'an error answer to an allowed origin (403) carries them too',
    post({ Origin: ALLOWED }, '/v1/api/demo/functions/test/nothing'),
    ({ status, headers }) => {
      expect(status).toBe(403);
      expect(headers.get('access-control-allow-origin')).toBe(ALLOWED);
      expect(list(headers.get('access-control-expose-headers'))).toEqual(expect.arrayContaining(['x-request-id', 'retry-after']));
    },
  ],
  [
    'a 404 PROJECT_NOT_FOUND to an allowed origin carries them too',
    post({ Origin: ALLOWED }, '/v1/api/nope/functions/test/echo'),
    ({ status, headers }) => {
      expect(status).toBe(404);
      expect(headers.get('access-control-allow-origin')).toBe(ALLOWED);
    },
  ],
  [
    'a call from a foreign origin: served, but without Allow-Origin (the browser hides it)',
    post({ Origin: FOREIGN }),
    ({ headers }) => {
      expect(headers.get('access-control-allow-origin')).toBeNull();
      expect(headers.get('access-control-expose-headers')).toBeNull();
    },
  ],
  ['a call without Origin: no CORS headers', post(), ({ headers }) => expect(headers.get('access-control-allow-origin')).toBeNull()],
];

const wildcardCases: Case[] = [
  [
    'a preflight from any origin: 204 with Allow-Origin *',
    preflight(FOREIGN),
    ({ status, headers }) => {
      expect(status).toBe(204);
      expect(headers.get('access-control-allow-origin')).toBe('*');
      expect(headers.get('access-control-max-age')).toBe('30');
    },
  ],
  ['a call from any origin: Allow-Origin *', post({ Origin: FOREIGN }), ({ headers }) => expect(headers.get('access-control-allow-origin')).toBe('*')],
  ['a call from Origin: null: Allow-Origin *', post({ Origin: 'null' }), ({ headers }) => expect(headers.get('access-control-allow-origin')).toBe('*')],
];

const credentialCases: Case[] = [
  [
    'a preflight: Allow-Credentials true and the exact origin',
    preflight(ALLOWED),
    ({ status, headers }) => {
      expect(status).toBe(204);
      expect(headers.get('access-control-allow-origin')).toBe(ALLOWED);
      expect(headers.get('access-control-allow-credentials')).toBe('true');
    },
  ],
  ['a call: Allow-Credentials true', post({ Origin: ALLOWED }), ({ headers }) => expect(headers.get('access-control-allow-credentials')).toBe('true')],
];

const rules = { test: { echo: { rule: 'allow' }, nothing: { rule: 'deny' } } };

function runCases(table: Case[], mesh: () => Mesh): void {
  it.each(table)('%s', async (_, request, check) => {
    check(await send(`${mesh().url}${request.path ?? CALL}`, request.method, request.headers, request.body));
  });
}

for (const kind of BROKERS) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;
  for (const adapter of ADAPTERS) {
    describeFor(`CORS (${kind}, ${adapter})`, () => {
      let mesh: Mesh;
      beforeAll(async () => {
        mesh = await startMesh(kind, { adapter, rules, config: { http: { adapter, cors: { origins: [ALLOWED, OTHER_ALLOWED] } } } });
      });
      afterAll(() => mesh?.stop());
      runCases(cases, () => mesh);
    });
  }
}

for (const adapter of ADAPTERS as HttpAdapter[]) {
  describe(`CORS with "*" and with credentials (embedded, ${adapter})`, () => {
    let wildcard: Mesh;
    let credentials: Mesh;
    beforeAll(async () => {
      [wildcard, credentials] = await Promise.all([
        startMesh('embedded', { adapter, rules, services: 1, config: { http: { adapter, cors: { origins: '*', maxAge: 30 } } } }),
        startMesh('embedded', { adapter, rules, services: 1, config: { http: { adapter, cors: { origins: [ALLOWED], credentials: true } } } }),
      ]);
    });
    afterAll(async () => {
      await wildcard?.stop();
      await credentials?.stop();
    });
    describe('"*"', () => runCases(wildcardCases, () => wildcard));
    describe('credentials: true', () => runCases(credentialCases, () => credentials));
  });
}
