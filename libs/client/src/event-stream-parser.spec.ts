import { EventStreamParser } from './event-stream-parser';

describe('EventStreamParser', () => {
  it('reads events split anywhere, with any line ending, several data lines, comments and other fields', () => {
    const text = 'event: item\ndata: 1\n\n: a comment\r\nevent: item\r\ndata: {"a":\r\ndata: 2}\r\nid: 7\r\n\r\nevent:end\rdata:{"count":2}\r\r';
    for (let size = 1; size <= text.length; size++) {
      const parser = new EventStreamParser();
      const events = [];
      for (let at = 0; at < text.length; at += size) events.push(...parser.push(text.slice(at, at + size)));
      expect(events).toEqual([
        { event: 'item', data: '1' },
        { event: 'item', data: '{"a":\n2}' },
        { event: 'end', data: '{"count":2}' },
      ]);
    }
  });

  it('gives an event without a name as `message`, and none for a block without data', () => {
    const parser = new EventStreamParser();
    expect(parser.push('event: nothing\n\ndata: x\n\n')).toEqual([{ event: 'message', data: 'x' }]);
  });
});
