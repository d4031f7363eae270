import { randomUUID } from 'node:crypto';
import { createInbox } from 'nats';
import { INBOX_PREFIX, StreamInboxKind } from '@nest-mesh/wire';

/**
 * The prefix of one connection's stream subjects of `kind` (docs/protocol.md#inboxes), to which a
 * stream's token is appended: `<own inbox>.<kind>.<nuid>.`, the own inbox being `inboxPrefix`
 * (`_INBOX.<name>` for a mesh identity) or, for a client without one, `_INBOX.<nuid>`.
 */
export function streamInboxPrefix(inboxPrefix: string | undefined, kind: StreamInboxKind): string {
  const own = inboxPrefix === undefined || inboxPrefix === INBOX_PREFIX ? createInbox() : inboxPrefix;
  return `${createInbox(`${own}.${kind}`)}.`;
}

/**
 * The last token of one stream's subject: 122 random bits. Service identities may publish to any
 * stream subject they know (docs/security.md), so a stream's subject must tell nothing of another's
 * (a counter or a nuid would: the next one is easy to guess).
 */
export function streamToken(): string {
  return randomUUID();
}
