import { NotFoundException } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { currentCall } from './call-storage';
import { effectiveException, MESH_EXCEPTION_PROBE } from './exception-probe';
import type { MeshContext } from './mesh-context';

describe('the exception probe', () => {
  /** What Nest does when it selects filters: asks `exception instanceof <each @Catch type>`. */
  const askProbe = (call: object, exception: unknown): boolean =>
    currentCall.run(call as MeshContext, () => {
      const types: Function[] = Reflect.getMetadata('__filterCatchExceptions__', MESH_EXCEPTION_PROBE.constructor);
      return types.some((type) => exception instanceof type);
    });

  it('never catches, only notes the exception on the call being served', () => {
    const call = {};
    const thrown = new TypeError('x');
    expect(askProbe(call, thrown)).toBe(false);
    expect(effectiveException({ status: 'error', message: 'Internal server error' }, call)).toBe(thrown);
  });

  it("tells the thrown exception from Nest's default rendering of it", () => {
    const cases: [thrown: unknown, rendered: unknown][] = [
      [new NotFoundException('x'), { status: 'error', message: 'Internal server error' }],
      [new RpcException('Forbidden resource'), { status: 'error', message: 'Forbidden resource' }],
    ];
    for (const [thrown, rendered] of cases) {
      const call = {};
      askProbe(call, thrown);
      expect(effectiveException(rendered, call)).toBe(thrown);
    }
    const object = { status: 404, message: 'no such user' };
    const call = {};
    askProbe(call, new RpcException(object));
    expect(effectiveException(object, call)).toBeInstanceOf(RpcException);
  });

  it("keeps what a filter threw instead, and what reached the transport when nothing was noted", () => {
    const call = {};
    askProbe(call, new TypeError('x'));
    const rethrown = new NotFoundException('rethrown');
    expect(effectiveException(rethrown, call)).toBe(rethrown);
    const other = {};
    askProbe(other, new RpcException('said no'));
    expect(effectiveException({ status: 'error', message: 'something else' }, other)).toEqual({ status: 'error', message: 'something else' });
    expect(effectiveException('raw', {})).toBe('raw');
    expect(effectiveException('raw', undefined)).toBe('raw');
  });
});
