/** Argument helpers of the protocol parser, with nats-server's rules. */
const SPACE = 32;
const TAB = 9;
const CR = 13;
const LF = 10;

/** Splits on blanks (space, tab, CR, LF) like nats-server's splitArg. */
export function splitArgs(buf: Buffer, start: number, end: number): string[] {
  const args: string[] = [];
  let tokenStart = -1;
  for (let i = start; i < end; i++) {
    const b = buf[i];
    if (b === SPACE || b === TAB || b === CR || b === LF) {
      if (tokenStart >= 0) {
        args.push(buf.toString('latin1', tokenStart, i));
        tokenStart = -1;
      }
    } else if (tokenStart < 0) tokenStart = i;
  }
  if (tokenStart >= 0) args.push(buf.toString('latin1', tokenStart, end));
  return args;
}

/** Decimal size of at most 9 digits, else -1 (nats-server's parseSize). */
export function parseSize(text: string): number {
  const n = text.length;
  if (n === 0 || n > 9) return -1;
  let value = 0;
  for (let i = 0; i < n; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}
