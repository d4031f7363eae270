import { Test } from '@nestjs/testing';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { Readiness, READINESS_CHECK_TIMEOUT_MS } from './readiness';

describe('Readiness', () => {
  let readiness: Readiness;
  let indicators: HealthIndicatorService;

  beforeEach(async () => {
    const module = await Test.createTestingModule({ imports: [TerminusModule.forRoot({ logger: false })], providers: [Readiness] }).compile();
    readiness = module.get(Readiness);
    indicators = module.get(HealthIndicatorService);
  });

  it('is live, and ready with no checks', async () => {
    expect(readiness.livez()).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await readiness.readyz()).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('answers 200 when every check is up and 503 "error" naming the check that is down', async () => {
    let storeUp = true;
    readiness.add('broker', () => indicators.check('broker').up());
    readiness.add('store', () => (storeUp ? indicators.check('store').up() : indicators.check('store').down({ message: 'unreachable' })));
    expect(await readiness.readyz()).toEqual({
      status: 200,
      body: expect.objectContaining({ status: 'ok', info: { broker: { status: 'up' }, store: { status: 'up' } } }),
    });
    storeUp = false;
    const answer = await readiness.readyz();
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ status: 'error', error: { store: { status: 'down', message: 'unreachable' } }, info: { broker: { status: 'up' } } });
  });

  it('counts a check that throws or hangs as down', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    try {
      readiness.add('throws', () => {
        throw new Error('boom');
      });
      readiness.add('hangs', () => new Promise(() => undefined));
      const pending = readiness.readyz();
      await jest.advanceTimersByTimeAsync(READINESS_CHECK_TIMEOUT_MS + 1);
      const answer = await pending;
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ error: { throws: { status: 'down', message: 'boom' }, hangs: { status: 'down' } } });
    } finally {
      jest.useRealTimers();
    }
  });

  it('answers 503 from markStopping on, even with every check up', async () => {
    readiness.add('broker', () => indicators.check('broker').up());
    readiness.markStopping();
    const answer = await readiness.readyz();
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ status: 'error', error: { shutdown: { status: 'down' } } });
    expect(readiness.livez().status).toBe(200);
  });
});
