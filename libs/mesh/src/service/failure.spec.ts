import { BadRequestException, ConflictException, ForbiddenException, HttpException, LoggerService, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { failureOf } from './failure';
import { MeshError } from '../mesh-error';

/** The table of docs/getting-started.md#errors, row by row, on the exception itself. */
describe('failureOf', () => {
  const logged: string[] = [];
  const logger = { error: (message: string) => logged.push(message) } as unknown as LoggerService;
  const failure = (error: unknown) => {
    const { status, code, message } = failureOf(error, 'users', 'create', logger, undefined);
    return { status, code, message };
  };
  beforeEach(() => (logged.length = 0));

  it('passes a MeshError through', () => {
    const error = new MeshError(422, 'no', 'NOPE');
    expect(failureOf(error, 's', 'f', logger)).toBe(error);
    expect(logged).toEqual([]);
  });

  it("keeps an HttpException's status and message(s): ValidationPipe's 400, guards' 401...", () => {
    expect(failure(new BadRequestException(['email must be an email', 'age must be a number']))).toEqual({
      status: 400,
      code: 'BAD_REQUEST',
      message: 'email must be an email; age must be a number',
    });
    expect(failure(new ConflictException('taken'))).toEqual({ status: 409, code: 'CONFLICT', message: 'taken' });
    expect(failure(new NotFoundException())).toEqual({ status: 404, code: 'NOT_FOUND', message: 'Not Found' });
    expect(failure(new UnauthorizedException('no token'))).toEqual({ status: 401, code: 'UNAUTHENTICATED', message: 'no token' });
    expect(failure(new ForbiddenException())).toEqual({ status: 403, code: 'FORBIDDEN', message: 'Forbidden' });
    expect(failure(new HttpException({ code: 'MY_CODE', message: 'bad thing' }, 422))).toEqual({ status: 422, code: 'MY_CODE', message: 'bad thing' });
    expect(failure(new HttpException({ code: 'not a code', message: 'bad thing' }, 422))).toEqual({ status: 422, code: 'UNPROCESSABLE_ENTITY', message: 'bad thing' });
    expect(failure(new HttpException('moved', 302))).toEqual({ status: 500, code: 'INTERNAL', message: 'moved' });
    expect(logged).toEqual([]);
  });

  it("maps RpcException(object) by its status or statusCode, code and message", () => {
    expect(failure(new RpcException({ status: 404, message: 'no such user' }))).toEqual({ status: 404, code: 'NOT_FOUND', message: 'no such user' });
    expect(failure(new RpcException({ statusCode: 409, message: 'dup', code: 'EMAIL_TAKEN' }))).toEqual({ status: 409, code: 'EMAIL_TAKEN', message: 'dup' });
    expect(failure(new RpcException({ message: 'plain' }))).toEqual({ status: 500, code: 'INTERNAL', message: 'plain' });
    expect(failure(new RpcException({ status: 200, message: ['a', 'b'] }))).toEqual({ status: 500, code: 'INTERNAL', message: 'a; b' });
    expect(failure(new RpcException({ status: 400 }))).toEqual({ status: 400, code: 'BAD_REQUEST', message: 'function users.create failed' });
    expect(logged).toEqual([]);
  });

  it("maps RpcException(string) to 500 with that message, and a guard's denial to 403", () => {
    expect(failure(new RpcException('msg'))).toEqual({ status: 500, code: 'INTERNAL', message: 'msg' });
    expect(failure(new RpcException('Forbidden resource'))).toEqual({ status: 403, code: 'FORBIDDEN', message: 'Forbidden resource' });
    expect(logged).toEqual([]);
  });

  it("reads Nest's own renderings and plain objects with a status, when that is all there is", () => {
    expect(failure({ status: 'error', message: 'Forbidden resource' })).toEqual({ status: 403, code: 'FORBIDDEN', message: 'Forbidden resource' });
    expect(failure({ status: 'error', message: 'said no' })).toEqual({ status: 500, code: 'INTERNAL', message: 'said no' });
    expect(failure({ status: 404, message: 'gone', code: 'GONE_AWAY' })).toEqual({ status: 404, code: 'GONE_AWAY', message: 'gone' });
    expect(logged).toEqual([]);
    // Nest rendered an unknown exception and logged it already: not logged twice.
    expect(failure({ status: 'error', message: 'Internal server error' })).toEqual({ status: 500, code: 'INTERNAL', message: 'function users.create failed' });
    expect(logged).toEqual([]);
  });

  it('makes anything else a generic 500 naming the function, and logs the details once', () => {
    expect(failure(new TypeError('x is undefined'))).toEqual({ status: 500, code: 'INTERNAL', message: 'function users.create failed' });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/^function users\.create failed: TypeError: x is undefined/);
    expect(failureOf('a string', 'a', 'b', logger).message).toBe('function a.b failed');
    const error = Object.assign(new Error('upstream'), { status: 404 });
    expect(failure(error)).toEqual({ status: 500, code: 'INTERNAL', message: 'function users.create failed' });
  });
});
