import { MeshError } from '../mesh-error';
import { nestEnd, nestError, nestFailure, nestItem, nestRequest, nestRequestOf, nestValue, readNestAnswer } from './nest-envelope';

const text = (data: Uint8Array) => JSON.parse(Buffer.from(data).toString('utf8'));
const bytes = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe("Nest's envelope", () => {
  it("recognises ClientProxy.send's and emit's envelope of the subject, and nothing else", () => {
    expect(nestRequestOf({ pattern: 'mesh.a.b', data: { x: 1 }, id: 'abc' }, 'mesh.a.b')).toEqual({ pattern: 'mesh.a.b', data: { x: 1 }, id: 'abc' });
    expect(nestRequestOf({ pattern: 'mesh.a.b', data: null }, 'mesh.a.b')).toEqual({ pattern: 'mesh.a.b', data: null });
    expect(nestRequestOf({ pattern: 'mesh.a.c', data: 1, id: 'abc' }, 'mesh.a.b')).toBeUndefined();
    expect(nestRequestOf({ pattern: 'mesh.a.b', id: 'abc' }, 'mesh.a.b')).toBeUndefined();
    expect(nestRequestOf({ pattern: 'mesh.a.b', data: 1, id: 'abc', more: true }, 'mesh.a.b')).toBeUndefined();
    for (const params of [null, 1, 'mesh.a.b', [], { data: 1 }]) expect(nestRequestOf(params, 'mesh.a.b')).toBeUndefined();
  });

  it('writes what ServerNats answers: a value, items then the end, an error as {status, code, message}', () => {
    expect(text(nestValue('i1', { a: 1 }))).toEqual({ response: { a: 1 }, isDisposed: true, id: 'i1' });
    expect(text(nestValue('i1', undefined))).toEqual({ response: null, isDisposed: true, id: 'i1' });
    expect(text(nestItem('i1', 2))).toEqual({ response: 2, id: 'i1' });
    expect(text(nestEnd('i1'))).toEqual({ isDisposed: true, id: 'i1' });
    expect(text(nestError('i1', new MeshError(404, 'no such user', 'NO_USER')))).toEqual({
      err: { status: 404, code: 'NO_USER', message: 'no such user' },
      isDisposed: true,
      id: 'i1',
    });
    expect(text(nestRequest({ cmd: 'sum' }, [1, 2], 'i2'))).toEqual({ pattern: { cmd: 'sum' }, data: [1, 2], id: 'i2' });
  });

  it('reads answers as ClientNats reads them: JSON without err, response or isDisposed is the whole answer', () => {
    expect(readNestAnswer(bytes({ response: 1, id: 'x' }))).toEqual({ response: 1, id: 'x' });
    expect(readNestAnswer(bytes({ isDisposed: true, id: 'x' }))).toEqual({ isDisposed: true, id: 'x' });
    expect(readNestAnswer(bytes({ err: { status: 400 }, isDisposed: true }))).toEqual({ err: { status: 400 }, isDisposed: true });
    expect(readNestAnswer(bytes({ other: 1 }))).toEqual({ response: { other: 1 }, isDisposed: true });
    expect(readNestAnswer(bytes('null'))).toEqual({ response: null, isDisposed: true });
    expect(readNestAnswer(new Uint8Array(0))).toBeUndefined();
    expect(readNestAnswer(bytes('not json'))).toBeUndefined();
  });

  it("maps a Transport.NATS service's err by the table of errors", () => {
    const failure = (err: unknown) => {
      const { status, code, message } = nestFailure(err, 'legacy', 'get');
      return { status, code, message };
    };
    // RpcException({status, message}) and an HttpException's response passed to it
    expect(failure({ status: 404, message: 'no such user' })).toEqual({ status: 404, code: 'NOT_FOUND', message: 'no such user' });
    expect(failure({ statusCode: 409, code: 'TAKEN', message: 'dup' })).toEqual({ status: 409, code: 'TAKEN', message: 'dup' });
    expect(failure({ statusCode: 400, message: ['a must be a string', 'b too'], error: 'Bad Request' })).toEqual({ status: 400, code: 'BAD_REQUEST', message: 'a must be a string; b too' });
    // Nest's rendering of anything else (an HttpException or an Error thrown in a Transport.NATS service)
    expect(failure({ status: 'error', message: 'Internal server error' })).toEqual({ status: 500, code: 'INTERNAL', message: 'function legacy.get failed' });
    // RpcException(string), and a guard's denial
    expect(failure({ status: 'error', message: 'out of stock' })).toEqual({ status: 500, code: 'INTERNAL', message: 'out of stock' });
    expect(failure({ status: 'error', message: 'Forbidden resource' })).toEqual({ status: 403, code: 'FORBIDDEN', message: 'Forbidden resource' });
    expect(failure({ status: 700, message: 'odd' })).toEqual({ status: 500, code: 'INTERNAL', message: 'odd' });
    expect(failure('There is no matching message handler defined in the remote service.')).toEqual({ status: 500, code: 'INTERNAL', message: 'function legacy.get failed' });
  });
});
