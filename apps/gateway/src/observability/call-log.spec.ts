import { CallLogWriter } from './call-log';

describe('CallLogWriter', () => {
  const line = (requestId: string, status: number, code: string, ms: number) => ({ requestId, service: 'users', func: 'create', status, code, ms });
  let writes: string[];
  let writer: CallLogWriter;
  const parsed = () => writes.join('').trimEnd().split('\n').map((text) => JSON.parse(text));

  beforeEach(() => {
    jest.useFakeTimers();
    writes = [];
    writer = new CallLogWriter({ write: (text: string) => writes.push(text) });
  });
  afterEach(() => jest.useRealTimers());

  it('writes pending lines together within 20 ms, each in the JSON shape of ConsoleLogger', () => {
    writer.write(line('r1', 200, 'OK', 1.5));
    writer.write(line('r2', 403, 'FORBIDDEN', 0.2));
    jest.advanceTimersByTime(19);
    expect(writes).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(writes).toHaveLength(1);
    expect(parsed()).toEqual([
      { level: 'log', pid: process.pid, timestamp: expect.any(Number), message: line('r1', 200, 'OK', 1.5), context: 'Calls' },
      { level: 'log', pid: process.pid, timestamp: expect.any(Number), message: line('r2', 403, 'FORBIDDEN', 0.2), context: 'Calls' },
    ]);
    writer.write(line('r3', 200, 'OK', 1));
    jest.advanceTimersByTime(20);
    expect(writes).toHaveLength(2);
  });

  it('writes at once when 32 KiB are pending, and on flush()', () => {
    while (writes.length === 0) writer.write(line('r', 200, 'OK', 1));
    expect(writes[0].length).toBeGreaterThanOrEqual(32 * 1024);
    writer.write(line('last', 200, 'OK', 1));
    writer.flush();
    expect(parsed().at(-1).message.requestId).toBe('last');
    writer.flush();
    expect(writes).toHaveLength(2);
  });

  it('keeps a service-given code valid JSON', () => {
    writer.write(line('r1', 500, 'BAD "CODE"\n', 1));
    writer.flush();
    expect(parsed()[0].message.code).toBe('BAD "CODE"\n');
  });
});
