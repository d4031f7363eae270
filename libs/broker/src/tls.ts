/**
 * TLS for the embedded broker, as nats-server does it: the INFO line goes out in plain text
 * (with tls_required), then the same connection is upgraded by a server-side TLS handshake.
 * A tls.Server that never listens does the handshakes (it is handed each socket), so OpenSSL checks
 * client certificates; a handshake that does not finish within handshakeTimeoutMs is closed.
 */
import type { Socket } from 'node:net';
import { createServer, Server as TlsServer, TLSSocket } from 'node:tls';
import { BrokerConfigError } from './errors';

export interface BrokerTlsOptions {
  /** PEM contents (not paths) of the server certificate (chain) and its private key. */
  cert: string;
  key: string;
  /** PEM of the CA(s) that client certificates must chain to (with verifyClients). */
  ca?: string;
  /** Require a client certificate signed by `ca`. Default false. */
  verifyClients?: boolean;
  /** Default 2000 (nats-server's tls timeout of 2 s). */
  handshakeTimeoutMs?: number;
}

/** Called once per upgraded connection, with the error when the handshake failed. */
export type UpgradeDone = (error: Error | undefined, secure?: TLSSocket) => void;

interface Pending {
  readonly raw: Socket;
  readonly done: UpgradeDone;
  readonly timer: NodeJS.Timeout;
}

export const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 2000;

export class TlsUpgrader {
  private readonly server: TlsServer;
  private readonly timeoutMs: number;
  /** Handshakes under way, by the peer's address and port (unique among open connections). */
  private readonly pending = new Map<string, Pending>();

  constructor(options: BrokerTlsOptions) {
    const verify = options.verifyClients === true;
    if (verify && !options.ca) throw new BrokerConfigError('embedded broker: tls.verifyClients needs tls.ca');
    this.timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS;
    if (!(this.timeoutMs > 0) || !Number.isFinite(this.timeoutMs)) {
      throw new BrokerConfigError('embedded broker: tls.handshakeTimeoutMs must be a positive number');
    }
    try {
      this.server = createServer({
      cert: options.cert,
      key: options.key,
      ca: options.ca,
      requestCert: verify,
      rejectUnauthorized: verify,
      handshakeTimeout: this.timeoutMs,
      });
    } catch (error) {
      throw new BrokerConfigError(`embedded broker: tls: ${(error as Error).message}`);
    }
    this.server.on('secureConnection', (secure: TLSSocket) => {
      const entry = this.take(secure);
      if (entry) entry.done(undefined, secure);
      else secure.destroy();
    });
    this.server.on('tlsClientError', (error: Error, secure: TLSSocket) => {
      secure.destroy();
      this.take(secure)?.done(error);
    });
  }

  /** Starts the handshake on a socket that has been sent INFO; `done` is called exactly once. */
  upgrade(raw: Socket, done: UpgradeDone): void {
    const key = keyOf(raw);
    const timer = setTimeout(() => {
      if (this.pending.get(key)?.raw !== raw) return;
      this.pending.delete(key);
      raw.destroy();
      done(new Error('TLS handshake timeout'));
    }, this.timeoutMs);
    timer.unref();
    this.pending.set(key, { raw, done, timer });
    raw.once('close', () => {
      const entry = this.pending.get(key);
      if (entry?.raw !== raw) return;
      this.pending.delete(key);
      clearTimeout(entry.timer);
      done(new Error('connection closed during the TLS handshake'));
    });
    this.server.emit('connection', raw);
  }

  /** Ends every handshake under way. */
  close(): void {
    for (const entry of [...this.pending.values()]) entry.raw.destroy();
  }

  private take(secure: TLSSocket): Pending | undefined {
    const key = keyOf(secure);
    const entry = this.pending.get(key);
    if (!entry) return undefined;
    this.pending.delete(key);
    clearTimeout(entry.timer);
    return entry;
  }
}

function keyOf(socket: Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}
