/**
 * The broker's users in nats-server's config syntax, so that a real nats-server enforces exactly
 * what the embedded broker does (tested by running both with the output, test/broker/targets.ts).
 * One field per line, as an operator reads it. Values are JSON strings and lists, which
 * nats-server reads; only allow_responses.expires differs (ms here, a duration string there).
 */
import type { BrokerUser } from './auth';
import type { BrokerPermissions, SubjectPermission } from './permissions';

export interface NatsAuthorizationOptions {
  token?: string;
  /** nats-server's authorization timeout (ms here; seconds there). */
  authTimeoutMs?: number;
  /**
   * Users (by name) whose password nats-server reads from an environment variable instead of the
   * file: `password: $NAME`, e.g. a credential made at deployment time.
   */
  passwordFromEnv?: Readonly<Record<string, string>>;
}

/** An `authorization { ... }` block for a nats-server config file. */
export function natsServerAuthorization(users: readonly BrokerUser[] | undefined, options: NatsAuthorizationOptions = {}): string {
  const lines: string[] = [];
  if (options.token !== undefined) lines.push(`token: ${quote(options.token)}`);
  if (users && users.length > 0) {
    lines.push('users = [', ...users.flatMap((user) => natsUser(user, options.passwordFromEnv ?? {})).map((line) => `  ${line}`), ']');
  }
  if (options.authTimeoutMs !== undefined) lines.push(`timeout: ${options.authTimeoutMs / 1000}`);
  return `authorization {\n${lines.map((line) => `  ${line}`).join('\n')}\n}\n`;
}

/** One user as a nats-server map, one field per line (newlines separate fields in its syntax). */
function natsUser(user: BrokerUser, passwordFromEnv: Readonly<Record<string, string>>): string[] {
  const login: string[] = [];
  if (user.nkey !== undefined) login.push(`nkey: ${quote(user.nkey)}`);
  if (user.user !== undefined) login.push(`user: ${quote(user.user)}`);
  const variable = user.user === undefined ? undefined : passwordFromEnv[user.user];
  if (variable !== undefined) login.push(`password: $${variable}`);
  else if (user.password !== undefined) login.push(`password: ${quote(user.password)}`);
  if (user.permissions === undefined) return [`{ ${login.join(', ')} }`];
  return ['{', `  ${login.join(', ')}`, '  permissions: {', ...natsPermissions(user.permissions).map((line) => `    ${line}`), '  }', '}'];
}

function natsPermissions(permissions: BrokerPermissions): string[] {
  const lines: string[] = [];
  for (const key of ['publish', 'subscribe'] as const) {
    const value = permissions[key];
    if (value !== undefined) lines.push(`${key}: ${subjects(value)}`);
  }
  const responses = permissions.allow_responses;
  if (typeof responses === 'boolean') lines.push(`allow_responses: ${responses}`);
  else if (responses !== undefined) {
    const parts: string[] = [];
    if (responses.max !== undefined) parts.push(`max: ${responses.max}`);
    if (responses.expires !== undefined) parts.push(`expires: ${quote(`${responses.expires}ms`)}`);
    lines.push(`allow_responses: { ${parts.join(', ')} }`);
  }
  return lines;
}

function subjects(value: SubjectPermission): string {
  if (typeof value === 'string' || Array.isArray(value)) return list(value);
  const parts = (['allow', 'deny'] as const).filter((part) => value[part] !== undefined).map((part) => `${part}: ${list(value[part]!)}`);
  return `{ ${parts.join(', ')} }`;
}

function list(value: string | readonly string[]): string {
  return `[${(typeof value === 'string' ? [value] : value).map(quote).join(', ')}]`;
}

/** A double-quoted string of nats-server's config syntax (JSON's escapes are understood). */
function quote(text: string): string {
  return JSON.stringify(text);
}
