import { connect, Socket } from 'node:net';
import { freePort } from '../support/free-port';
import { ADAPTERS, JWT_SECRET, Mesh, startGateway, startMesh } from '../support/mesh';
import { writeConfig } from '../support/config-file';
import { TestProcess } from '../support/child';

/**
 * The gateway's HTTP server on both adapters: slow clients are cut off by http.headersTimeout /
 * requestTimeout (with a contract answer), idle keep-alive connections by keepAliveTimeout, and
 * `host` chooses the address it binds. The management port (`management.port`) binds to
 * `management.host` (default `host`) and cuts off slow clients with the same timeouts.
 */

const HEADERS_TIMEOUT = 2000;
const REQUEST_TIMEOUT = 4000;
const KEEP_ALIVE_TIMEOUT = 1500;
/** Node checks the timeouts once a second; the rest is room for a loaded machine. */
const SLACK = 6000;

interface Connection {
  socket: Socket;
  received(): string;
  /** Resolves with ms from `since` when the server closes the connection; rejects after `withinMs`. */
  closed(since: number, withinMs: number): Promise<number>;
}

function open(url: string): Promise<Connection> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let data = '';
    let closedAt: number | undefined;
    const waiters: (() => void)[] = [];
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('error', () => undefined); // a reset is a close too
    socket.on('close', () => {
      closedAt = Date.now();
      waiters.forEach((wake) => wake());
    });
    socket.once('connect', () =>
      resolve({
        socket,
        received: () => data,
        closed: (since, withinMs) =>
          new Promise((done, fail) => {
            if (closedAt !== undefined) return done(closedAt - since);
            const timer = setTimeout(() => {
              socket.destroy();
              fail(new Error(`still open after ${withinMs} ms; received ${JSON.stringify(data.slice(0, 200))}`));
            }, withinMs);
            waiters.push(() => {
              clearTimeout(timer);
              done(closedAt! - since);
            });
          }),
      }),
    );
    socket.once('error', reject);
  });
}

/** Writes `text` one byte per second until the socket closes; returns a stop function. */
function trickle(socket: Socket, text: string): () => void {
  let at = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || at >= text.length) return clearInterval(timer);
    socket.write(text[at++]);
  }, 1000);
  return () => clearInterval(timer);
}

function expectTimeoutAnswer(received: string): void {
  const [head, body] = received.split('\r\n\r\n');
  expect(head).toMatch(/^HTTP\/1\.1 408 /);
  expect(head).toMatch(/\r\nX-Request-Id: [A-Za-z0-9-]+/i);
  expect(JSON.parse(body)).toEqual({ error: 'the request was not received in time', code: 'TIMEOUT' });
}

/**
 * Starts `run` now and returns its promise, already handled: a test awaits it later (and fails
 * with its error) while the other slow connections run at the same time.
 */
function begin<T>(run: () => Promise<T>): Promise<T> {
  const running = run();
  running.catch(() => undefined);
  return running;
}

/** Opens a connection, writes `first`, then trickles `rest`; resolves when the server closes it (at most withinMs). */
async function cutOff(url: string, first: string, rest: string, withinMs: number): Promise<{ after: number; received: string }> {
  const connection = await open(url);
  const start = Date.now();
  connection.socket.write(first);
  const stop = trickle(connection.socket, rest);
  try {
    const after = await connection.closed(start, withinMs);
    return { after, received: connection.received() };
  } finally {
    stop();
    connection.socket.destroy();
  }
}

