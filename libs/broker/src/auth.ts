/**
 * Who may connect, and with which permissions: the token, password users and nkey users, checked in
 * nats-server's order (server/auth.go): a CONNECT with an nkey is judged as an nkey user only, one with
 * a user name as that user only, else the token. Users are indexed once at start-up.
 */
import { KeyObject, timingSafeEqual } from 'node:crypto';
import type { ConnectOptions } from './connect';
import { BrokerConfigError } from './errors';
import { userNkeyPublicKey, verifyNonceSignature } from './nkey';
import { BrokerPermissions, UserPermissions } from './permissions';

/** A user of the broker: a name and password, or an nkey (public key "U..."), with optional permissions. */
export interface BrokerUser {
  user?: string;
  password?: string;
  nkey?: string;
  permissions?: BrokerPermissions;
}

/** A connection that passed authentication. */
export interface Identity {
  /** For log lines: the user name or the nkey (a public key), never a secret. */
  readonly name: string;
  /** Undefined: may do everything (the hot path then checks nothing). */
  readonly permissions?: UserPermissions;
}

interface PasswordUser {
  readonly password: Buffer;
  readonly identity: Identity;
}

interface NkeyUser {
  readonly key: KeyObject;
  readonly identity: Identity;
}

const TOKEN_IDENTITY: Identity = { name: 'token' };

export class Authenticator {
  private readonly token?: Buffer;
  private readonly passwords = new Map<string, PasswordUser>();
  private readonly nkeys = new Map<string, NkeyUser>();

  /** Throws an Error naming the entry when a user is malformed (as nats-server refuses its config). */
  constructor(token: string | undefined, users: readonly BrokerUser[] | undefined) {
    if (token !== undefined) this.token = Buffer.from(token, 'utf8');
    (users ?? []).forEach((u, i) => this.add(u, i));
  }

  get required(): boolean {
    return this.token !== undefined || this.passwords.size > 0 || this.nkeys.size > 0;
  }

  /** Whether INFO must carry a nonce (some user signs in with an nkey). */
  get needsNonce(): boolean {
    return this.nkeys.size > 0;
  }

  /** The identity a CONNECT proves, or undefined (Authorization Violation). */
  authenticate(connect: ConnectOptions, nonce: string | undefined): Identity | undefined {
    if (this.nkeys.size > 0 && connect.nkey !== undefined) {
      const user = this.nkeys.get(connect.nkey);
      if (!user || nonce === undefined || connect.sig === undefined) return undefined;
      return verifyNonceSignature(user.key, nonce, connect.sig) ? user.identity : undefined;
    }
    if (this.passwords.size > 0 && connect.user !== undefined && connect.user !== '') {
      const user = this.passwords.get(connect.user);
      if (!user || connect.pass === undefined) return undefined;
      return sameSecret(Buffer.from(connect.pass, 'utf8'), user.password) ? user.identity : undefined;
    }
    if (this.token !== undefined && connect.authToken !== undefined && sameSecret(Buffer.from(connect.authToken, 'utf8'), this.token)) {
      return TOKEN_IDENTITY;
    }
    return undefined;
  }

  private add(u: BrokerUser, index: number): void {
    const at = `embedded broker: users[${index}]`;
    if (typeof u !== 'object' || u === null) throw new BrokerConfigError(`${at} must be an object`);
    if (u.nkey !== undefined) {
      if (u.user !== undefined || u.password !== undefined) throw new BrokerConfigError(`${at}: nkey users take no user or password`);
      const key = typeof u.nkey === 'string' ? userNkeyPublicKey(u.nkey) : undefined;
      if (!key) throw new BrokerConfigError(`${at}: nkey is not a valid public user nkey (U...)`);
      if (this.nkeys.has(u.nkey)) throw new BrokerConfigError(`${at}: duplicate nkey ${u.nkey}`);
      this.nkeys.set(u.nkey, { key, identity: identity(u.nkey, u.permissions) });
      return;
    }
    if (typeof u.user !== 'string' || u.user === '') throw new BrokerConfigError(`${at} needs a user (with a password) or an nkey`);
    if (typeof u.password !== 'string') throw new BrokerConfigError(`${at}: user ${JSON.stringify(u.user)} needs a password`);
    if (this.passwords.has(u.user)) throw new BrokerConfigError(`${at}: duplicate user ${JSON.stringify(u.user)}`);
    this.passwords.set(u.user, { password: Buffer.from(u.password, 'utf8'), identity: identity(u.user, u.permissions) });
  }
}

function identity(name: string, permissions: BrokerPermissions | undefined): Identity {
  if (permissions === undefined) return { name };
  if (typeof permissions !== 'object' || permissions === null) throw new BrokerConfigError(`embedded broker: user ${JSON.stringify(name)}: permissions must be an object`);
  const compiled = new UserPermissions(permissions, `embedded broker: user ${JSON.stringify(name)}`);
  return { name, permissions: compiled.restricts ? compiled : undefined };
}

function sameSecret(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}
