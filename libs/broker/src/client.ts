/**
 * One client connection: parses its input, applies its operations, and batches its output
 * (gathered during a tick, written once by the broker's flush).
 */
import type { Socket } from 'node:net';
import type { Identity } from './auth';
import { ConnectOptions, defaultConnectOptions, parseConnect } from './connect';
import { ProtocolErrors } from './errors';
import type { ResolvedBrokerOptions } from './options';
import { ParseError, Parser, ParserEvents, parseSize } from './parser';
import { ReplyPermits, UserPermissions } from './permissions';
import { isValidLiteralSubject, isValidSubject } from './subject';
import type { Sublist } from './sublist';
import { Subscription } from './subscription';

/** What a client needs from the broker that owns it. */
export interface ClientHost {
  readonly options: ResolvedBrokerOptions;
  readonly sublist: Sublist<Subscription>;
  readonly authRequired: boolean;
  authenticate(connect: ConnectOptions, nonce: string | undefined): Identity | undefined;
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
  /** Who logged in (for log lines); undefined without auth. */
  user?: string;
  /** Undefined when the user may do everything: then no check runs on the hot path. */
  private perms?: UserPermissions;
  /** Set when deliveries need a look (subscribe deny list, allow_responses). */
  private watchDeliveries = false;
  private replies?: ReplyPermits;

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
    /** Undefined when INFO was already sent (before a TLS upgrade). */
    info: Buffer | undefined,
    /** The nonce INFO carried, for nkey users. */
    private readonly nonce?: string,
  ) {
    const o = host.options;
    this.parser = new Parser(this, o.maxPayload, o.maxControlLine);
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.parser.parse(chunk));
    socket.on('error', () => this.close('socket error'));
    socket.on('end', () => this.close('client closed'));
    socket.on('close', () => this.close('client closed'));
    if (info) socket.write(info);
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
    if (this.host.authRequired) {
      const identity = this.host.authenticate(connect, this.nonce);
      if (!identity) {
        const who = connect.nkey ?? connect.user;
        return this.fail(ProtocolErrors.authorization, who === undefined ? 'authorization violation' : `authorization violation, user ${JSON.stringify(who)}`);
      }
      this.login(identity);
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
    if (this.perms !== undefined && !this.mayPublish(this.perms, subject)) return this.violation(`Publish to ${quote(subject)}`);
    if (this.opts.verbose) this.send(OK);
    this.host.route(this, subject, reply, hdrLen, payload);
  }

  onSub(args: string[]): void {
    if (args.length !== 2 && args.length !== 3) return this.close('bad SUB arguments');
    const subject = args[0];
    const queue = args.length === 3 ? args[1] : undefined;
    const sid = args[args.length - 1];
    if (!isValidSubject(subject)) return this.send(`-ERR '${ProtocolErrors.invalidSubject}'\r\n`);
    if (this.perms !== undefined && !this.perms.canSubscribe(subject, queue)) {
      const what = queue === undefined ? quote(subject) : `${quote(subject)} using queue ${quote(queue)}`;
      return this.violation(`Subscription to ${what}`);
    }
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
    if (this.watchDeliveries) {
      if (this.perms!.filtersDeliveries && this.perms!.deliveryDenied(subject, sub.queue)) return;
      if (this.replies !== undefined && reply !== undefined) this.replies.received(reply);
    }
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

  private login(identity: Identity): void {
    this.user = identity.name;
    const perms = identity.permissions;
    this.perms = perms;
    this.replies = perms?.responses ? new ReplyPermits(perms.responses) : undefined;
    this.watchDeliveries = perms !== undefined && (perms.filtersDeliveries || this.replies !== undefined);
  }

  /**
   * A reply subject this connection received, else the user's publish lists. nats-server asks the lists
   * first; asking the permits first gives the same answers and spares a reply its sublist walk.
   */
  private mayPublish(perms: UserPermissions, subject: string): boolean {
    return (this.replies !== undefined && this.replies.use(subject)) || perms.canPublish(subject);
  }

  /** nats-server's 'Permissions Violation for ...': the connection stays open. */
  private violation(what: string): void {
    this.send(`-ERR 'Permissions Violation for ${what}'\r\n`);
    this.host.options.logger.warn(`embedded broker: client ${this.id} (user ${quote(this.user ?? '')}): Permissions Violation for ${what}`);
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

/** Go's %q for the subjects and queue names in -ERR texts (JSON's quoting agrees for printable ASCII). */
function quote(text: string): string {
  return JSON.stringify(text);
}
