import { EMIT_SUBJECT, QUEUE_GROUP, StreamInbox, streamSubjects, SUBJECT_PREFIX } from '@nest-mesh/wire';
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

/**
 * What a service identity may do (docs/security.md#service-identities): serve its own functions in queue group `q`,
 * answer discovery, answer each request it received once (allow_responses: true, nats-server's defaults), receive
 * the replies of its own calls on its own inbox `_INBOX.<name>.>` (not other callers' replies), publish to the
 * functions its `calls` name (and, with `emit`, to the gateways' event queue `$MESH.events.queue`), and to every
 * client's stream subjects (docs/protocol.md#inboxes): the items of a stream it was asked for go to `_INBOX.*.s.>`,
 * the credits and cancel of a stream it reads to `_INBOX.*.c.>`. A stream needs no allow_responses beyond one
 * answer, so the broker forgets a plain call's reply subject once it is answered (docs/security.md#what-the-broker-keeps).
 */
export function servicePermissions(name: string, calls: readonly string[], emit = false): BrokerPermissions {
  const calling = [...calls.map((call) => `${SUBJECT_PREFIX}.${call}`), ...(emit ? [EMIT_SUBJECT] : [])];
  return {
    publish: { allow: [...calling, streamSubjects(StreamInbox.items), streamSubjects(StreamInbox.control)] },
    subscribe: { allow: [`${SUBJECT_PREFIX}.${name}.* ${QUEUE_GROUP}`, ...discoverySubjects(name), `${identityInboxPrefix(name)}.>`] },
    allow_responses: true,
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
