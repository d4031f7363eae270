import { KeyObject } from 'node:crypto';
import { JWTPayload, JWTVerifyOptions, KeyLike, createRemoteJWKSet, decodeProtectedHeader, importSPKI, importX509, jwtVerify } from 'jose';
import { DEFAULT_TOKEN_CACHE_SIZE, freezeClaims, isCanonicalJws, joseRefusal, printable, TokenCache } from 'nest-mesh/internal';
import type { AsymmetricAlg, TokenSettings } from '../config/token-settings';
import { MIN_SECRET_BYTES, SECRET_TOO_SHORT } from '../config/validators';
import { Claims, TokenError, TokenSettingsError } from './token-errors';


export interface TokenVerifierOptions {
  /** Verified tokens kept (default 10000; 0 turns the cache off). */
  cacheSize?: number;
  /** Longest a verified token is trusted without verifying again (default 60000 ms). */
  cacheMaxAgeMs?: number;
  /** Clock for the cache (tests). */
  now?: () => number;
}

/** Longest `Authorization` token accepted, in characters. */
export const MAX_TOKEN_LENGTH = 16384;

type RemoteKeys = ReturnType<typeof createRemoteJWKSet>;

interface PublicKey {
  readonly kid: string | undefined;
  readonly key: KeyLike;
}

const ASYMMETRIC: readonly AsymmetricAlg[] = ['RS256', 'ES256'];

export class TokenVerifier {
  private constructor(
    private readonly secret: Uint8Array | undefined,
    private readonly publicKeys: ReadonlyMap<string, readonly PublicKey[]>,
    private readonly jwks: { readonly keys: RemoteKeys; readonly algorithms: readonly AsymmetricAlg[] } | undefined,
    private readonly claimChecks: Omit<JWTVerifyOptions, 'algorithms'>,
    private readonly cache: TokenCache<Claims>,
    private readonly now: () => number,
  ) {}

  /** Validates the settings and imports the PEM keys once. Throws TokenSettingsError naming the setting. */
  static async create(settings: TokenSettings, options: TokenVerifierOptions = {}): Promise<TokenVerifier> {
    let secret: Uint8Array | undefined;
    if (settings.secret !== undefined) {
      if (typeof settings.secret !== 'string') throw new TokenSettingsError('secret: must be a string');
      if (Buffer.byteLength(settings.secret, 'utf8') < MIN_SECRET_BYTES) throw new TokenSettingsError(`secret: ${SECRET_TOO_SHORT}`);
      secret = new TextEncoder().encode(settings.secret);
    }

    const publicKeys = new Map<string, PublicKey[]>();
    for (const [i, entry] of (settings.publicKeys ?? []).entries()) {
      const at = `auth.publicKeys.${i}`;
      if (!ASYMMETRIC.includes(entry.alg)) throw new TokenSettingsError(`${at}.alg: must be RS256 or ES256`);
      if (entry.kid !== undefined && (typeof entry.kid !== 'string' || entry.kid.length === 0)) {
        throw new TokenSettingsError(`${at}.kid: must be a non-empty string`);
      }
      const key = await importPublicKey(entry.pem, entry.alg, `${at}.pem`);
      const list = publicKeys.get(entry.alg) ?? [];
      list.push({ kid: entry.kid, key });
      publicKeys.set(entry.alg, list);
    }

    let jwks: { keys: RemoteKeys; algorithms: AsymmetricAlg[] } | undefined;
    if (settings.jwks !== undefined) {
      const { url, algorithms = [...ASYMMETRIC], cacheMaxAgeMs, timeoutMs, cooldownMs } = settings.jwks;
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new TokenSettingsError('auth.jwks.url: not a URL');
      }
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
        throw new TokenSettingsError('auth.jwks.url: must be http or https');
      }
      if (algorithms.length === 0 || algorithms.some((alg) => !ASYMMETRIC.includes(alg))) {
        throw new TokenSettingsError('auth.jwks.algorithms: must list RS256 and/or ES256');
      }
      for (const [name, value] of [['cacheMaxAge', cacheMaxAgeMs], ['timeout', timeoutMs], ['cooldown', cooldownMs]] as const) {
        if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
          throw new TokenSettingsError(`auth.jwks.${name}: must be a whole number of milliseconds`);
        }
      }
      const keys = createRemoteJWKSet(parsed, {
        cacheMaxAge: cacheMaxAgeMs,
        timeoutDuration: timeoutMs,
        cooldownDuration: cooldownMs,
      });
      jwks = { keys, algorithms: [...algorithms] };
    }

    const tolerance = settings.clockToleranceSec ?? 0;
    if (!(typeof tolerance === 'number' && Number.isFinite(tolerance) && tolerance >= 0)) {
      throw new TokenSettingsError('auth.clockTolerance: must be a number of seconds >= 0');
    }
    const { audience, issuer, requireExp = true } = settings;
    for (const [name, list] of [['audience', audience], ['issuer', issuer]] as const) {
      if (list !== undefined && !(Array.isArray(list) && list.length > 0 && list.every((item) => typeof item === 'string' && item.length > 0))) {
        throw new TokenSettingsError(`auth.${name}: must be a non-empty string or a non-empty list of them`);
      }
    }
    if (typeof requireExp !== 'boolean') throw new TokenSettingsError('auth.requireExp: must be true or false');
    const claimChecks = {
      clockTolerance: tolerance,
      audience: audience && [...audience],
      issuer: issuer && [...issuer],
      requiredClaims: requireExp ? ['exp'] : undefined,
    };
    const cache = new TokenCache<Claims>(options.cacheSize ?? DEFAULT_TOKEN_CACHE_SIZE, options.cacheMaxAgeMs ?? 60_000);
    return new TokenVerifier(secret, publicKeys, jwks, claimChecks, cache, options.now ?? Date.now);
  }

  /** undefined when no Authorization header was sent; the verified claims; or throws TokenError. */
  async verify(authorization: string | undefined): Promise<Claims | undefined> {
    if (authorization === undefined) return undefined;
    const token = bearerToken(authorization);
    const cached = this.cache.get(token, this.now());
    if (cached !== undefined) return cached;
    const claims = freezeClaims(await this.verifyToken(token)) as Claims;
    const exp = claims.exp;
    this.cache.set(token, claims, this.now(), typeof exp === 'number' ? exp * 1000 : Infinity);
    return claims;
  }

  private async verifyToken(token: string): Promise<JWTPayload> {
    // jose would also take padding, '+', '/' and non-zero unused bits: one token, one spelling.
    if (!isCanonicalJws(token)) throw new TokenError('malformed token (not canonical base64url)');
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new TokenError('malformed token');
    }
    const alg = header.alg;
    if (alg === 'HS256' && this.secret !== undefined) return this.check(token, this.secret, alg);
    if (alg === 'RS256' || alg === 'ES256') {
      const candidates = (this.publicKeys.get(alg) ?? []).filter(
        (k) => k.kid === undefined || header.kid === undefined || k.kid === header.kid,
      );
      let lastFailure: TokenError | undefined;
      for (const candidate of candidates) {
        try {
          return await this.check(token, candidate.key, alg);
        } catch (error) {
          // Another key of the same alg may have signed it; any other failure (expired, ...) is final.
          if (!(error instanceof TokenError) || error.message !== BAD_SIGNATURE) throw error;
          lastFailure = error;
        }
      }
      if (this.jwks !== undefined && this.jwks.algorithms.includes(alg)) return this.check(token, this.jwks.keys, alg);
      if (lastFailure !== undefined) throw lastFailure;
      if (this.publicKeys.has(alg)) throw new TokenError(`no configured ${alg} key has kid ${printable(header.kid)}`);
    }
    throw new TokenError(`algorithm ${printable(alg)} is not allowed`);
  }

  private async check(token: string, key: KeyLike | Uint8Array | RemoteKeys, alg: string): Promise<JWTPayload> {
    try {
      const options = { ...this.claimChecks, algorithms: [alg] };
      const { payload } =
        typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
      return payload;
    } catch (error) {
      throw toTokenError(error);
    }
  }
}

