/**
 * One client connection: parses its input, applies its operations, and batches its output
 * (gathered during a tick, written once by the broker's flush).
 */
import type { Socket } from 'node:net';
import { ConnectOptions, defaultConnectOptions, parseConnect } from './connect';
import { ProtocolErrors } from './errors';
import type { ResolvedBrokerOptions } from './options';
import { ParseError, Parser, ParserEvents, parseSize } from './parser';
import { isValidLiteralSubject, isValidSubject } from './subject';
import type { Sublist } from './sublist';
import { Subscription } from './subscription';

/** What a client needs from the broker that owns it. */
export interface ClientHost {
  readonly options: ResolvedBrokerOptions;
  readonly sublist: Sublist<Subscription>;
  readonly authRequired: boolean;
  authorize(connect: ConnectOptions): boolean;
  route(from: Client, subject: string, reply: string | undefined, hdrLen: number, payload: Buffer): void;
  markDirty(client: Client): void;
  clientClosed(client: Client, reason: string): void;
}

const CRLF = '\r\n';
const OK = '+OK\r\n';
const PING = 'PING\r\n';
const PONG = 'PONG\r\n';
const NO_RESPONDERS = 'NATS/1.0 503\r\n\r\n';
/** A batch this big is written at once rather than at the end of the tick. */
const FLUSH_AT = 64 * 1024;

export class Client implements ParserEvents {
  opts: ConnectOptions = defaultConnectOptions();
  closed = false;
  /** Set by the broker while this client waits in its flush list. */
  dirty = false;

