import { KeyObject } from 'node:crypto';
import { JWTPayload, JWTVerifyOptions, KeyLike, createRemoteJWKSet, decodeProtectedHeader, importSPKI, importX509, jwtVerify } from 'jose';
import { isCanonicalJws } from 'nest-mesh/internal';
import type { AsymmetricAlg, TokenSettings } from '../config/token-settings';
import { MIN_SECRET_BYTES, SECRET_TOO_SHORT } from '../config/validators';
import { TokenCache } from './token-cache';
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
    private readonly cache: TokenCache,
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
    const cache = new TokenCache(options.cacheSize ?? 10_000, options.cacheMaxAgeMs ?? 60_000);
    return new TokenVerifier(secret, publicKeys, jwks, claimChecks, cache, options.now ?? Date.now);
  }

  /** undefined when no Authorization header was sent; the verified claims; or throws TokenError. */
  async verify(authorization: string | undefined): Promise<Claims | undefined> {
    if (authorization === undefined) return undefined;
    const token = bearerToken(authorization);
    const cached = this.cache.get(token, this.now());
    if (cached !== undefined) return cached;
    const claims = deepFreeze(await this.verifyToken(token)) as Claims;
    this.cache.set(token, claims, this.now());
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
      if (this.publicKeys.has(alg)) throw new TokenError(`no configured ${alg} key has kid ${safeText(header.kid)}`);
    }
    throw new TokenError(`algorithm ${safeText(alg)} is not allowed`);
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

const BAD_SIGNATURE = 'bad signature';

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

function toTokenError(error: unknown): TokenError {
  if (error instanceof TokenError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return new TokenError('token expired');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const { claim, reason } = error as { claim?: unknown; reason?: unknown };
      if (claim === 'nbf') return new TokenError('token not yet valid');
      if (claim === 'exp' && reason === 'missing') return new TokenError('token has no exp (auth.requireExp)');
      if (claim === 'aud') return new TokenError(reason === 'missing' ? 'token has no aud (auth.audience)' : 'token audience not accepted (auth.audience)');
      if (claim === 'iss') return new TokenError(reason === 'missing' ? 'token has no iss (auth.issuer)' : 'token issuer not accepted (auth.issuer)');
      return new TokenError(`invalid claim ${safeText(claim)}`);
    }
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return new TokenError(BAD_SIGNATURE);
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return new TokenError('algorithm not allowed');
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return new TokenError('no JWKS key matches the token');
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return new TokenError('several JWKS keys match the token and none verifies it');
    case 'ERR_JWKS_TIMEOUT':
      return new TokenError('the JWKS did not answer in time');
    case 'ERR_JWKS_INVALID':
      return new TokenError('the JWKS is invalid');
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return new TokenError('malformed token');
    default:
      return new TokenError('token verification failed (JWKS unavailable or unexpected error)');
  }
}

/** A short, printable rendering of a header value for a log line. */
function safeText(value: unknown): string {
  if (typeof value !== 'string') return value === undefined ? '(none)' : typeof value;
  return /^[A-Za-z0-9._-]{1,64}$/.test(value) ? `"${value}"` : '(unprintable)';
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

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