for (const adapter of ADAPTERS) {
  describe(`the HTTP server (${adapter})`, () => {
    let mesh: Mesh;
    // The connections that wait for a timeout are all opened at once (each on its own socket), in
    // beforeAll; each test awaits and checks its own.
    let slowHeaders: Promise<{ after: number; received: string }>;
    let silent: Promise<number>;
    let slowBody: Promise<{ after: number; received: string }>;
    let idle: Promise<{ after: number; received: string }>;

    beforeAll(async () => {
      mesh = await startMesh('embedded', {
        rules: { test: { default: { rule: 'allow' } } },
        config: { http: { adapter, headersTimeout: HEADERS_TIMEOUT, requestTimeout: REQUEST_TIMEOUT, keepAliveTimeout: KEEP_ALIVE_TIMEOUT } },
      });
      slowHeaders = begin(() =>
        cutOff(mesh.url, 'POST /v1/api/demo/functions/test/echo HTTP/1.1\r\n', 'Content-Type: application/json\r\n'.repeat(10), HEADERS_TIMEOUT + SLACK),
      );
      silent = begin(async () => {
        const connection = await open(mesh.url);
        try {
          return await connection.closed(Date.now(), Math.max(HEADERS_TIMEOUT, KEEP_ALIVE_TIMEOUT) + SLACK);
        } finally {
          connection.socket.destroy();
        }
      });
      const body = '{"params":"' + 'x'.repeat(50) + '"}';
      slowBody = begin(() =>
        cutOff(
          mesh.url,
          `POST /v1/api/demo/functions/test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
          body,
          REQUEST_TIMEOUT + SLACK,
        ),
      );
      idle = begin(() =>
        cutOff(mesh.url, 'POST /v1/api/demo/functions/test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}', '', KEEP_ALIVE_TIMEOUT + SLACK),
      );
    });
    afterAll(async () => {
      await Promise.allSettled([slowHeaders, silent, slowBody, idle]);
      await mesh?.stop();
    });

    it('cuts off a client that sends its headers a byte per second, after headersTimeout, with 408', async () => {
      const { after, received } = await slowHeaders;
      expect(after).toBeGreaterThanOrEqual(HEADERS_TIMEOUT - 100);
      expectTimeoutAnswer(received);
    });

    it('cuts off a connection that sends nothing at all', async () => {
      await silent;
    });

    it('cuts off a client that sends its body a byte per second, after requestTimeout, with 408', async () => {
      const { after, received } = await slowBody;
      expect(after).toBeGreaterThanOrEqual(REQUEST_TIMEOUT - 100);
      expectTimeoutAnswer(received);
    });

    it('closes an idle keep-alive connection after keepAliveTimeout', async () => {
      const { received } = await idle;
      expect(received).toMatch(/^HTTP\/1\.1 200 /);
    });

    it('still serves a client that sends at a normal pace', async () => {
      const res = await mesh.call('/v1/api/demo/functions/test/echo', { params: 'ok' });
      expect(res).toMatchObject({ status: 200, body: { result: 'ok' } });
    });
  });

  describe(`host (${adapter})`, () => {
    let gateway: TestProcess | undefined;
    afterAll(() => gateway?.stop());

    it('binds HTTP to the configured host only', async () => {
      const port = await freePort();
      const config = writeConfig({
        id: 'demo',
        secret: JWT_SECRET,
        host: '127.0.0.2',
        port,
        http: { adapter },
        modules: { functions: { enabled: false } },
      });
      const started = await startGateway(config);
      gateway = started.process;
      expect(started.url).toBe(`http://127.0.0.2:${port}`);
      const there = await fetch(`http://127.0.0.2:${port}/v1/api/demo/functions/test/echo`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
      expect(there.status).toBe(404);
      await expect(fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(10_000) })).rejects.toThrow();
    });
  });
}

/** Resolves to the status of GET `url`, or to the error's text when the connection is refused. */
async function statusOf(url: string): Promise<number | string> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(10_000) })).status;
  } catch (error) {
    return String((error as Error & { cause?: { code?: string } }).cause?.code ?? error);
  }
}

for (const adapter of ADAPTERS) {
  describe(`the management port (${adapter})`, () => {
    const gateways: TestProcess[] = [];
    afterAll(async () => {
      for (const gateway of gateways) await gateway.stop();
    });

    const start = async (top: Record<string, unknown>, management: Record<string, unknown>) => {
      const port = await freePort();
      const started = await startGateway(
        writeConfig({ id: 'demo', secret: JWT_SECRET, port: await freePort(), ...top, http: { adapter, ...(top.http as object) }, management: { port, ...management }, modules: { functions: { enabled: false } } }),
      );
      gateways.push(started.process);
      return { port, printed: (await started.process.waitFor(/nest-mesh management: (\S+)/))[1] };
    };

    it('binds to `host` when management.host is not given', async () => {
      const { port, printed } = await start({ host: '127.0.0.2' }, {});
      expect(printed).toBe(`http://127.0.0.2:${port}`);
      expect(await statusOf(`http://127.0.0.2:${port}/livez`)).toBe(200);
      expect(await statusOf(`http://127.0.0.1:${port}/livez`)).toBe('ECONNREFUSED');
    });

    it('binds to management.host only', async () => {
      const { port, printed } = await start({ host: '127.0.0.1' }, { host: '127.0.0.2' });
      expect(printed).toBe(`http://127.0.0.2:${port}`);
      expect(await statusOf(`http://127.0.0.2:${port}/metrics`)).toBe(200);
      expect(await statusOf(`http://127.0.0.1:${port}/metrics`)).toBe('ECONNREFUSED');
    });

    it('cuts off slow clients with the timeouts of the API port', async () => {
      const { port } = await start(
        { host: '127.0.0.1', http: { headersTimeout: HEADERS_TIMEOUT, requestTimeout: REQUEST_TIMEOUT, keepAliveTimeout: KEEP_ALIVE_TIMEOUT } },
        {},
      );
      const url = `http://127.0.0.1:${port}`;
      const [slowHeaders, idle] = await Promise.all([
        cutOff(url, 'GET /livez HTTP/1.1\r\n', 'Accept: */*\r\n'.repeat(10), HEADERS_TIMEOUT + SLACK),
        cutOff(url, 'GET /livez HTTP/1.1\r\nHost: x\r\n\r\n', '', KEEP_ALIVE_TIMEOUT + SLACK),
      ]);
      expect(slowHeaders.after).toBeGreaterThanOrEqual(HEADERS_TIMEOUT - 100);
      expectTimeoutAnswer(slowHeaders.received);
      expect(idle.received).toMatch(/^HTTP\/1\.1 200 /);
    });
  });
}
