/**
 * Client-protocol parser: a byte-level state machine in the manner of nats.js `parser.ts` and
 * nats-server `server/parser.go`. Operation names are matched byte by byte (any case), arguments are
 * gathered as byte ranges (copied only when a frame is split across chunks), payloads are sliced
 * from the chunk when whole. Strings are latin1, so every byte of a subject survives unchanged.
 */
import { parseSize, splitArgs } from './args';
import type { ParseError, ParserEvents } from './parser-events';

export type { ParseError, ParserEvents } from './parser-events';
export { parseSize, splitArgs } from './args';

const enum S {
  Start,
  P, PU, PUB, PI, PIN, PING, PO, PON, PONG,
  H, HP, HPU, HPUB,
  SUB1, SUB2, SUB,
  U1, U2, U3, U4, UNSUB,
  C1, C2, C3, C4, C5, C6, CONNECT,
  I1, I2, I3, INFO,
  Plus, PlusO, PlusOK,
  Minus, MinusE, MinusER, MinusERR,
  Arg, Payload, PayloadCR, PayloadLF,
  Dead,
}

const enum Op { Pub, HPub, Sub, Unsub, Connect, Info, Err }

const CR = 13;
const LF = 10;
const SPACE = 32;
const TAB = 9;

export class Parser {
  /** Set while the client must send CONNECT first (auth on); cleared by the client after CONNECT. */
  awaitingConnect = false;
  /** Whether the client agreed headers (HPUB is refused otherwise, like nats-server). */
  headers = false;

  private state = S.Start;
  private op = Op.Pub;
  private argStart = -1; // start of the argument in the current chunk, or -1 when it lives in argBuf
  private argBuf: Buffer | undefined;
  private argLen = 0;
  private sawCR = false;
  private subject = '';
  private reply: string | undefined;
  private hdrLen = -1;
  private size = 0;
  private payload: Buffer | undefined; // when a payload spans chunks
  private payloadFill = 0;

  constructor(
    private readonly events: ParserEvents,
    private readonly maxPayload: number,
    private readonly maxControlLine: number,
  ) {}

