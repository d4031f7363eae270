/**
 * The broker's users in nats-server's config syntax, so that a real nats-server enforces exactly
 * what the embedded broker does (tested by running both with the output, test/broker/targets.ts).
 * nats-server reads JSON values in its config; only allow_responses.expires differs (ms here, a
 * duration string there).
 */
import type { BrokerUser } from './auth';
import type { BrokerPermissions } from './permissions';

export interface NatsAuthorizationOptions {
  token?: string;
  /** nats-server's authorization timeout (ms here; seconds there). */
  authTimeoutMs?: number;
}

/** An `authorization { ... }` block for a nats-server config file. */
export function natsServerAuthorization(users: readonly BrokerUser[] | undefined, options: NatsAuthorizationOptions = {}): string {
  const lines: string[] = [];
  if (options.token !== undefined) lines.push(`token: ${JSON.stringify(options.token)}`);
  if (users && users.length > 0) lines.push(`users: [\n    ${users.map(natsUser).join(',\n    ')}\n  ]`);
  if (options.authTimeoutMs !== undefined) lines.push(`timeout: ${options.authTimeoutMs / 1000}`);
  return `authorization {\n  ${lines.join('\n  ')}\n}\n`;
}

function natsUser(u: BrokerUser): string {
  const entry: Record<string, unknown> = {};
  if (u.user !== undefined) entry.user = u.user;
  if (u.password !== undefined) entry.password = u.password;
  if (u.nkey !== undefined) entry.nkey = u.nkey;
  if (u.permissions !== undefined) entry.permissions = natsPermissions(u.permissions);
  return JSON.stringify(entry);
}

function natsPermissions(p: BrokerPermissions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.publish !== undefined) out.publish = p.publish;
  if (p.subscribe !== undefined) out.subscribe = p.subscribe;
  const r = p.allow_responses;
  if (typeof r === 'object' && r !== null) {
    const responses: Record<string, unknown> = {};
    if (r.max !== undefined) responses.max = r.max;
    if (r.expires !== undefined) responses.expires = `${r.expires}ms`;
    out.allow_responses = responses;
  } else if (r !== undefined) {
    out.allow_responses = r;
  }
  return out;
}
