import { isValidName } from './names';

/**
 * The NATS subjects of the mesh (docs/protocol.md): a function is served on
 * `mesh.<service>.<func>` in queue group `q`, as a NATS micro service (ADR-32).
 */

/** Every function lives under this subject prefix: `mesh.<service>.<func>`. */
export const SUBJECT_PREFIX = 'mesh';

/** Instances of a service share the load through this queue group (the ADR-32 default). */
export const QUEUE_GROUP = 'q';

/**
 * Where backends queue events (`MeshClient.emit`); the gateways serve it in queue group `q`. `$MESH`
 * is not a valid service name, so it can never be a function's subject (docs/protocol.md).
 */
export const EMIT_SUBJECT = '$MESH.events.queue';

/** The first token of every reply subject of the mesh (nats.js's default `inboxPrefix`). */
export const INBOX_PREFIX = '_INBOX';

/**
 * Where a mesh identity `<name>` receives the replies to its calls: `_INBOX.<name>.>`, and nowhere
 * else, so that no identity reads replies meant for another (docs/security.md).
 */
export function identityInboxPrefix(name: string): string {
  return `${INBOX_PREFIX}.${name}`;
}

/**
 * The third token of a stream's subjects (docs/protocol.md#inboxes): a caller reads its streams on
 * `_INBOX.<id>.s.<...>`, a service hears the credits and cancels of the streams it sends on
 * `_INBOX.<id>.c.<...>`, `_INBOX.<id>` being the client's own inbox (`<id>`: its identity's name,
 * or a nuid). The replies of plain calls never have it, so a service identity may publish to every
 * stream subject it is given (`streamSubjects`) and still answer a plain call only once (docs/security.md).
 */
export const StreamInbox = { items: 's', control: 'c' } as const;
export type StreamInboxKind = (typeof StreamInbox)[keyof typeof StreamInbox];

/** Every client's stream subjects of `kind`, as a permission subject: `_INBOX.*.s.>` or `_INBOX.*.c.>`. */
export function streamSubjects(kind: StreamInboxKind): string {
  return `${INBOX_PREFIX}.*.${kind}.>`;
}

/** The subject of a function; the names must already be valid (see `isValidName`). */
export function subjectFor(service: string, func: string): string {
  return `${SUBJECT_PREFIX}.${service}.${func}`;
}

/** `{ service, func }` of a mesh subject, or undefined when the subject is not one. */
export function parseSubject(subject: string): { service: string; func: string } | undefined {
  const parts = subject.split('.');
  if (parts.length !== 3 || parts[0] !== SUBJECT_PREFIX) return undefined;
  const [, service, func] = parts;
  return isValidName(service) && isValidName(func) ? { service, func } : undefined;
}
