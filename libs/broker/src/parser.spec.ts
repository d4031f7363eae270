import { ParseError, Parser, ParserEvents, parseSize, splitArgs } from './parser';

type Event = [string, ...unknown[]];

function recorder(maxPayload = 1024, maxControlLine = 4096): { parser: Parser; events: Event[] } {
  const events: Event[] = [];
  const handler: ParserEvents = {
    onConnect: (json) => events.push(['connect', json]),
    onPub: (subject, reply, hdrLen, payload) => events.push(['pub', subject, reply, hdrLen, payload.toString('latin1')]),
    onSub: (args) => events.push(['sub', ...args]),
    onUnsub: (args) => events.push(['unsub', ...args]),
    onPing: () => events.push(['ping']),
    onPong: () => events.push(['pong']),
    onClientErr: () => events.push(['-err']),
    onProtocolError: (e: ParseError) => events.push(['error', e]),
  };
  const parser = new Parser(handler, maxPayload, maxControlLine);
  parser.headers = true;
  return { parser, events };
}

const STREAM =
  'CONNECT {"verbose":false,"headers":true}\r\n' +
  'PING\r\npong\r\n+OK\r\nINFO {"x":1}\r\n' +
  'SUB foo 1\r\nsub bar q 2\r\nUNSUB 1\r\nunsub 2 5\r\n' +
  'PUB foo 5\r\nhello\r\n' +
  'pub foo reply 0\r\n\r\n' +
  'PUB\tfoo   3\r\n\r\nx\r\n' +
  'HPUB h 12 14\r\nNATS/1.0\r\n\r\nhi\r\n' +
  'hpub h r 12 12\r\nNATS/1.0\r\n\r\n\r\n' +
  'PING\nPONG\n' +
  'SUB é.\u00ff 9\r\n';

const EXPECTED: Event[] = [
  ['connect', '{"verbose":false,"headers":true}'],
  ['ping'],
  ['pong'],
  ['sub', 'foo', '1'],
  ['sub', 'bar', 'q', '2'],
  ['unsub', '1'],
  ['unsub', '2', '5'],
  ['pub', 'foo', undefined, -1, 'hello'],
  ['pub', 'foo', 'reply', -1, ''],
  ['pub', 'foo', undefined, -1, '\r\nx'],
  ['pub', 'h', undefined, 12, 'NATS/1.0\r\n\r\nhi'],
  ['pub', 'h', 'r', 12, 'NATS/1.0\r\n\r\n'],
  ['ping'],
  ['pong'],
  ['sub', 'é.\u00ff', '9'],
];

describe('Parser', () => {
  it('parses every client operation in one chunk', () => {
    const { parser, events } = recorder();
    parser.parse(Buffer.from(STREAM, 'latin1'));
    expect(events).toEqual(EXPECTED);
  });

  it('gives the same result when the stream is split at every byte', () => {
    const bytes = Buffer.from(STREAM, 'latin1');
    for (let cut = 1; cut < bytes.length; cut++) {
      const { parser, events } = recorder();
      parser.parse(bytes.subarray(0, cut));
      parser.parse(bytes.subarray(cut));
      expect(events).toEqual(EXPECTED);
    }
  });

  it('gives the same result fed one byte at a time', () => {
    const bytes = Buffer.from(STREAM, 'latin1');
    const { parser, events } = recorder();
    for (let i = 0; i < bytes.length; i++) parser.parse(bytes.subarray(i, i + 1));
    expect(events).toEqual(EXPECTED);
  });

  it('keeps payload bytes that look like protocol', () => {
    const { parser, events } = recorder();
    parser.parse(Buffer.from('PUB a 12\r\nPING\r\nPONG\r\n\r\n'));
    expect(events).toEqual([['pub', 'a', undefined, -1, 'PING\r\nPONG\r\n']]);
  });

  it('reports a client -ERR', () => {
    const { parser, events } = recorder();
    parser.parse(Buffer.from("-ERR 'x'\r\n"));
    expect(events).toEqual([['-err']]);
  });

  it.each([
    ['FOO\r\n', 'unknown-operation'],
    ['\r\n', 'unknown-operation'],
    ['MSG a 1 1\r\nx\r\n', 'unknown-operation'],
    ['PUBX a 1\r\n', 'unknown-operation'],
    ['UNSUB\r\n', 'unknown-operation'],
    ['PUB a 1\r\nxx\r\n', 'unknown-operation'],
    ['PUB a 1\r\nx\n', 'unknown-operation'],
    ['PUB a\r\n', 'bad-arguments'],
    ['PUB a b c 1\r\n', 'bad-arguments'],
    ['PUB a x\r\n', 'bad-arguments'],
    ['PUB a 1234567890\r\n', 'bad-arguments'],
    ['HPUB a 5 4\r\n', 'bad-arguments'],
    ['HPUB a 1\r\n', 'bad-arguments'],
    ['PUB a 1025\r\n', 'max-payload'],
    ['HPUB a 10 1025\r\n', 'max-payload'],
  ])('rejects %j with %s', (input, error) => {
    const { parser, events } = recorder();
    parser.parse(Buffer.from(input));
    expect(events).toEqual([['error', error]]);
    expect(parser.isDead()).toBe(true);
  });

  it('refuses HPUB when the client did not agree headers', () => {
    const { parser, events } = recorder();
    parser.headers = false;
    parser.parse(Buffer.from('HPUB a 0 0\r\n\r\n'));
    expect(events).toEqual([['error', 'bad-arguments']]);
  });

  it('allows only CONNECT first while awaiting auth', () => {
    const { parser, events } = recorder();
    parser.awaitingConnect = true;
    parser.parse(Buffer.from('PING\r\n'));
    expect(events).toEqual([['error', 'authorization']]);
  });

  it('enforces the control line limit on the argument, also across chunks', () => {
    const ok = recorder(1024, 10);
    ok.parser.parse(Buffer.from('SUB abcdef 1\r\n')); // argument is 8 bytes
    expect(ok.events).toEqual([['sub', 'abcdef', '1']]);
    const over = recorder(1024, 10);
    over.parser.parse(Buffer.from('SUB abcdefghi 1\r\n'));
    expect(over.events).toEqual([['error', 'max-control-line']]);
    const unterminated = recorder(1024, 10);
    unterminated.parser.parse(Buffer.from('SUB abcde'));
    unterminated.parser.parse(Buffer.from('fghijk'));
    expect(unterminated.events).toEqual([['error', 'max-control-line']]);
  });

  it('ignores input after an error', () => {
    const { parser, events } = recorder();
    parser.parse(Buffer.from('FOO\r\nPING\r\n'));
    parser.parse(Buffer.from('PING\r\n'));
    expect(events).toEqual([['error', 'unknown-operation']]);
  });

  it('splitArgs and parseSize follow nats-server', () => {
    expect(splitArgs(Buffer.from(' a\tb  c \r'), 0, 9)).toEqual(['a', 'b', 'c']);
    expect(parseSize('0')).toBe(0);
    expect(parseSize('007')).toBe(7);
    expect(parseSize('999999999')).toBe(999999999);
    expect(parseSize('1000000000')).toBe(-1);
    expect(parseSize('')).toBe(-1);
    expect(parseSize('-1')).toBe(-1);
  });
});