  private readonly parser: Parser;
  private readonly subs = new Map<string, Subscription>();
  private pending: (string | Buffer)[] = [];
  private pendingBytes = 0;
  private pingsOut = 0;
  private pingTimer?: NodeJS.Timeout;
  private authTimer?: NodeJS.Timeout;
  private readonly closedPromise: Promise<void>;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    private readonly host: ClientHost,
    info: Buffer,
  ) {
    const o = host.options;
    this.parser = new Parser(this, o.maxPayload, o.maxControlLine);
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.parser.parse(chunk));
    socket.on('error', () => this.close('socket error'));
    socket.on('end', () => this.close('client closed'));
    socket.on('close', () => this.close('client closed'));
    socket.write(info);
    if (host.authRequired) {
      this.parser.awaitingConnect = true;
      this.authTimer = setTimeout(() => this.fail(ProtocolErrors.authTimeout, 'authentication timeout'), o.authTimeoutMs);
    }
    this.pingTimer = setInterval(() => this.ping(), o.pingIntervalMs);
    this.pingTimer.unref();
  }

  /** Resolves when the socket has closed. */
  whenClosed(): Promise<void> {
    return this.closedPromise;
  }

  // ---- parser events ----

  onConnect(json: string): void {
    const connect = parseConnect(json, this.opts);
    if (!connect) return this.close('bad CONNECT');
    if (connect.protocol < 0 || connect.protocol > 1) return this.fail(ProtocolErrors.invalidProtocol, 'bad CONNECT protocol');
    if (connect.noResponders && !connect.headers) {
      return this.fail(ProtocolErrors.noRespondersNeedsHeaders, 'no_responders without headers');
    }
    if (this.host.authRequired && !this.host.authorize(connect)) {
      return this.fail(ProtocolErrors.authorization, 'authorization violation');
    }
    this.opts = connect;
    this.parser.awaitingConnect = false;
    this.parser.headers = connect.headers;
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = undefined;
    if (connect.verbose) this.send(OK);
  }

  onPub(subject: string, reply: string | undefined, hdrLen: number, payload: Buffer): void {
    if (this.opts.pedantic && !isValidLiteralSubject(subject)) this.send(`-ERR '${ProtocolErrors.invalidPublishSubject}'\r\n`);
    if (this.opts.verbose) this.send(OK);
    this.host.route(this, subject, reply, hdrLen, payload);
  }

  onSub(args: string[]): void {
    if (args.length !== 2 && args.length !== 3) return this.close('bad SUB arguments');
    const subject = args[0];
    const queue = args.length === 3 ? args[1] : undefined;
    const sid = args[args.length - 1];
    if (!isValidSubject(subject)) return this.send(`-ERR '${ProtocolErrors.invalidSubject}'\r\n`);
    if (!this.subs.has(sid)) {
      const sub = new Subscription(this, subject, queue, sid);
      this.subs.set(sid, sub);
      this.host.sublist.insert(sub);
    }
    if (this.opts.verbose) this.send(OK);
  }

  onUnsub(args: string[]): void {
    if (args.length !== 1 && args.length !== 2) return this.close('bad UNSUB arguments');
    const max = args.length === 2 ? parseSize(args[1]) : -1;
    const sub = this.subs.get(args[0]);
    if (sub) {
      if (max > 0 && max > sub.delivered) sub.max = max;
      else this.removeSub(sub);
    }
    if (this.opts.verbose) this.send(OK);
  }

  onPing(): void {
    this.send(PONG);
  }

  onPong(): void {
    this.pingsOut = 0;
  }

  onClientErr(): void {
    this.close('client sent -ERR');
  }

  onProtocolError(error: ParseError): void {
    switch (error) {
      case 'unknown-operation':
        return this.fail(ProtocolErrors.unknownOperation, 'unknown protocol operation');
      case 'max-control-line':
        return this.fail(ProtocolErrors.maxControlLine, 'maximum control line exceeded');
      case 'max-payload':
        return this.fail(ProtocolErrors.maxPayload, 'maximum payload violation');
      case 'authorization':
        return this.fail(ProtocolErrors.authorization, 'operation before CONNECT');
      case 'bad-arguments':
        return this.close('bad protocol arguments');
    }
  }

  // ---- delivery ----

  /** Queues one message for this subscription (headers stripped when the client did not agree them). */
  deliver(sub: Subscription, subject: string, reply: string | undefined, hdrLen: number, payload: Buffer): void {
    if (this.closed) return;
    sub.delivered++;
    const head = reply === undefined ? `${subject} ${sub.sid} ` : `${subject} ${sub.sid} ${reply} `;
    if (hdrLen < 0) {
      this.send(`MSG ${head}${payload.length}\r\n`);
    } else if (this.opts.headers) {
      this.send(`HMSG ${head}${hdrLen} ${payload.length}\r\n`);
    } else {
      payload = payload.subarray(hdrLen);
      this.send(`MSG ${head}${payload.length}\r\n`);
    }
    if (payload.length > 0) this.send(payload);
    this.send(CRLF);
    if (sub.max > 0 && sub.delivered >= sub.max) this.removeSub(sub);
  }

  /** nats-server's no-responders status, sent to the requester's own subscription on the reply subject. */
  noResponders(reply: string): void {
    const match = this.host.sublist.match(reply);
    for (const sub of match.psubs) {
      if (sub.client !== this) continue;
      this.send(`HMSG ${reply} ${sub.sid} ${NO_RESPONDERS.length} ${NO_RESPONDERS.length}\r\n${NO_RESPONDERS}\r\n`);
      return;
    }
  }

  /** Adds to the outbound batch; a client whose backlog passes maxPendingBytes is cut off. */
  send(data: string | Buffer): void {
    if (this.closed) return;
    this.pending.push(data);
    this.pendingBytes += data.length;
    if (this.pendingBytes >= FLUSH_AT) this.flush();
    else if (!this.dirty) this.host.markDirty(this);
    if (this.pendingBytes + this.socket.writableLength > this.host.options.maxPendingBytes) this.slowConsumer();
  }

  /** Writes the batch in one socket write. */
  flush(): void {
    this.dirty = false;
    const pending = this.pending;
    if (pending.length === 0 || this.socket.destroyed) return;
    let out: Buffer;
    if (pending.length === 1) {
      const only = pending[0];
      out = typeof only === 'string' ? Buffer.from(only, 'latin1') : only;
    } else {
      out = Buffer.allocUnsafe(this.pendingBytes);
      let offset = 0;
      for (let i = 0; i < pending.length; i++) {
        const item = pending[i];
        if (typeof item === 'string') offset += out.write(item, offset, 'latin1');
        else offset += item.copy(out, offset);
      }
    }
    this.pending = [];
    this.pendingBytes = 0;
    this.socket.write(out);
  }

  // ---- lifecycle ----

  /** Sends -ERR, then closes. */
  fail(text: string, reason: string): void {
    this.send(`-ERR '${text}'\r\n`);
    this.close(reason);
  }

  /** Flushes what is queued, removes the subscriptions, and ends the socket. Safe to call twice. */
  close(reason: string): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.parser.stop();
    clearInterval(this.pingTimer);
    if (this.authTimer) clearTimeout(this.authTimer);
    for (const sub of this.subs.values()) this.host.sublist.remove(sub);
    this.subs.clear();
    const socket = this.socket;
    if (!socket.destroyed) {
      socket.end();
      const force = setTimeout(() => socket.destroy(), 2000);
      force.unref();
      socket.once('close', () => clearTimeout(force));
    }
    this.host.clientClosed(this, reason);
  }

  private slowConsumer(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.socket.destroy();
    this.close('slow consumer');
  }

  private ping(): void {
    if (this.pingsOut + 1 > this.host.options.maxPingsOut) return this.fail(ProtocolErrors.staleConnection, 'stale connection');
    this.pingsOut++;
    this.send(PING);
  }

  private removeSub(sub: Subscription): void {
    if (this.subs.get(sub.sid) === sub) this.subs.delete(sub.sid);
    this.host.sublist.remove(sub);
  }
}
