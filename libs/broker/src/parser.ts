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

/**
 * Parser states. Reading an operation name, a state is named after the letters read so far
 * (`Pu` after "PU", `Unsu` after "UNSU"), as in nats-server's OP_PU, OP_UNSU; then come the argument
 * line, the payload and its CRLF.
 */
const enum State {
  Start,
  P, Pu, Pub, Pi, Pin, Ping, Po, Pon, Pong,
  H, Hp, Hpu, Hpub,
  S, Su, Sub,
  U, Un, Uns, Unsu, Unsub,
  C, Co, Con, Conn, Conne, Connec, Connect,
  I, In, Inf, Info,
  Plus, PlusO, PlusOk,
  Minus, MinusE, MinusEr, MinusErr,
  Arg, Payload, PayloadCr, PayloadLf,
  Dead,
}

const enum Op { Pub, Hpub, Sub, Unsub, Connect, Info, Err }

const CR = 13;
const LF = 10;
const SPACE = 32;
const TAB = 9;

export class Parser {
  /** Set while the client must send CONNECT first (auth on); cleared by the client after CONNECT. */
  awaitingConnect = false;
  /** Whether the client agreed headers (HPUB is refused otherwise, like nats-server). */
  headers = false;

  private state = State.Start;
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
        case State.Start:
          if (this.awaitingConnect && b !== 67 && b !== 99) return this.fail('authorization');
          switch (b | 0x20) {
            case 0x70: this.state = State.P; break; // p
            case 0x68: this.state = State.H; break; // h
            case 0x73: this.state = State.S; break; // s
            case 0x75: this.state = State.U; break; // u
            case 0x63: this.state = State.C; break; // c
            case 0x69: this.state = State.I; break; // i
            default:
              if (b === 43) this.state = State.Plus;
              else if (b === 45) this.state = State.Minus;
              else return this.fail('unknown-operation');
          }
          break;
        case State.P:
          if ((b | 0x20) === 0x75) this.state = State.Pu;
          else if ((b | 0x20) === 0x69) this.state = State.Pi;
          else if ((b | 0x20) === 0x6f) this.state = State.Po;
          else return this.fail('unknown-operation');
          break;
        case State.Pu: if (!this.expect(b, 0x62, State.Pub)) return; break;
        case State.Pub: if (!this.space(b, Op.Pub)) return; break;
        case State.Pi: if (!this.expect(b, 0x6e, State.Pin)) return; break;
        case State.Pin: if (!this.expect(b, 0x67, State.Ping)) return; break;
        case State.Ping:
          if (b === LF) {
            this.state = State.Start;
            this.events.onPing();
          }
          break;
        case State.Po: if (!this.expect(b, 0x6e, State.Pon)) return; break;
        case State.Pon: if (!this.expect(b, 0x67, State.Pong)) return; break;
        case State.Pong:
          if (b === LF) {
            this.state = State.Start;
            this.events.onPong();
          }
          break;
        case State.H: if (!this.expect(b, 0x70, State.Hp)) return; break;
        case State.Hp: if (!this.expect(b, 0x75, State.Hpu)) return; break;
        case State.Hpu: if (!this.expect(b, 0x62, State.Hpub)) return; break;
        case State.Hpub: if (!this.space(b, Op.Hpub)) return; break;
        case State.S: if (!this.expect(b, 0x75, State.Su)) return; break;
        case State.Su: if (!this.expect(b, 0x62, State.Sub)) return; break;
        case State.Sub: if (!this.space(b, Op.Sub)) return; break;
        case State.U: if (!this.expect(b, 0x6e, State.Un)) return; break;
        case State.Un: if (!this.expect(b, 0x73, State.Uns)) return; break;
        case State.Uns: if (!this.expect(b, 0x75, State.Unsu)) return; break;
        case State.Unsu: if (!this.expect(b, 0x62, State.Unsub)) return; break;
        case State.Unsub: if (!this.space(b, Op.Unsub)) return; break;
        case State.C: if (!this.expect(b, 0x6f, State.Co)) return; break;
        case State.Co: if (!this.expect(b, 0x6e, State.Con)) return; break;
        case State.Con: if (!this.expect(b, 0x6e, State.Conn)) return; break;
        case State.Conn: if (!this.expect(b, 0x65, State.Conne)) return; break;
        case State.Conne: if (!this.expect(b, 0x63, State.Connec)) return; break;
        case State.Connec: if (!this.expect(b, 0x74, State.Connect)) return; break;
        case State.Connect: if (!this.space(b, Op.Connect)) return; break;
        case State.I: if (!this.expect(b, 0x6e, State.In)) return; break;
        case State.In: if (!this.expect(b, 0x66, State.Inf)) return; break;
        case State.Inf: if (!this.expect(b, 0x6f, State.Info)) return; break;
        case State.Info: if (!this.space(b, Op.Info)) return; break;
        case State.Plus: if (!this.expect(b, 0x6f, State.PlusO)) return; break;
        case State.PlusO: if (!this.expect(b, 0x6b, State.PlusOk)) return; break;
        case State.PlusOk: if (b === LF) this.state = State.Start; break;
        case State.Minus: if (!this.expect(b, 0x65, State.MinusE)) return; break;
        case State.MinusE: if (!this.expect(b, 0x72, State.MinusEr)) return; break;
        case State.MinusEr: if (!this.expect(b, 0x72, State.MinusErr)) return; break;
        case State.MinusErr: if (!this.space(b, Op.Err)) return; break;
        case State.Arg: {
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
        case State.Payload: {
          const want = this.size - this.payloadFill;
          const have = n - i;
          if (this.payload === undefined) {
            if (have >= want) {
              const payload = buf.subarray(i, i + want);
              i += want - 1;
              this.payload = payload;
              this.payloadFill = want;
              this.state = State.PayloadCr;
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
            if (this.payloadFill === this.size) this.state = State.PayloadCr;
          }
          break;
        }
        case State.PayloadCr:
          if (b !== CR) return this.fail('unknown-operation');
          this.state = State.PayloadLf;
          break;
        case State.PayloadLf: {
          if (b !== LF) return this.fail('unknown-operation');
          const payload = this.payload!;
          this.payload = undefined;
          this.payloadFill = 0;
          this.state = State.Start;
          this.events.onPub(this.subject, this.reply, this.hdrLen, payload);
          if (this.isDead()) return;
          break;
        }
        case State.Dead:
          return;
      }
      if (this.isDead()) return;
    }
  }

  isDead(): boolean {
    return this.state === State.Dead;
  }

  /** Stops the parser (the connection is closing). */
  stop(): void {
    this.state = State.Dead;
  }

  private expect(b: number, lower: number, next: State): boolean {
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
    this.state = State.Arg;
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
      case Op.Hpub:
        return this.pubArgs(line, start, end);
      case Op.Sub:
        this.state = State.Start;
        this.events.onSub(splitArgs(line, start, end));
        break;
      case Op.Unsub:
        this.state = State.Start;
        this.events.onUnsub(splitArgs(line, start, end));
        break;
      case Op.Connect:
        this.state = State.Start;
        this.events.onConnect(line.toString('utf8', start, end));
        break;
      case Op.Info:
        this.state = State.Start;
        break;
      case Op.Err:
        this.state = State.Start;
        this.events.onClientErr();
        break;
    }
    return !this.isDead();
  }

  private pubArgs(line: Buffer, start: number, end: number): boolean {
    const args = splitArgs(line, start, end);
    const headers = this.op === Op.Hpub;
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
      this.state = State.PayloadCr;
    } else {
      this.state = State.Payload;
    }
    return true;
  }

  private fail(error: ParseError): void {
    this.state = State.Dead;
    this.events.onProtocolError(error);
  }
}

const EMPTY = Buffer.alloc(0);
