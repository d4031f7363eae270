import { RunningCalls } from './running-calls';
import type { MeshContext } from './mesh-context';

const call = (deadline: number) => ({ deadline }) as MeshContext;

describe('RunningCalls.settle', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('resolves at once when nothing is in flight', async () => {
    await expect(new RunningCalls().settle(10_000)).resolves.toEqual({ abandoned: 0, waited: 0, by: 'finished' });
  });

  it('resolves when the last call finishes', async () => {
    const calls = new RunningCalls();
    const a = call(Date.now() + 5000);
    calls.add(a);
    const settled = calls.settle(10_000);
    jest.advanceTimersByTime(100);
    calls.delete(a);
    await expect(settled).resolves.toMatchObject({ abandoned: 0, by: 'finished' });
  });

  it('waits only until the latest deadline of the calls in flight, then counts them abandoned', async () => {
    const calls = new RunningCalls();
    calls.add(call(Date.now() + 1000));
    calls.add(call(Date.now() + 2000));
    let result: unknown;
    void calls.settle(10_000).then((settled) => (result = settled));
    await jest.advanceTimersByTimeAsync(1999);
    expect(result).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    expect(result).toEqual({ abandoned: 2, waited: 2000, by: 'deadlines' });
  });

  it('never waits longer than the grace period (a call without a deadline has Infinity)', async () => {
    const calls = new RunningCalls();
    calls.add(call(Infinity));
    const settled = calls.settle(3000);
    await jest.advanceTimersByTimeAsync(3000);
    await expect(settled).resolves.toEqual({ abandoned: 1, waited: 3000, by: 'gracePeriod' });
  });

  it('does not wait at all for calls whose deadlines have already passed', async () => {
    const calls = new RunningCalls();
    calls.add(call(Date.now() - 1));
    const settled = calls.settle(10_000);
    await jest.advanceTimersByTimeAsync(0);
    await expect(settled).resolves.toMatchObject({ abandoned: 1, waited: 0, by: 'deadlines' });
  });
});
