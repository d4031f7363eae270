/**
 * EmbeddedBroker: an in-process server for the NATS client protocol (node: built-ins only).
 * It owns the listening socket, the clients, the subscription list, routing, and the per-tick flush.
 */
import { createServer, Server, Socket } from 'node:net';
import { Authenticator, Identity } from './auth';
import { Client, ClientHost } from './client';
import type { ConnectOptions } from './connect';
import { BrokerAddressInUseError } from './errors';
import { infoLine, infoPrefix, newServerId } from './info';
import { newNonce } from './nkey';
import { EmbeddedBrokerOptions, ResolvedBrokerOptions, resolveOptions } from './options';
import { Sublist } from './sublist';
import { Subscription } from './subscription';
import { TlsUpgrader } from './tls';

export class EmbeddedBroker implements ClientHost {
  readonly options: ResolvedBrokerOptions;
  readonly sublist = new Sublist<Subscription>();
  readonly authRequired: boolean;
  readonly serverId = newServerId();

  private server?: Server;
  private boundPort = 0;
  private info = '';
  private nextClientId = 1;
  private readonly clients = new Set<Client>();
  private dirty: Client[] = [];
  private flushScheduled = false;
  private readonly flushAll = (): void => this.flushDirty();
  private readonly auth: Authenticator;
  private readonly tls?: TlsUpgrader;

  /** Throws when a user, permission or the TLS material is malformed (naming which). */
  constructor(options?: EmbeddedBrokerOptions) {
    this.options = resolveOptions(options);
    this.auth = new Authenticator(this.options.token, this.options.users);
    this.authRequired = this.auth.required;
    if (this.options.tls) this.tls = new TlsUpgrader(this.options.tls);
  }

  get url(): string {
    return `nats://${this.options.host}:${this.port}`;
  }

  get port(): number {
    return this.boundPort || this.options.port;
  }

  /** Starts listening; rejects with BrokerAddressInUseError when the address is taken. */
  start(): Promise<this> {
    if (this.server) return Promise.resolve(this);
    const { host, port, logger } = this.options;
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    return new Promise<this>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        server.close();
        reject(err.code === 'EADDRINUSE' ? new BrokerAddressInUseError(host, port) : err);
      };
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        server.on('error', (err) => logger.error(`embedded broker: server error: ${err.message}`));
        const address = server.address();
        this.boundPort = typeof address === 'object' && address ? address.port : port;
        this.server = server;
        this.info = infoPrefix({
          serverId: this.serverId,
          serverName: this.options.serverName ?? this.serverId,
          host,
          port: this.boundPort,
          authRequired: this.authRequired,
          tlsRequired: this.tls !== undefined,
          tlsVerify: this.options.tls?.verifyClients === true,
          maxPayload: this.options.maxPayload,
        });
        logger.log(`embedded broker: listening on ${this.url}`);
        resolve(this);
      });
    });
  }

  /** Stops accepting, flushes and ends every client connection, resolves when all are closed. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const listening = new Promise<void>((resolve) => server.close(() => resolve()));
    this.tls?.close();
    const clients = [...this.clients];
    for (const client of clients) client.close('broker shutting down');
    await Promise.all([listening, ...clients.map((c) => c.whenClosed())]);
    this.options.logger.log(`embedded broker: closed ${this.url}`);
  }

  // ---- ClientHost ----

  authenticate(connect: ConnectOptions, nonce: string | undefined): Identity | undefined {
    return this.auth.authenticate(connect, nonce);
  }

  /** Every plain subscriber, plus one random member per queue group; no-responders when nobody got it. */
  route(from: Client, subject: string, reply: string | undefined, hdrLen: number, payload: Buffer): void {
    const result = this.sublist.match(subject);
    const echo = from.opts.echo;
    let delivered = false;
    const psubs = result.psubs;
    for (let i = 0; i < psubs.length; i++) {
      const sub = psubs[i];
      if (!echo && sub.client === from) continue;
      sub.client.deliver(sub, subject, reply, hdrLen, payload);
      delivered = true;
    }
    const qsubs = result.qsubs;
    for (let g = 0; g < qsubs.length; g++) {
      const members = qsubs[g];
      const n = members.length;
      const start = n === 1 ? 0 : Math.floor(Math.random() * n);
      for (let k = 0; k < n; k++) {
        const sub = members[(start + k) % n];
        if ((!echo && sub.client === from) || sub.client.closed) continue;
        sub.client.deliver(sub, subject, reply, hdrLen, payload);
        delivered = true;
        break;
      }
    }
    if (!delivered && reply !== undefined && from.opts.noResponders && from.opts.headers) from.noResponders(reply);
  }

  markDirty(client: Client): void {
    client.dirty = true;
    this.dirty.push(client);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushAll);
    }
  }

  clientClosed(client: Client, reason: string): void {
    if (!this.clients.delete(client)) return;
    const line = `embedded broker: client ${client.id} closed (${reason})`;
    if (reason === 'slow consumer' || reason === 'stale connection') this.options.logger.warn(line);
    else this.options.logger.log(line);
  }

  private accept(socket: Socket): void {
    if (!this.server) {
      socket.destroy();
      return;
    }
    const id = this.nextClientId++;
    const ip = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const nonce = this.auth.needsNonce ? newNonce() : undefined;
    const info = infoLine(this.info, id, ip, nonce);
    const logger = this.options.logger;
    if (!this.tls) {
      this.clients.add(new Client(id, socket, this, info, nonce));
      logger.log(`embedded broker: client ${id} connected from ${ip}`);
      return;
    }
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    socket.write(info);
    this.tls.upgrade(socket, (error, secure) => {
      if (error || !secure) return logger.warn(`embedded broker: client ${id} from ${ip} closed: TLS handshake failed (${error?.message})`);
      if (!this.server) return void secure.destroy();
      this.clients.add(new Client(id, secure, this, undefined, nonce));
      logger.log(`embedded broker: client ${id} connected from ${ip} (TLS)`);
    });
  }

  private flushDirty(): void {
    this.flushScheduled = false;
    const dirty = this.dirty;
    this.dirty = [];
    for (let i = 0; i < dirty.length; i++) dirty[i].flush();
  }
}
