import fastify, { FastifyInstance } from 'fastify';
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { connect } from 'node:net';
import { BodyLimit } from './body-limit';
import { readFastifyBodies } from './body-parsers';
import { RequestBodyDecoder } from './request-body';

describe('readFastifyBodies', () => {
  const storage = new AsyncLocalStorage<string>();
  let app: FastifyInstance;

  beforeEach(async () => {
    app = fastify();
    readFastifyBodies(app, new RequestBodyDecoder(3, new BodyLimit(64)));
    // The rest of the request runs within a store, as a tracing hook would run it.
    app.addHook('onRequest', (request, _reply, done) => storage.run(String(request.headers['x-store']), done));
    app.setErrorHandler((error: Error & { status?: number }, _request, reply) => {
      void reply.status(error.status ?? 500).send({ error: error.message });
    });
    app.post('/echo', async (request) => ({ body: request.body, store: storage.getStore() ?? null }));
    await app.ready();
  });

  afterEach(() => app.close());

  const post = (payload: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/echo', payload, headers: { 'content-type': 'application/json', 'x-store': 'call-1', ...headers } });

  it('hands the decoded body to the route, for any JSON Content-Type', async () => {
    for (const type of ['application/json', 'application/json; charset=utf-8', 'application/vnd.api+json']) {
      const reply = await post('{"params":{"a":[1,"é"]}}', { 'content-type': type });
      expect(reply.statusCode).toBe(200);
      expect(reply.json().body).toEqual({ params: { a: [1, 'é'] } });
    }
  });

  it('refuses a POST whose Content-Type is not JSON, before the route runs', async () => {
    const reply = await post('{"params":1}', { 'content-type': 'text/plain' });
    expect(reply.statusCode).toBe(415);
    expect(reply.json().error).toBe('request Content-Type must be application/json');
  });

  it('runs the route in the async context the request had when its body began', async () => {
    // Over a real socket, the body sent after the head: it arrives in a later read, outside that context.
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = new URL(address);
    const body = '{"params":1}';
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      socket.write(`POST /echo HTTP/1.1\r\nhost: x\r\nx-store: call-2\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`);
      setTimeout(() => socket.write(body), 50);
    });
    expect(answer).toMatch(/^HTTP\/1.1 200/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({ body: { params: 1 }, store: 'call-2' });
  });

  it('does not wrap each request in AsyncResource.bind (its Node 20 deprecation getters cost CPU per call)', async () => {
    const bind = jest.spyOn(AsyncResource.prototype, 'bind');
    try {
      expect((await post('{"params":1}')).statusCode).toBe(200);
      expect(bind).not.toHaveBeenCalled();
    } finally {
      bind.mockRestore();
    }
  });

  it('refuses a body over the limit, by its Content-Length or by what arrives, and closes the connection', async () => {
    const big = `{"params":"${'x'.repeat(80)}"}`;
    const declared = await post(big);
    expect(declared.statusCode).toBe(413);
    expect(declared.headers.connection).toBe('close');
    const chunked = await post(big, { 'transfer-encoding': 'chunked' });
    expect(chunked.statusCode).toBe(413);
  });

  it('answers a body the decoder refuses with its error', async () => {
    const reply = await post('{"params":');
    expect(reply.statusCode).toBe(400);
    expect(reply.json().error).toBe('request body is not valid JSON');
  });
});
