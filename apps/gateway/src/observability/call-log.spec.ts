import { CallLogWriter } from './call-log';

describe('CallLogWriter', () => {
  it('writes the lines of one event-loop turn together, each in the JSON shape of ConsoleLogger', async () => {
    const writes: string[] = [];
    const writer = new CallLogWriter({ write: (text: string) => writes.push(text) });
    writer.write({ requestId: 'r1', service: 'users', func: 'create', status: 200, code: 'OK', ms: 1.5 });
    writer.write({ requestId: 'r2', service: 'users', func: 'create', status: 403, code: 'FORBIDDEN', ms: 0.2 });
    expect(writes).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toHaveLength(1);
    const lines = writes[0].trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(lines).toEqual([
      { level: 'log', pid: process.pid, timestamp: expect.any(Number), message: { requestId: 'r1', service: 'users', func: 'create', status: 200, code: 'OK', ms: 1.5 }, context: 'Calls' },
      { level: 'log', pid: process.pid, timestamp: expect.any(Number), message: { requestId: 'r2', service: 'users', func: 'create', status: 403, code: 'FORBIDDEN', ms: 0.2 }, context: 'Calls' },
    ]);
    writer.write({ requestId: 'r3', service: 'a', func: 'b', status: 200, code: 'OK', ms: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toHaveLength(2);
  });
});
