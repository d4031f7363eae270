import { gzipSync } from 'node:zlib';
import { ADAPTERS, BROKERS, Mesh, startMesh } from '../support/mesh';
import { describeWithNatsServer } from '../support/nats-server';
import { rawHttp, RawRequest } from '../support/raw-http';

/**
 * Bad input, one shared table run on every adapter and broker: each row must get exactly the
 * same status, code and message everywhere, in the `{"error", "code"}` shape, with X-Request-Id,
 * and never a stack trace in the gateway's log. Add a row for every new kind of bad input.
 */

/** Both brokers accept 1 MiB per message (max_payload); the gateway's body limit is set above it. */
const MAX_PAYLOAD = 1_048_576;
const BODY_LIMIT = 4 * MAX_PAYLOAD;

const fn = (func: string, service = 'test') => `/v1/api/demo/functions/${service}/${func}`;
const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
const utf8Body = (...parts: (string | number[])[]) => Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))));

interface BadInput extends Partial<RawRequest> {
  name: string;
  expect: { status: number; code: string; error: string | RegExp };
}

const badRequest = (error: string | RegExp) => ({ status: 400, code: 'BAD_REQUEST', error });
const NOT_UTF8 = badRequest('request body is not valid UTF-8');
const NOT_JSON = badRequest('request body is not valid JSON');
const TOO_DEEP = badRequest('params are nested deeper than 64 levels');
const BAD_URL = badRequest('the URL is not valid (malformed percent-encoding)');
const TOO_LARGE = { status: 413, code: 'PAYLOAD_TOO_LARGE', error: 'request body is over the size limit' };
const HEADERS_TOO_LARGE = { status: 431, code: 'BAD_REQUEST', error: 'request headers or URL are over the size limit' };
const NOT_JSON_TYPE = { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', error: 'request Content-Type must be application/json' };
const CALL_BODY = '{"params":{"n":1}}';

const BAD_INPUTS: BadInput[] = [
  // Depth (docs/config.md#limits: http.maxDepth, default 64)
  { name: 'params nested 65 levels', body: `{"params":${nested(65)}}`, expect: TOO_DEEP },
  { name: 'params nested 5,000 levels (a stack overflow if recursed)', body: `{"params":${nested(5000)}}`, expect: TOO_DEEP },
  { name: 'a body that is only 100,000 open brackets', body: '['.repeat(100_000), expect: TOO_DEEP },
  // Not JSON, not an object
  { name: 'truncated JSON', body: '{"params":', expect: NOT_JSON },
  { name: 'JSON with a trailing comma', body: '{"params":1,}', expect: NOT_JSON },
  { name: 'a JSON array body', body: '[1,2]', expect: badRequest('request body must be a JSON object') },
  { name: 'a JSON string body', body: '"params"', expect: badRequest('request body must be a JSON object') },
  { name: 'timeout that is not an integer', body: '{"timeout":1.5}', expect: badRequest(/^timeout must be an integer from 1 to \d+/) },
  // Invalid UTF-8 inside JSON strings: refused, never replaced by U+FFFD
  { name: 'bytes 0xFF 0xFE in a string', body: utf8Body('{"params":"a', [0xff, 0xfe], '"}'), expect: NOT_UTF8 },
  { name: 'an overlong encoding of "/"', body: utf8Body('{"params":"', [0xc0, 0xaf], '"}'), expect: NOT_UTF8 },
  { name: 'a UTF-16 surrogate encoded as UTF-8', body: utf8Body('{"params":"', [0xed, 0xa0, 0x80], '"}'), expect: NOT_UTF8 },
  { name: 'a truncated multi-byte sequence', body: utf8Body('{"params":"', [0xe2, 0x82], '"}'), expect: NOT_UTF8 },
  // Size: the HTTP limit, and the broker's max_payload below it
  { name: 'a body over http.bodyLimit', body: `{"params":"${'x'.repeat(BODY_LIMIT)}"}`, expect: TOO_LARGE },
  { name: 'a body within http.bodyLimit but over the broker max_payload', body: `{"params":"${'x'.repeat(2 * MAX_PAYLOAD)}"}`, expect: TOO_LARGE },
  {
    name: 'a body within max_payload whose call (params and headers) is not',
    body: `{"params":"${'x'.repeat(MAX_PAYLOAD - 40)}"}`,
    expect: { status: 413, code: 'PAYLOAD_TOO_LARGE', error: 'the call to test.echo is larger than the broker accepts (max_payload 1048576 bytes)' },
  },
  {
    name: 'a Content-Length over the limit, before any body',
    raw: `POST ${fn('echo')} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${10 * BODY_LIMIT}\r\nConnection: close\r\n\r\n`,
    expect: TOO_LARGE,
  },
  { name: 'a gzip-compressed body', headers: { 'Content-Encoding': 'gzip' }, body: gzipSync('{"params":1}'), expect: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', error: 'request body must not be compressed (Content-Encoding)' } },
  // A POST that is not declared JSON (docs/security.md#browsers): what a page on another origin can send without a preflight
  { name: 'a JSON body sent as text/plain', headers: { 'Content-Type': 'text/plain' }, body: CALL_BODY, expect: NOT_JSON_TYPE },
  { name: "a JSON body sent as fetch's no-cors text/plain;charset=UTF-8", headers: { 'Content-Type': 'text/plain;charset=UTF-8' }, body: CALL_BODY, expect: NOT_JSON_TYPE },
  { name: 'an HTML form (urlencoded)', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'params=1', expect: NOT_JSON_TYPE },
  { name: 'an HTML form (multipart)', headers: { 'Content-Type': 'multipart/form-data; boundary=b' }, body: '--b\r\nContent-Disposition: form-data; name="params"\r\n\r\n1\r\n--b--\r\n', expect: NOT_JSON_TYPE },
  { name: 'a JSON body without Content-Type', headers: { 'Content-Type': undefined }, body: CALL_BODY, expect: NOT_JSON_TYPE },
  { name: 'no body and no Content-Type (a bodiless no-cors fetch)', headers: { 'Content-Type': undefined }, expect: NOT_JSON_TYPE },
  { name: 'an empty text/plain body', headers: { 'Content-Type': 'text/plain' }, expect: NOT_JSON_TYPE },
  { name: 'a Content-Type that is not a media type', headers: { 'Content-Type': 'nonsense' }, body: CALL_BODY, expect: NOT_JSON_TYPE },
  { name: 'text/json', headers: { 'Content-Type': 'text/json' }, body: CALL_BODY, expect: NOT_JSON_TYPE },
  { name: 'a text/plain body over the limit (the type is checked first)', headers: { 'Content-Type': 'text/plain' }, body: `{"params":"${'x'.repeat(BODY_LIMIT)}"}`, expect: NOT_JSON_TYPE },
  { name: 'a compressed text/plain body', headers: { 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip' }, body: gzipSync(CALL_BODY), expect: NOT_JSON_TYPE },
  { name: 'text/plain to an unknown project', path: '/v1/api/other/functions/test/echo', headers: { 'Content-Type': 'text/plain' }, body: CALL_BODY, expect: NOT_JSON_TYPE },
  { name: 'text/plain to an unknown route', path: '/v1/api/demo/nothing', headers: { 'Content-Type': 'text/plain' }, body: CALL_BODY, expect: NOT_JSON_TYPE },
  // URLs and headers
  { name: 'a malformed percent escape in the function name', path: fn('%E0%A4%A'), body: '{}', expect: BAD_URL },
  { name: 'a bad percent escape in the project', path: '/v1/api/%zz/functions/test/echo', body: '{}', expect: BAD_URL },
  { name: 'a lone % in an unknown path', path: '/nowhere/%', body: '{}', expect: BAD_URL },
  { name: 'a header of 64 KiB', headers: { 'X-Padding': 'a'.repeat(64 * 1024) }, body: '{}', expect: HEADERS_TOO_LARGE },
  { name: 'a URL of 100 KB', path: `${fn('echo')}?q=${'a'.repeat(100_000)}`, body: '{}', expect: HEADERS_TOO_LARGE },
  { name: 'bytes that are not HTTP', raw: 'HELLO / WORLD\r\n\r\n', expect: badRequest('the request is not valid HTTP') },
  {
    name: 'two different Content-Length headers',
    raw: `POST ${fn('echo')} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
    expect: badRequest('the request is not valid HTTP'),
  },
  { name: 'a method other than POST', method: 'PUT', body: '{}', expect: { status: 404, code: 'NOT_FOUND', error: `Cannot PUT ${fn('echo')}` } },
  { name: 'an unknown route', path: '/v1/api/demo/nothing', body: '{}', expect: { status: 404, code: 'NOT_FOUND', error: 'Cannot POST /v1/api/demo/nothing' } },
  // Routes are case-sensitive on both adapters
  { name: 'the route in capitals (/V1/...)', path: '/V1/api/demo/functions/test/echo', body: '{}', expect: { status: 404, code: 'NOT_FOUND', error: 'Cannot POST /V1/api/demo/functions/test/echo' } },
  { name: 'the route with one segment in capitals', path: '/v1/api/demo/Functions/test/echo', body: '{}', expect: { status: 404, code: 'NOT_FOUND', error: 'Cannot POST /v1/api/demo/Functions/test/echo' } },
  { name: 'an unknown project', path: '/v1/api/other/functions/test/echo', body: '{}', expect: { status: 404, code: 'PROJECT_NOT_FOUND', error: 'project "other" not found' } },
  { name: 'a function name of 65 characters', path: fn('x'.repeat(65)), body: '{}', expect: badRequest('service and function names must match ^[A-Za-z0-9_-]{1,64}$') },
  { name: 'a function name of 300 characters', path: fn('x'.repeat(300)), body: '{}', expect: badRequest('service and function names must match ^[A-Za-z0-9_-]{1,64}$') },
  { name: 'a service name with an encoded dot', path: fn('echo', 'te%2Est'), body: '{}', expect: badRequest('service and function names must match ^[A-Za-z0-9_-]{1,64}$') },
];

const variants = BROKERS.flatMap((kind) => ADAPTERS.map((adapter) => ({ kind, adapter })));

for (const { kind, adapter } of variants) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;

  describeFor(`bad input (${kind}, ${adapter})`, () => {
    let mesh: Mesh;

    beforeAll(async () => {
      mesh = await startMesh(kind, {
        rules: { test: { default: { rule: 'allow' } } },
        config: { http: { adapter, bodyLimit: BODY_LIMIT } },
      });
    });
    afterAll(() => mesh?.stop());

    it.each(BAD_INPUTS)('$name', async ({ name: _name, expect: expected, ...request }) => {
      const res = await rawHttp(mesh.url, { path: fn('echo'), ...request });
      expect({ status: res.status, code: res.body?.code }).toEqual({ status: expected.status, code: expected.code });
      expect(Object.keys(res.body).sort()).toEqual(['code', 'error']);
      if (typeof expected.error === 'string') expect(res.body.error).toBe(expected.error);
      else expect(res.body.error).toMatch(expected.error);
      expect(res.headers['x-request-id']).toMatch(/^[A-Za-z0-9._-]{1,128}$/);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    });

    it('accepts application/json with parameters, in any case, and application/<x>+json', async () => {
      for (const type of ['application/json; charset=utf-8', 'Application/JSON', 'application/vnd.api+json', 'application/merge-patch+json; charset=utf-8']) {
        const res = await rawHttp(mesh.url, { path: fn('echo'), headers: { 'Content-Type': type }, body: CALL_BODY });
        expect({ type, status: res.status, body: res.body }).toEqual({ type, status: 200, body: { result: { n: 1 } } });
      }
      const empty = await rawHttp(mesh.url, { path: fn('echo') });
      expect({ status: empty.status, body: empty.body }).toEqual({ status: 200, body: { result: null } });
    });

    it('accepts params nested exactly 64 levels, and passes them on unchanged', async () => {
      const res = await rawHttp(mesh.url, { path: fn('echo'), body: `{"params":${nested(64)}}` });
      expect(res.status).toBe(200);
      expect(res.text).toBe(`{"result":${nested(64)}}`);
    });

    it('passes valid UTF-8 (and escaped lone surrogates) through unchanged', async () => {
      const res = await rawHttp(mesh.url, { path: fn('echo'), body: '{"params":"héllo € 𝄞 \\ud800"}' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ result: 'héllo € 𝄞 \ud800' });
    });

    it('answers a result larger than the broker accepts with 500 RESULT_TOO_LARGE', async () => {
      const res = await rawHttp(mesh.url, { path: fn('big'), body: JSON.stringify({ params: { bytes: 2_000_000 } }) });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({
        code: 'RESULT_TOO_LARGE',
        error: 'the result of test.big (2000002 bytes) is larger than the broker accepts (max_payload 1048576 bytes)',
      });
      const fits = await rawHttp(mesh.url, { path: fn('big'), body: JSON.stringify({ params: { bytes: 1000 } }) });
      expect(fits.status).toBe(200);
    });

    it('warned at start-up that http.bodyLimit is over what the broker accepts', () => {
      expect(mesh.gateway.output).toContain(`http.bodyLimit (${BODY_LIMIT} bytes) is over the broker's max_payload (${MAX_PAYLOAD} bytes)`);
    });

    it('logged no stack trace for any of it', () => {
      expect(mesh.gateway.output).not.toMatch(/RangeError|Maximum call stack|\n\s+at .+:\d+:\d+\)?\n/);
      expect(mesh.gateway.output).not.toMatch(/ERROR/);
    });
  });
}
