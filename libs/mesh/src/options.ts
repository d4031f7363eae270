import type { ConnectionOptions } from 'nats';
import type { MeshTokenSigner } from './token/mesh-token';
import type { MeshVerifyOptions } from './token/verify-options';
import type { Registry } from 'prom-client';
import { identityInboxPrefix, isValidName } from '@nest-mesh/wire';

/**
 * Options of MeshModule and of the mesh transport: every nats.js connection option a
 * production service needs (servers, user/pass, token, tls, name, reconnect settings...)
 * plus the few of the mesh itself.
 */
export interface MeshOptions extends ConnectionOptions {
  /** Default timeout of `MeshClient.call`, in ms. Default 10000. */
  callTimeout?: number;
  /** Graceful stop: the longest closing waits for the calls in flight, in ms (it never waits past their deadlines). Default 10000. */
  gracePeriod?: number;
  /** The version each service announces to ADR-32 discovery (semver). Default '1.0.0'. */
  version?: string;
  /** Serving: verify the gateway's Mesh-Token before every handler (docs/security.md). Absent: not checked. */
  verify?: MeshVerifyOptions;
  /** Calling: signs the Mesh-Token of calls made outside a served call (the gateway's signer). */
  signer?: MeshTokenSigner;
  /** The prom-client registry where a server records `mesh_function_*` (docs/operations.md#metrics). Default: prom-client's `register`. */
  registry?: Registry;
}

/** The default of `MeshOptions.gracePeriod`, in ms. */
export const DEFAULT_GRACE_PERIOD = 10_000;
/** The default of `MeshOptions.version`. */
export const DEFAULT_VERSION = '1.0.0';

/**
 * The nats.js part of the options, with the mesh's defaults: keep reconnecting, forever; and no
 * async stack traces (`noAsyncTraces`), which cost two Error objects per request for a stack the
 * mesh never shows (its errors are MeshErrors with a status and a code). Both can be overridden.
 */
export function connectionOptions(options: MeshOptions, name: string): ConnectionOptions {
  checkServers(options.servers);
  const { callTimeout: _c, gracePeriod: _g, version: _v, verify: _t, signer: _s, registry: _r, ...nats } = options;
  const inboxPrefix = inboxPrefixOf(options);
  return { name, maxReconnectAttempts: -1, noAsyncTraces: true, ...nats, ...(inboxPrefix !== undefined && { inboxPrefix }) };
}

/**
 * Where a connection receives its replies: `inboxPrefix` when given; else, for a client that logs in
 * with a user name that is a mesh name (`user`, or the user of its first server URL), that
 * identity's own inbox `_INBOX.<user>`, the only one a service identity may subscribe to
 * (docs/security.md); else nats.js's `_INBOX`. An nkey identity sets `inboxPrefix` itself.
 */
export function inboxPrefixOf(options: MeshOptions): string | undefined {
  if (options.inboxPrefix !== undefined) return options.inboxPrefix;
  const user = options.user ?? userOfServer(options.servers);
  return isValidName(user) ? identityInboxPrefix(user) : undefined;
}

/** Server URLs without their credentials, and the credential they carried (docs/security.md). */
export interface ServerCredentials {
  servers: string[];
  user?: string;
  pass?: string;
  token?: string;
}

/**
 * The credential in NATS server URLs, the NATS convention: `nats://u:p@host:4222` gives user `u`
 * and password `p`; `nats://tok@host:4222` gives token `tok`. The first URL with a credential gives
 * it; every URL is returned without one. A comma-separated string is a list; a URL without a scheme
 * is read as `nats://`.
 */
export function serverCredentials(servers: string | string[]): ServerCredentials {
  const urls = (Array.isArray(servers) ? servers : servers.split(',')).map((url) => url.trim()).filter(Boolean);
  const result: ServerCredentials = { servers: [] };
  for (const url of urls) {
    const at = url.lastIndexOf('@');
    const scheme = url.indexOf('://');
    const start = scheme < 0 ? 0 : scheme + 3;
    if (at < start) {
      result.servers.push(url);
      continue;
    }
    result.servers.push(url.slice(0, start) + url.slice(at + 1));
    if (result.user !== undefined || result.token !== undefined) continue;
    const userinfo = url.slice(start, at);
    const colon = userinfo.indexOf(':');
    try {
      if (colon < 0) result.token = decodeURIComponent(userinfo);
      else {
        result.user = decodeURIComponent(userinfo.slice(0, colon));
        result.pass = decodeURIComponent(userinfo.slice(colon + 1));
      }
    } catch {
      // a malformed percent escape: no credential taken from this URL
    }
  }
  return result;
}

function userOfServer(servers: MeshOptions['servers']): string | undefined {
  if (servers === undefined) return undefined;
  const { user, token } = serverCredentials(Array.isArray(servers) ? servers.slice(0, 1) : servers.split(',').slice(0, 1));
  return user ?? token;
}

/** The URL schemes nats.js connects with; `host:port` without one is `nats://`. */
const NATS_SCHEMES = ['nats', 'tls'];

/**
 * Refuses a `servers` entry that names another protocol (`http://`, `ws://`...): nats.js would
 * drop the scheme and wait for ever for a NATS greeting from, say, the gateway's HTTP port.
 */
export function checkServers(servers: MeshOptions['servers']): void {
  for (const server of servers === undefined ? [] : Array.isArray(servers) ? servers : [servers]) {
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(server)?.[1].toLowerCase();
    if (scheme === undefined || NATS_SCHEMES.includes(scheme)) continue;
    throw new Error(
      `servers: "${withoutPassword(server)}" is not a NATS URL: give the broker's nats://host:port (or tls://), ` +
        'e.g. the "nest-mesh broker:" URL the gateway prints, not an HTTP address',
    );
  }
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}
