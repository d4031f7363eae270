import { randomBytes } from 'node:crypto';
import { GATEWAY_USER, GatewayCredential } from './broker-users';

/** A new credential for the gateway on its embedded broker: made at each start, never written anywhere. */
export function newGatewayCredential(): GatewayCredential {
  return { user: GATEWAY_USER, password: randomBytes(24).toString('base64url') };
}

/** `conn` split into server URLs without credentials and the credential they carried (docs/security.md). */
export interface ConnServers {
  servers: string[];
  user?: string;
  pass?: string;
  token?: string;
}

/**
 * nats.js ignores `user:pass@` in server URLs, so the gateway takes them out: `nats://u:p@host:4222`
 * gives user `u`, password `p`; `nats://tok@host:4222` gives token `tok` (the NATS convention).
 * The first URL with a credential gives it; every URL is passed on without one.
 */
export function connServers(conn: string | string[]): ConnServers {
  const urls = (Array.isArray(conn) ? conn : conn.split(',')).map((url) => url.trim()).filter(Boolean);
  const result: ConnServers = { servers: [] };
  let found = false;
  for (const url of urls) {
    const at = url.lastIndexOf('@');
    const scheme = url.indexOf('://');
    if (at < 0 || scheme < 0 || at < scheme) {
      result.servers.push(url);
      continue;
    }
    const userinfo = url.slice(scheme + 3, at);
    result.servers.push(url.slice(0, scheme + 3) + url.slice(at + 1));
    if (found) continue;
    found = true;
    const colon = userinfo.indexOf(':');
    if (colon < 0) result.token = decodeURIComponent(userinfo);
    else {
      result.user = decodeURIComponent(userinfo.slice(0, colon));
      result.pass = decodeURIComponent(userinfo.slice(colon + 1));
    }
  }
  return result;
}
