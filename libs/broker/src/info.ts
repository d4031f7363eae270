/** The INFO line a client receives on connect, with nats-server's field order. */
import { randomInt } from 'node:crypto';

/** The nats-server version whose protocol the broker speaks (clients use it to detect features). */
export const PROTOCOL_VERSION = '2.9.10';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A server id shaped like nats-server's: 'N' and 55 base32 characters. */
export function newServerId(): string {
  let id = 'N';
  for (let i = 0; i < 55; i++) id += BASE32[randomInt(32)];
  return id;
}

export interface InfoFields {
  serverId: string;
  serverName: string;
  host: string;
  port: number;
  authRequired: boolean;
  tlsRequired: boolean;
  tlsVerify: boolean;
  maxPayload: number;
}

/** Everything but client_id, client_ip and nonce, which infoLine appends per client. */
export function infoPrefix(f: InfoFields): string {
  const info: Record<string, unknown> = {
    server_id: f.serverId,
    server_name: f.serverName,
    version: PROTOCOL_VERSION,
    proto: 1,
    go: `node${process.versions.node}`,
    host: f.host,
    port: f.port,
    headers: true,
  };
  if (f.authRequired) info.auth_required = true;
  if (f.tlsRequired) info.tls_required = true;
  if (f.tlsVerify) info.tls_verify = true;
  info.max_payload = f.maxPayload;
  return JSON.stringify(info).slice(0, -1);
}

export function infoLine(prefix: string, clientId: number, clientIp: string, nonce: string | undefined): Buffer {
  const tail = nonce === undefined ? '' : `,"nonce":"${nonce}"`;
  return Buffer.from(`INFO ${prefix},"client_id":${clientId},"client_ip":${JSON.stringify(clientIp)}${tail}} \r\n`, 'utf8');
}
