import { EventEmitter } from 'node:events';
import { EventStream, eventText } from './event-stream';

/** Just enough of a Node ServerResponse: what is written, and whether the client keeps up. */
class FakeResponse extends EventEmitter {
  readonly written: string[] = [];
  destroyed = false;
  writableNeedDrain = false;
  status?: number;
  setHeader(): void {}
  writeHead(status: number): void {
    this.status = status;
  }
  write(text: string): boolean {
    this.written.push(text);
    return !this.writableNeedDrain;
  }
  end(text: string): void {
    this.written.push(text);
    this.emit('close');
  }
}

describe('EventStream', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('writes a keepalive comment while no item comes, and none while items do', () => {
    const response = new FakeResponse();
    const events = new EventStream(response, 1000);
    events.open('req-1');
    expect(response.status).toBe(200);
    jest.advanceTimersByTime(1000);
    expect(response.written).toEqual([': keepalive\n\n']);
    for (let i = 0; i < 4; i++) {
      events.item(String(i));
      jest.advanceTimersByTime(500);
    }
    expect(response.written.filter((text) => text.startsWith(':'))).toHaveLength(1);
    // The last item at 2.5 s: the tick at 3 s saw it, the one at 4 s sees a silent second.
    jest.advanceTimersByTime(1000);
    expect(response.written.filter((text) => text.startsWith(':'))).toHaveLength(2);
    expect(response.written.at(-1)).toBe(': keepalive\n\n');
  });

  it('sends nothing more to a client that does not read, and stops after the end or the client going away', () => {
    const response = new FakeResponse();
    const events = new EventStream(response, 1000);
    events.open('req-2');
    response.writableNeedDrain = true;
    jest.advanceTimersByTime(3000);
    expect(response.written).toEqual([]);
    response.writableNeedDrain = false;
    events.end(0);
    jest.advanceTimersByTime(3000);
    expect(response.written).toEqual([eventText('end', '{"count":0}')]);

    const gone = new FakeResponse();
    const other = new EventStream(gone, 1000);
    other.open('req-3');
    gone.emit('close');
    expect(other.closed).toBe(true);
    jest.advanceTimersByTime(3000);
    expect(gone.written).toEqual([]);
  });

  it('writes data of several lines as one data line each', () => {
    expect(eventText('item', '{\n"a": 1\n}')).toBe('event: item\ndata: {\ndata: "a": 1\ndata: }\n\n');
  });
});
