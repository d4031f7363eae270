/**
 * (e) the floor cost of an HTTP to NATS hop: a bare `node:http` server that reads `{"params"}`,
 * makes `nc.request(SUBJECT, JSON(params))` and answers `{"result": <reply>}` (as the gateway does,
 * without names, rules, headers or Nest). Env PORT, NATS_URL, SUBJECT. Prints "ready <url>".
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { connect, NatsConnection } from 'nats';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function answer(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}

function handle(nc: NatsConnection, subject: string, request: IncomingMessage, response: ServerResponse): void {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    let params: unknown;
    try {
      params = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { params?: unknown }).params ?? null;
    } catch {
      return answer(response, 400, '{"error":"body is not JSON","code":"BAD_REQUEST"}');
    }
    nc.request(subject, encoder.encode(JSON.stringify(params)), { timeout: 10_000 }).then(
      (reply) => answer(response, 200, `{"result":${decoder.decode(reply.data)}}`),
      (error: Error) => answer(response, 503, JSON.stringify({ error: error.message, code: 'SERVICE_UNAVAILABLE' })),
    );
  });
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT);
  const subject = process.env.SUBJECT ?? 'bench.echo';
  const nc = await connect({ servers: process.env.NATS_URL, name: 'bench-http' });
  const server = createServer({ keepAliveTimeout: 60_000 }, (request, response) => handle(nc, subject, request, response));
  server.listen(port, '127.0.0.1', () => process.stdout.write(`ready http://127.0.0.1:${port}\n`));
  const stop = () => {
    server.close();
    server.closeAllConnections();
    void nc.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: Error) => {
  process.stderr.write(`node http: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
