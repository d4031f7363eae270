import { MeshError } from 'nest-mesh';
import type { CallObserver, ObservedCall } from '../observability/call-observer';
import { attachCall, callOf, CallRequest } from './call-request';
import { CallErrors } from './call-errors';

describe('CallErrors', () => {
  const observer = { end: jest.fn(), refused: jest.fn() };
  const errors = new CallErrors(observer as unknown as CallObserver);
  const failure = new MeshError(403, 'access denied', 'FORBIDDEN');
  beforeEach(() => jest.clearAllMocks());

  it('ends the observation of a call the guard began, once', () => {
    const observed = {} as ObservedCall;
    const request = { headers: {}, params: { service: 'users', func: 'create' } };
    attachCall(request, { observed, requestId: 'r1' } as CallRequest);
    errors.answered(request, failure);
    errors.answered(request, failure);
    expect(observer.end).toHaveBeenCalledTimes(1);
    expect(observer.end).toHaveBeenCalledWith(observed, 403, 'FORBIDDEN', 'r1');
    expect(callOf(request)).toBeNull();
  });

  it('counts a call refused before it began (its route has a service), once', () => {
    const request = { headers: { 'x-request-id': 'r2' }, params: { project: 'demo', service: 'users', func: 'create' } };
    errors.answered(request, failure);
    errors.answered(request, failure);
    expect(observer.refused).toHaveBeenCalledTimes(1);
    expect(observer.refused).toHaveBeenCalledWith(request, 403, 'FORBIDDEN', 'r2');
  });

  it('ignores the requests of other routes', () => {
    errors.answered({ headers: {}, params: { project: 'demo' } }, failure);
    errors.answered({ headers: {} }, failure);
    expect(observer.end).not.toHaveBeenCalled();
    expect(observer.refused).not.toHaveBeenCalled();
  });
});
