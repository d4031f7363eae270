import { RpcException } from '@nestjs/microservices';
import { MeshError } from './mesh-error';

describe('MeshError', () => {
  it('keeps a status from 400 to 599 and a code', () => {
    const error = new MeshError(409, 'taken', 'EMAIL_TAKEN');
    expect(error).toMatchObject({ status: 409, message: 'taken', code: 'EMAIL_TAKEN', name: 'MeshError' });
    expect(error).toBeInstanceOf(Error);
    expect(JSON.stringify(error)).toBe('{"error":"taken","code":"EMAIL_TAKEN"}');
  });

  it("is Nest's RpcException whose error is {status, code, message} (what a Transport.NATS caller receives)", () => {
    const error = new MeshError(404, 'no such user');
    expect(error).toBeInstanceOf(RpcException);
    expect(error.getError()).toEqual({ status: 404, code: 'NOT_FOUND', message: 'no such user' });
    expect(new MeshError(7, 'x', 'bad code!').getError()).toEqual({ status: 500, code: 'INTERNAL', message: 'x' });
  });

  it('turns a status out of range into 500 INTERNAL', () => {
    for (const status of [200, 399, 600, 4.5, NaN]) expect(new MeshError(status, 'x')).toMatchObject({ status: 500, code: 'INTERNAL' });
  });

  it('gives the conventional code when none (or a malformed one) is given', () => {
    expect(new MeshError(404, 'x').code).toBe('NOT_FOUND');
    expect(new MeshError(400, 'x', 'bad code!').code).toBe('BAD_REQUEST');
  });
});
