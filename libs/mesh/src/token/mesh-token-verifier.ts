import type { LoggerService } from '@nestjs/common';
import { createLocalJWKSet, createRemoteJWKSet, importSPKI, JWTPayload, jwtVerify, JWTVerifyGetKey, KeyLike } from 'jose';
import { MeshCodes } from '@nest-mesh/wire';
import { MeshError } from '../mesh-error';
import type { MeshAuth, MeshContext } from '../service/mesh-context';
import { isCanonicalJws } from './canonical-jws';
import { freezeClaims, joseRefusal } from './jose-refusal';
import { MESH_TOKEN_ALG, MESH_TOKEN_ISSUER, MESH_TOKEN_MAX_LIFETIME_SEC, MESH_TOKEN_TYPE } from './mesh-token';
import { DEFAULT_TOKEN_CACHE_SIZE, TokenCache } from './token-cache';
import { MeshVerifyOptions } from './verify-options';

/** What a verified token tells a call: its end-user claims, and their JSON to pass on as Mesh-Auth. */
export interface TrustedAuth {
  readonly auth: MeshAuth | null;
  readonly authJson: string | undefined;
  /** Unix ms after which the token is no longer valid. */
  readonly until: number;
}

/** Why a token was refused: for the service's log only; the caller sees 401 UNAUTHENTICATED. */
export class MeshTokenError extends Error {
  override name = 'MeshTokenError';
}

const ALGORITHMS = [MESH_TOKEN_ALG];

/**
 * Verifies the Mesh-Token of every call a service serves (docs/security.md). A token is checked
 * once: the gateway reuses its tokens, so the hot path is a map lookup.
 */
export class MeshTokenVerifier {
  private readonly cache: TokenCache<TrustedAuth>;
  private readonly toleranceMs: number;

  private constructor(
    private readonly key: KeyLike | JWTVerifyGetKey,
    private readonly audience: string,
    private readonly tolerance: number,
    cacheSize: number,
    private readonly logger: Pick<LoggerService, 'warn'>,
  ) {
    this.toleranceMs = tolerance * 1000;
    this.cache = new TokenCache(cacheSize);
  }

  /** Checks the options and imports the key; throws an Error naming the option that is wrong. */
  static async create(options: MeshVerifyOptions, logger: Pick<LoggerService, 'warn'> = { warn() {} }): Promise<MeshTokenVerifier> {
    const { jwks, publicKey, audience, clockTolerance = 5, cacheSize = DEFAULT_TOKEN_CACHE_SIZE } = options;
    if ((jwks === undefined) === (publicKey === undefined)) throw new Error('verify: give exactly one of jwks or publicKey');
    if (typeof audience !== 'string' || audience.length === 0) throw new Error('verify.audience: the project id is required');
    if (!(Number.isFinite(clockTolerance) && clockTolerance >= 0)) throw new Error('verify.clockTolerance: seconds >= 0');
    let key: KeyLike | JWTVerifyGetKey;
    if (publicKey !== undefined) {
      try {
        key = await importSPKI(publicKey, MESH_TOKEN_ALG);
      } catch {
        throw new Error('verify.publicKey: not a PEM Ed25519 public key');
      }
    } else if (typeof jwks === 'string' || jwks instanceof URL) {
      let url: URL;
      try {
        url = new URL(jwks);
      } catch {
        throw new Error('verify.jwks: not a URL');
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('verify.jwks: must be an http or https URL');
      key = createRemoteJWKSet(url);
    } else {
      if (!jwks || !Array.isArray(jwks.keys)) throw new Error('verify.jwks: not a JWKS ({ keys: [...] })');
      key = createLocalJWKSet(jwks);
    }
    return new MeshTokenVerifier(key, audience, clockTolerance, cacheSize, logger);
  }

  /**
   * Makes `ctx.auth` the token's: at once (undefined) when the token was verified before, else a
   * promise. Rejects with MeshError 401 UNAUTHENTICATED, and logs why with the call's subject.
   */
  verify(ctx: MeshContext): Promise<void> | undefined {
    const token = ctx.meshToken;
    if (token !== undefined) {
      const known = this.cache.get(token, Date.now());
      if (known !== undefined) {
        ctx.trust(known);
        return undefined;
      }
    }
    return this.verifySlowly(token, ctx);
  }

  private async verifySlowly(token: string | undefined, ctx: MeshContext): Promise<void> {
    try {
      if (token === undefined) throw new MeshTokenError('no Mesh-Token');
      const trusted = await this.check(token);
      this.cache.set(token, trusted, Date.now(), trusted.until);
      ctx.trust(trusted);
    } catch (error) {
      const reason = error instanceof MeshTokenError ? error.message : 'Mesh-Token verification failed';
      this.logger.warn(`call to ${ctx.getSubject()} refused: ${reason}`);
      throw new MeshError(401, 'the call has no valid Mesh-Token', MeshCodes.UNAUTHENTICATED);
    }
  }

  /** The token's trusted auth, or throws MeshTokenError saying why not. */
  async check(token: string): Promise<TrustedAuth> {
    if (!isCanonicalJws(token)) throw new MeshTokenError('Mesh-Token is malformed (not canonical base64url)');
    let payload: JWTPayload;
    try {
      const options = {
        algorithms: ALGORITHMS,
        issuer: MESH_TOKEN_ISSUER,
        audience: this.audience,
        typ: MESH_TOKEN_TYPE,
        clockTolerance: this.tolerance,
        requiredClaims: ['iat', 'exp'],
      };
      payload = (typeof this.key === 'function' ? await jwtVerify(token, this.key, options) : await jwtVerify(token, this.key, options)).payload;
    } catch (error) {
      throw new MeshTokenError(joseRefusal(error, 'Mesh-Token'));
    }
    const { iat, exp, auth } = payload as { iat: number; exp: number; auth?: unknown };
    if (exp - iat > MESH_TOKEN_MAX_LIFETIME_SEC) throw new MeshTokenError(`Mesh-Token lives longer than ${MESH_TOKEN_MAX_LIFETIME_SEC} s`);
    if (iat * 1000 > Date.now() + this.toleranceMs) throw new MeshTokenError('Mesh-Token issued in the future');
    if (auth !== null && (typeof auth !== 'object' || Array.isArray(auth))) throw new MeshTokenError('Mesh-Token auth claim is not an object or null');
    const claims = auth === null ? null : freezeClaims(auth as MeshAuth);
    return { auth: claims, authJson: claims === null ? undefined : JSON.stringify(claims), until: exp * 1000 + this.toleranceMs };
  }
}
