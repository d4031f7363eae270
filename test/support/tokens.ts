import { SignJWT } from 'jose';
import { JWT_SECRET } from './mesh';

export interface TokenOptions {
  /** The HS256 key; the suites' JWT_SECRET by default. */
  secret?: string | Uint8Array;
  /** jose's expiration time: a span such as '10m' (the default), or seconds since the epoch. */
  expiresIn?: string | number;
}

/** A caller's token for the gateway: `claims` (`{sub: 'ada'}` by default), HS256, issued now. */
export function signToken(claims: Record<string, unknown> = { sub: 'ada' }, options: TokenOptions = {}): Promise<string> {
  const secret = options.secret ?? JWT_SECRET;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '10m')
    .sign(typeof secret === 'string' ? new TextEncoder().encode(secret) : secret);
}
