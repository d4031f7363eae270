/** Options of the embedded broker; defaults follow nats-server 2.9. Plain data, so they can cross to a worker thread. */
import type { BrokerUser } from './auth';
import type { BrokerTlsOptions } from './tls';

export interface BrokerLogger {
  log(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface EmbeddedBrokerOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 4222; 0 = any free port. */
  port?: number;
  /** Optional auth_token every client must send. */
  token?: string;
  /** Users (user/password or nkey), each with optional permissions; see docs/security.md. */
  users?: BrokerUser[];
  /** TLS on every connection (upgraded right after INFO, as nats-server does). */
  tls?: BrokerTlsOptions;
  /** Largest payload a client may publish, sent in INFO. Default 1 MiB. */
  maxPayload?: number;
  /** Longest protocol line argument. Default 4096. */
  maxControlLine?: number;
  /** Server PING interval. Default 120000 (nats-server's 2m). */
  pingIntervalMs?: number;
  /** PINGs without PONG before 'Stale Connection'. Default 2. */
  maxPingsOut?: number;
  /** Time to send a good CONNECT when auth is on. Default 2000. */
  authTimeoutMs?: number;
  /** Per-client outbound bytes before 'Slow Consumer'. Default 64 MiB. */
  maxPendingBytes?: number;
  serverName?: string;
  /** Silent when absent. One line per event, never payloads or secrets. */
  logger?: BrokerLogger;
}

export type ResolvedBrokerOptions = Required<Omit<EmbeddedBrokerOptions, 'token' | 'users' | 'tls' | 'serverName'>> &
  Pick<EmbeddedBrokerOptions, 'token' | 'users' | 'tls' | 'serverName'>;

const silent: BrokerLogger = { log() {}, warn() {}, error() {} };

export function resolveOptions(options: EmbeddedBrokerOptions = {}): ResolvedBrokerOptions {
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 4222,
    token: options.token,
    users: options.users,
    tls: options.tls,
    maxPayload: options.maxPayload ?? 1024 * 1024,
    maxControlLine: options.maxControlLine ?? 4096,
    pingIntervalMs: options.pingIntervalMs ?? 120_000,
    maxPingsOut: options.maxPingsOut ?? 2,
    authTimeoutMs: options.authTimeoutMs ?? 2000,
    maxPendingBytes: options.maxPendingBytes ?? 64 * 1024 * 1024,
    serverName: options.serverName,
    logger: options.logger ?? silent,
  };
}
