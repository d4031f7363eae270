import { MeshError } from 'nest-mesh';
import { BodyLimit } from './body-limit';
import { RequestBodyDecoder, requireJsonPost } from './request-body';

function decoder(bodyLimit = 1000, brokerLimit?: number, maxDepth = 3): RequestBodyDecoder {
  const connection = brokerLimit === undefined ? undefined : { current: { info: { max_payload: brokerLimit } } };
  return new RequestBodyDecoder(maxDepth, new BodyLimit(bodyLimit, connection as never));
}

function failure(run: () => unknown): { status: number; code: string; message: string } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(MeshError);
    const { status, code, message } = error as MeshError;
    return { status, code, message };
  }
  throw new Error('expected a MeshError');
}

describe('RequestBodyDecoder', () => {
  it('decodes JSON, and gives undefined for an empty body', () => {
    expect(decoder().decode(Buffer.from('{"params":{"a":[1,"é"]}}'))).toEqual({ params: { a: [1, 'é'] } });
    expect(decoder().decode(Buffer.alloc(0))).toBeUndefined();
    expect(decoder().decode(undefined)).toBeUndefined();
  });

  it('refuses params nested deeper than maxDepth (the body is one level more)', () => {
    expect(decoder().decode(Buffer.from('{"params":[[[1]]]}'))).toEqual({ params: [[[1]]] });
    expect(failure(() => decoder().decode(Buffer.from('{"params":[[[[1]]]]}')))).toEqual({ status: 400, code: 'BAD_REQUEST', message: 'params are nested deeper than 3 levels' });
  });

  it('refuses invalid UTF-8 instead of replacing it', () => {
    const body = Buffer.concat([Buffer.from('{"params":"'), Buffer.from([0xc3]), Buffer.from('"}')]);
    expect(failure(() => decoder().decode(body))).toMatchObject({ status: 400, message: 'request body is not valid UTF-8' });
  });

  it('refuses text that is not JSON', () => {
    expect(failure(() => decoder().decode(Buffer.from('{"params":')))).toMatchObject({ status: 400, message: 'request body is not valid JSON' });
  });

  it('refuses a compressed body, and reads an identity one', () => {
    expect(failure(() => decoder().decode(Buffer.from('{}'), 'gzip'))).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(decoder().decode(Buffer.from('{}'), 'Identity')).toEqual({});
  });

  it("takes the broker's max_payload as the limit when it is below bodyLimit", () => {
    const body = Buffer.from(`{"params":"${'x'.repeat(100)}"}`);
    expect(decoder(1000, 1000).decode(body)).toBeDefined();
    expect(decoder(1000, undefined).decode(body)).toBeDefined();
    expect(failure(() => decoder(1000, 100).decode(body))).toEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'request body is over the size limit' });
  });

  const json = (contentLength?: string) => ({ 'content-type': 'application/json', 'content-length': contentLength });

  it('refuses a Content-Length over the limit before the body is read', () => {
    expect(() => decoder(1000, 500).checkHeaders('POST', json('500'))).not.toThrow();
    expect(() => decoder(1000, 500).checkHeaders('POST', json())).not.toThrow();
    expect(failure(() => decoder(1000, 500).checkHeaders('POST', json('501')))).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect(failure(() => decoder(1000).checkHeaders('POST', json('1001')))).toMatchObject({ status: 413 });
  });

  it('refuses a POST whose Content-Type is not JSON before the body is read, the type first', () => {
    const notJson = { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'request Content-Type must be application/json' };
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', '']) {
      expect(failure(() => decoder().checkHeaders('POST', { 'content-type': type, 'content-length': '2' }))).toEqual(notJson);
    }
    expect(failure(() => decoder(1000).checkHeaders('POST', { 'content-type': 'text/plain', 'content-length': '5000' }))).toEqual(notJson);
    expect(failure(() => decoder().checkHeaders('POST', { 'content-length': '2' }))).toEqual(notJson);
    expect(failure(() => decoder().checkHeaders('POST', { 'transfer-encoding': 'chunked' }))).toEqual(notJson);
    expect(failure(() => decoder().checkHeaders('POST', { 'content-type': 'text/plain', 'content-length': '0' }))).toEqual(notJson);
  });

  it('passes a POST with neither a Content-Type nor a body, and other methods whatever their type', () => {
    expect(() => decoder().checkHeaders('POST', {})).not.toThrow();
    expect(() => decoder().checkHeaders('POST', { 'content-length': '0' })).not.toThrow();
    expect(() => decoder().checkHeaders('GET', { 'content-type': 'text/plain', 'content-length': '2' })).not.toThrow();
  });
});

describe('requireJsonPost', () => {
  it('refuses a request without Content-Type (the body reader passed it only because it had no body)', () => {
    expect(failure(() => requireJsonPost({}))).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(() => requireJsonPost({ 'content-type': 'application/json' })).not.toThrow();
  });
});
