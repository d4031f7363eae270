import { connect } from 'node:net';

const LARGE_BODY = 64 * 1024;
const ANSWER_FROM_HEADERS_MS = 500;

export interface RawRequest {
  method?: string;
  path: string;
  /** Added to the request; a `Content-Type` here replaces `application/json`, `undefined` leaves the header out. */
  headers?: Record<string, string | undefined>;
  body?: string | Buffer;
  /** Sent as is instead of a request built from the fields above. */
  raw?: string | Buffer;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The body as JSON, or the text when it is not JSON. */
  body: any;
}

/**
 * One HTTP/1.1 request over a plain socket (`Connection: close`), with full control of the
 * bytes: malformed URLs, oversized headers and invalid UTF-8 that fetch would refuse or fix.
 * Resolves with the parsed answer once the server closes; rejects after timeoutMs.
 */
export function rawHttp(baseUrl: string, request: RawRequest, timeoutMs = 30_000): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  const body = request.body === undefined ? Buffer.alloc(0) : Buffer.from(request.body);
  const headers: Record<string, string | undefined> = { 'Content-Type': 'application/json', 'Content-Length': String(body.length) };
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    const same = Object.keys(headers).find((known) => known.toLowerCase() === name.toLowerCase());
    if (same !== undefined) delete headers[same];
    headers[name] = value;
  }
  const head =
    request.raw !== undefined
      ? Buffer.from(request.raw)
      : Buffer.from(
          `${request.method ?? 'POST'} ${request.path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n` +
            Object.entries(headers)
              .filter(([, value]) => value !== undefined)
              .map(([name, value]) => `${name}: ${value}\r\n`)
              .join('') +
            '\r\n',
        );
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    };
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', finish);
    // The server may close while we still write (an oversized header): what it answered counts.
    socket.on('error', (error) => (chunks.length > 0 ? finish() : (clearTimeout(timer), reject(error))));
    if (body.length < LARGE_BODY) return void socket.write(Buffer.concat([head, body]));
    socket.write(head);
    // A server may answer from the headers alone (Content-Length over its limit) and close: a body
    // written into that close fails the socket before the answer is read. So a large body waits a
    // moment for such an answer, and is not sent when one came.
    const send = setTimeout(() => chunks.length === 0 && socket.write(body), ANSWER_FROM_HEADERS_MS);
    socket.once('close', () => clearTimeout(send));
  });
}

function parseResponse(data: Buffer): RawResponse {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`not an HTTP response: ${JSON.stringify(data.toString('latin1').slice(0, 200))}`);
  const [statusLine, ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let payload = data.subarray(end + 4);
  if (headers['transfer-encoding'] === 'chunked') payload = unchunk(payload);
  const text = payload.toString('utf8');
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the text: the assertion shows it
  }
  return { status: Number(statusLine.split(' ')[1]), headers, text, body };
}

function unchunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!size) return Buffer.concat(parts);
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
