import { DEFAULT_STREAM_TIMEOUT_MS, EMIT_SUBJECT, QUEUE_GROUP, SUBJECT_PREFIX } from '@nest-mesh/wire';
import { identityInboxPrefix } from 'nest-mesh';
import type { GatewayConfig } from '../config/gateway-config';
import type { BrokerPermissions, BrokerUser } from '@nest-mesh/broker';

/** Broker users in nats-server's shape, as the embedded broker takes them (docs/security.md). */
export type { BrokerPermissions, BrokerUser };

/** The user the gateway logs in as, unless the `conn` URL names another. */
export const GATEWAY_USER = 'nest-mesh-gateway';

/** The gateway's own credential on the broker. */
export interface GatewayCredential {
  user: string;
  password: string;
}

/** The `$SRV` discovery subjects an ADR-32 service named `name` subscribes to (nats.js `services.add`). */
export function discoverySubjects(name: string): string[] {
  return ['PING', 'INFO', 'STATS'].flatMap((verb) => [`$SRV.${verb}`, `$SRV.${verb}.${name}`, `$SRV.${verb}.${name}.*`]);
}

/** How much longer than the longest stream a reply subject stays answerable (clocks of callers and services differ). */
const RESPONSE_MARGIN_MS = 60_000;

/**
 * allow_responses of a service identity (nats-server semantics: server/client.go): any number of
 * messages (`max: -1`) to a reply subject it received, for as long as a stream may last
 * (docs/protocol.md#streams), so that a service can send a whole stream to the request it received
 * and a caller can send credits and a cancel to the stream's control subject, the `reply` of the
 * stream's messages. The broker remembers each reply subject for `expires` (docs/security.md).
 */
export function responsePermission(streamTimeout = DEFAULT_STREAM_TIMEOUT_MS): { max: number; expires: number } {
  return { max: -1, expires: streamTimeout + RESPONSE_MARGIN_MS };
}

/**
 * What a service identity may do (docs/security.md#service-identities): serve its own functions in queue group `q`,
 * answer discovery, reply to the requests it received (allow_responses, a whole stream too), receive the replies of its
 * own calls on its own inbox `_INBOX.<name>.>` (not other callers' replies), and publish only to the functions its `calls` name (and, with
 * `emit`, to the gateways' event queue `$MESH.events.queue`).
 */
export function servicePermissions(name: string, calls: readonly string[], emit = false, streamTimeout = DEFAULT_STREAM_TIMEOUT_MS): BrokerPermissions {
  const allowed = [...calls.map((call) => `${SUBJECT_PREFIX}.${call}`), ...(emit ? [EMIT_SUBJECT] : [])];
  return {
    // An empty allow list means "anything" to nats-server: nothing allowed must be an explicit deny.
    publish: allowed.length > 0 ? { allow: allowed } : { deny: ['>'] },
    subscribe: { allow: [`${SUBJECT_PREFIX}.${name}.* ${QUEUE_GROUP}`, ...discoverySubjects(name), `${identityInboxPrefix(name)}.>`] },
    allow_responses: responsePermission(streamTimeout),
  };
}

/** The users of `embedded.users` and of the service identities (everyone but the gateway). */
export function meshUsers(config: GatewayConfig): BrokerUser[] {
  const functions = config.modules.functions;
  const users: BrokerUser[] = (functions.embedded.users ?? []).map(({ user, password, nkey, permissions }) =>
    strip({ user, password, nkey, permissions: permissions && strip({ ...permissions }) }),
  );
  for (const [name, identity] of functions.services ?? []) {
    const login = identity.nkey !== undefined ? { nkey: identity.nkey } : { user: name, password: identity.password };
    users.push({ ...login, permissions: servicePermissions(name, identity.calls, config.modules.eventing.enabled) });
  }
  return users;
}

/**
 * Every user of the broker: the gateway (no permissions: it may call every function, answer
 * discovery and run triggers), then `meshUsers`. What the embedded broker's `users` option takes.
 */
export function deriveBrokerUsers(config: GatewayConfig, gateway: GatewayCredential): BrokerUser[] {
  return [{ user: gateway.user, password: gateway.password }, ...meshUsers(config)];
}

/** True when the broker must check logins: `embedded.users` or `services` are set. */
export function hasIdentities(config: GatewayConfig): boolean {
  const functions = config.modules.functions;
  return (functions.embedded.users?.length ?? 0) > 0 || (functions.services?.size ?? 0) > 0;
}

function strip<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}