  /** Feeds one chunk. After a protocol error the parser is dead and ignores further input. */
  parse(buf: Buffer): void {
    const n = buf.length;
    for (let i = 0; i < n; i++) {
      const b = buf[i];
      switch (this.state) {
        case S.Start:
          if (this.awaitingConnect && b !== 67 && b !== 99) return this.fail('authorization');
          switch (b | 0x20) {
            case 0x70: this.state = S.P; break; // p
            case 0x68: this.state = S.H; break; // h
            case 0x73: this.state = S.SUB1; break; // s
            case 0x75: this.state = S.U1; break; // u
            case 0x63: this.state = S.C1; break; // c
            case 0x69: this.state = S.I1; break; // i
            default:
              if (b === 43) this.state = S.Plus;
              else if (b === 45) this.state = S.Minus;
              else return this.fail('unknown-operation');
          }
          break;
        case S.P:
          if ((b | 0x20) === 0x75) this.state = S.PU;
          else if ((b | 0x20) === 0x69) this.state = S.PI;
          else if ((b | 0x20) === 0x6f) this.state = S.PO;
          else return this.fail('unknown-operation');
          break;
        case S.PU: if (!this.expect(b, 0x62, S.PUB)) return; break;
        case S.PUB: if (!this.space(b, Op.Pub)) return; break;
        case S.PI: if (!this.expect(b, 0x6e, S.PIN)) return; break;
        case S.PIN: if (!this.expect(b, 0x67, S.PING)) return; break;
        case S.PING:
          if (b === LF) {
            this.state = S.Start;
            this.events.onPing();
          }
          break;
        case S.PO: if (!this.expect(b, 0x6e, S.PON)) return; break;
        case S.PON: if (!this.expect(b, 0x67, S.PONG)) return; break;
        case S.PONG:
          if (b === LF) {
            this.state = S.Start;
            this.events.onPong();
          }
          break;
        case S.H: if (!this.expect(b, 0x70, S.HP)) return; break;
        case S.HP: if (!this.expect(b, 0x75, S.HPU)) return; break;
        case S.HPU: if (!this.expect(b, 0x62, S.HPUB)) return; break;
        case S.HPUB: if (!this.space(b, Op.HPub)) return; break;
        case S.SUB1: if (!this.expect(b, 0x75, S.SUB2)) return; break;
        case S.SUB2: if (!this.expect(b, 0x62, S.SUB)) return; break;
        case S.SUB: if (!this.space(b, Op.Sub)) return; break;
        case S.U1: if (!this.expect(b, 0x6e, S.U2)) return; break;
        case S.U2: if (!this.expect(b, 0x73, S.U3)) return; break;
        case S.U3: if (!this.expect(b, 0x75, S.U4)) return; break;
        case S.U4: if (!this.expect(b, 0x62, S.UNSUB)) return; break;
        case S.UNSUB: if (!this.space(b, Op.Unsub)) return; break;
        case S.C1: if (!this.expect(b, 0x6f, S.C2)) return; break;
        case S.C2: if (!this.expect(b, 0x6e, S.C3)) return; break;
        case S.C3: if (!this.expect(b, 0x6e, S.C4)) return; break;
        case S.C4: if (!this.expect(b, 0x65, S.C5)) return; break;
        case S.C5: if (!this.expect(b, 0x63, S.C6)) return; break;
        case S.C6: if (!this.expect(b, 0x74, S.CONNECT)) return; break;
        case S.CONNECT: if (!this.space(b, Op.Connect)) return; break;
        case S.I1: if (!this.expect(b, 0x6e, S.I2)) return; break;
        case S.I2: if (!this.expect(b, 0x66, S.I3)) return; break;
        case S.I3: if (!this.expect(b, 0x6f, S.INFO)) return; break;
        case S.INFO: if (!this.space(b, Op.Info)) return; break;
        case S.Plus: if (!this.expect(b, 0x6f, S.PlusO)) return; break;
        case S.PlusO: if (!this.expect(b, 0x6b, S.PlusOK)) return; break;
        case S.PlusOK: if (b === LF) this.state = S.Start; break;
        case S.Minus: if (!this.expect(b, 0x65, S.MinusE)) return; break;
        case S.MinusE: if (!this.expect(b, 0x72, S.MinusER)) return; break;
        case S.MinusER: if (!this.expect(b, 0x72, S.MinusERR)) return; break;
        case S.MinusERR: if (!this.space(b, Op.Err)) return; break;
        case S.Arg: {
          if (this.argStart < 0 && this.argLen === 0) {
            if (b === SPACE || b === TAB) break; // blanks before the argument
            this.argStart = i;
          }
          // Scan to the end of the line in one go.
          let j = i;
          while (j < n && buf[j] !== LF) j++;
          if (j === n) {
            this.saveArg(buf, i, n);
            i = n;
            if (this.argLen > this.maxControlLine) return this.fail('max-control-line');
            break;
          }
          let line: Buffer;
          let start: number;
          let end = j;
          if (this.argStart >= 0) {
            line = buf;
            start = this.argStart;
            this.argStart = -1;
          } else {
            this.saveArg(buf, i, j);
            line = this.argBuf!;
            start = 0;
            end = this.argLen;
          }
          if (end > start && line[end - 1] === CR) end--;
          i = j;
          this.argBuf = undefined;
          this.argLen = 0;
          if (end - start > this.maxControlLine) return this.fail('max-control-line');
          if (!this.processArg(line, start, end)) return;
          break;
        }
        case S.Payload: {
          const want = this.size - this.payloadFill;
          const have = n - i;
          if (this.payload === undefined) {
            if (have >= want) {
              const payload = buf.subarray(i, i + want);
              i += want - 1;
              this.payload = payload;
              this.payloadFill = want;
              this.state = S.PayloadCR;
            } else {
              this.payload = Buffer.allocUnsafe(this.size);
              buf.copy(this.payload, 0, i, n);
              this.payloadFill = have;
              i = n;
            }
          } else {
            const take = Math.min(want, have);
            buf.copy(this.payload, this.payloadFill, i, i + take);
            this.payloadFill += take;
            i += take - 1;
            if (this.payloadFill === this.size) this.state = S.PayloadCR;
          }
          break;
        }
        case S.PayloadCR:
          if (b !== CR) return this.fail('unknown-operation');
          this.state = S.PayloadLF;
          break;
        case S.PayloadLF: {
          if (b !== LF) return this.fail('unknown-operation');
          const payload = this.payload!;
          this.payload = undefined;
          this.payloadFill = 0;
          this.state = S.Start;
          this.events.onPub(this.subject, this.reply, this.hdrLen, payload);
          if (this.isDead()) return;
          break;
        }
        case S.Dead:
          return;
      }
      if (this.isDead()) return;
    }
  }

