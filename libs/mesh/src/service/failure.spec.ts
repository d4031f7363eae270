import { BadRequestException, ConflictException, HttpException, LoggerService } from '@nestjs/common';
import { failureOf } from './failure';
import { MeshError } from '../mesh-error';

describe('failureOf', () => {
  const logged: string[] = [];
  const logger = { error: (message: string) => logged.push(message) } as unknown as LoggerService;
  beforeEach(() => (logged.length = 0));

  it('passes a MeshError through', () => {
    const error = new MeshError(422, 'no', 'NOPE');
    expect(failureOf(error, 's', 'f', logger)).toBe(error);
    expect(logged).toEqual([]);
  });

  it("keeps a Nest HttpException's status and messages (ValidationPipe's 400)", () => {
    const validation = new BadRequestException(['email must be an email', 'age must be a number']);
    expect(failureOf(validation, 's', 'f', logger)).toMatchObject({
      status: 400,
      code: 'BAD_REQUEST',
      message: 'email must be an email; age must be a number',
    });
    expect(failureOf(new ConflictException('taken'), 's', 'f', logger)).toMatchObject({ status: 409, code: 'CONFLICT', message: 'taken' });
  });

  it('makes anything else a generic 500 naming the function, and logs the details', () => {
    const failure = failureOf(new TypeError('x is undefined'), 'users', 'create', logger);
    expect(failure).toMatchObject({ status: 500, code: 'INTERNAL', message: 'function users.create failed' });
    expect(logged[0]).toMatch(/^function users\.create failed: TypeError: x is undefined/);
    expect(failureOf('a string', 'a', 'b', logger).message).toBe('function a.b failed');
    expect(failureOf(new HttpException('weird', 302), 'a', 'b', logger).status).toBe(500);
  });
});
