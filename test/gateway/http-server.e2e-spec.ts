import { connect, Socket } from 'node:net';
import { freePort } from '../support/free-port';
import { ADAPTERS, JWT_SECRET, Mesh, startGateway, startMesh } from '../support/mesh';
import { writeConfig } from '../support/config-file';
import { TestProcess } from '../support/child';

/**
 * The gateway's HTTP server on both adapters: slow clients are cut off by http.headersTimeout /
 * requestTimeout (with a contract answer), idle keep-alive connections by keepAliveTimeout, and
 * `host` chooses the address it binds.
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

for (const adapter of ADAPTERS) {
  describe(`the HTTP server (${adapter})`, () => {
    let mesh: Mesh;

    beforeAll(async () => {
      mesh = await startMesh('embedded', {
        rules: { test: { default: { rule: 'allow' } } },
        config: { http: { adapter, headersTimeout: HEADERS_TIMEOUT, requestTimeout: REQUEST_TIMEOUT, keepAliveTimeout: KEEP_ALIVE_TIMEOUT } },
      });
    });
    afterAll(() => mesh?.stop());

    it('cuts off a client that sends its headers a byte per second, after headersTimeout, with 408', async () => {
      const connection = await open(mesh.url);
      const start = Date.now();
      connection.socket.write('POST /v1/api/demo/functions/test/echo HTTP/1.1\r\n');
      const stop = trickle(connection.socket, 'Content-Type: application/json\r\n'.repeat(10));
      try {
        const after = await connection.closed(start, HEADERS_TIMEOUT + SLACK);
        expect(after).toBeGreaterThanOrEqual(HEADERS_TIMEOUT - 100);
        expectTimeoutAnswer(connection.received());
      } finally {
        stop();
        connection.socket.destroy();
      }
    });

    it('cuts off a connection that sends nothing at all', async () => {
      const connection = await open(mesh.url);
      const start = Date.now();
      try {
        await connection.closed(start, Math.max(HEADERS_TIMEOUT, KEEP_ALIVE_TIMEOUT) + SLACK);
      } finally {
        connection.socket.destroy();
      }
    });

    it('cuts off a client that sends its body a byte per second, after requestTimeout, with 408', async () => {
      const connection = await open(mesh.url);
      const start = Date.now();
      const body = '{"params":"' + 'x'.repeat(50) + '"}';
      connection.socket.write(
        `POST /v1/api/demo/functions/test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      );
      const stop = trickle(connection.socket, body);
      try {
        const after = await connection.closed(start, REQUEST_TIMEOUT + SLACK);
        expect(after).toBeGreaterThanOrEqual(REQUEST_TIMEOUT - 100);
        expectTimeoutAnswer(connection.received());
      } finally {
        stop();
        connection.socket.destroy();
      }
    });

    it('closes an idle keep-alive connection after keepAliveTimeout', async () => {
      const connection = await open(mesh.url);
      connection.socket.write('POST /v1/api/demo/functions/test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}');
      const answered = Date.now();
      try {
        await connection.closed(answered, KEEP_ALIVE_TIMEOUT + SLACK);
        expect(connection.received()).toMatch(/^HTTP\/1\.1 200 /);
      } finally {
        connection.socket.destroy();
      }
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