  isDead(): boolean {
    return this.state === S.Dead;
  }

  /** Stops the parser (the connection is closing). */
  stop(): void {
    this.state = S.Dead;
  }

  private expect(b: number, lower: number, next: S): boolean {
    if ((b | 0x20) !== lower) {
      this.fail('unknown-operation');
      return false;
    }
    this.state = next;
    return true;
  }

  /** After an operation name: one or more blanks, then the argument. */
  private space(b: number, op: Op): boolean {
    if (b !== SPACE && b !== TAB) {
      this.fail('unknown-operation');
      return false;
    }
    this.op = op;
    this.state = S.Arg;
    this.argStart = -1;
    this.argLen = 0;
    this.argBuf = undefined;
    return true;
  }

  private saveArg(buf: Buffer, from: number, to: number): void {
    if (this.argStart >= 0) {
      from = this.argStart;
      this.argStart = -1;
    }
    const len = to - from;
    if (len <= 0) return;
    if (!this.argBuf || this.argBuf.length < this.argLen + len) {
      const grown = Buffer.allocUnsafe(Math.max(64, (this.argLen + len) * 2));
      if (this.argBuf) this.argBuf.copy(grown, 0, 0, this.argLen);
      this.argBuf = grown;
    }
    buf.copy(this.argBuf, this.argLen, from, to);
    this.argLen += len;
  }

  private processArg(line: Buffer, start: number, end: number): boolean {
    switch (this.op) {
      case Op.Pub:
      case Op.HPub:
        return this.pubArgs(line, start, end);
      case Op.Sub:
        this.state = S.Start;
        this.events.onSub(splitArgs(line, start, end));
        break;
      case Op.Unsub:
        this.state = S.Start;
        this.events.onUnsub(splitArgs(line, start, end));
        break;
      case Op.Connect:
        this.state = S.Start;
        this.events.onConnect(line.toString('utf8', start, end));
        break;
      case Op.Info:
        this.state = S.Start;
        break;
      case Op.Err:
        this.state = S.Start;
        this.events.onClientErr();
        break;
    }
    return !this.isDead();
  }

  private pubArgs(line: Buffer, start: number, end: number): boolean {
    const args = splitArgs(line, start, end);
    const headers = this.op === Op.HPub;
    if (headers && !this.headers) return this.fail('bad-arguments'), false;
    const fixed = headers ? 3 : 2;
    if (args.length !== fixed && args.length !== fixed + 1) return this.fail('bad-arguments'), false;
    const reply = args.length === fixed + 1 ? args[1] : undefined;
    const size = parseSize(args[args.length - 1]);
    const hdrLen = headers ? parseSize(args[args.length - 2]) : -1;
    if (size < 0 || (headers && (hdrLen < 0 || hdrLen > size))) return this.fail('bad-arguments'), false;
    if (size > this.maxPayload) return this.fail('max-payload'), false;
    this.subject = args[0];
    this.reply = reply;
    this.hdrLen = hdrLen;
    this.size = size;
    this.payloadFill = 0;
    this.payload = undefined;
    if (size === 0) {
      this.payload = EMPTY;
      this.state = S.PayloadCR;
    } else {
      this.state = S.Payload;
    }
    return true;
  }

  private fail(error: ParseError): void {
    this.state = S.Dead;
    this.events.onProtocolError(error);
  }
}

const EMPTY = Buffer.alloc(0);