/** A key of the right algorithm but not the one that signed the token: another key may have (see `verifyToken`). */
const BAD_SIGNATURE = 'token has a bad signature';

/** The token of `Bearer <token>` (scheme case-insensitive); anything else present is an error. */
function bearerToken(authorization: string): string {
  const scheme = authorization.slice(0, 7);
  if (scheme !== 'Bearer ' && scheme.toLowerCase() !== 'bearer ') {
    throw new TokenError('the Authorization header is not "Bearer <token>"');
  }
  const token = authorization.slice(7).trim();
  if (token.length === 0) throw new TokenError('the Authorization header has an empty token');
  if (token.length > MAX_TOKEN_LENGTH) throw new TokenError('token too long');
  return token;
}

/** What the token settings say of a claim jose refused, for the log line. */
const CLAIM_SETTINGS = { exp: 'auth.requireExp', aud: 'auth.audience', iss: 'auth.issuer' };

function toTokenError(error: unknown): TokenError {
  return error instanceof TokenError ? error : new TokenError(joseRefusal(error, 'token', CLAIM_SETTINGS));
}

async function importPublicKey(pem: unknown, alg: AsymmetricAlg, at: string): Promise<KeyLike> {
  if (typeof pem !== 'string') throw new TokenSettingsError(`${at}: must be a PEM string`);
  let key: KeyLike;
  try {
    key = pem.includes('-----BEGIN CERTIFICATE-----') ? await importX509(pem, alg) : await importSPKI(pem, alg);
  } catch {
    throw new TokenSettingsError(`${at}: not a PEM public key or certificate usable for ${alg}`);
  }
  const object = key as KeyObject;
  const fits =
    alg === 'RS256'
      ? object.asymmetricKeyType === 'rsa'
      : object.asymmetricKeyType === 'ec' && object.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  if (!fits) throw new TokenSettingsError(`${at}: the key does not fit ${alg} (${alg === 'RS256' ? 'RSA' : 'EC P-256'} expected)`);
  return key;
}
