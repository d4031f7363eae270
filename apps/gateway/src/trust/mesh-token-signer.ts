import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, JWK, SignJWT } from 'jose';
import { MeshAuth } from 'nest-mesh';
import { MESH_TOKEN_ALG, MESH_TOKEN_ISSUER, MESH_TOKEN_MAX_LIFETIME_SEC, MESH_TOKEN_TYPE, MeshTokenSigner } from 'nest-mesh/internal';

export interface SignerSettings {
  /** The project id, the tokens' `aud`. */
  audience: string;
  /** PEM Ed25519 private key (`auth.signingKey`); absent: a key is made now. */
  signingKey?: string;
  /**
   * A token is handed out only while it has at least this long to live (ms), so that a function
   * passing it on near the end of its call still has a valid one. Default 60000; at most 110000.
   */
  minRemainingMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

interface Issued {
  /** The signature under way, then its text. */
  token: string | Promise<string>;
  /** Unix ms from which a new token is signed instead. */
  renewAt: number;
}

/** Tokens kept per end-user token: beyond it that caller's tokens are dropped and signed again. */
const MAX_FUNCTIONS_PER_CALLER = 256;

/**
 * Signs the Mesh-Token of each call the gateway makes (docs/security.md). An Ed25519 signature is
 * a large share of a call, so a token is reused for the same end-user token (the verified claims
 * object, which the token cache shares between requests) and function while it has time to live.
 */
export class GatewayTokenSigner implements MeshTokenSigner {
  private readonly anonymous = new Map<string, Map<string, Issued>>();
  private readonly byCaller = new WeakMap<object, Map<string, Map<string, Issued>>>();
  private readonly minRemainingMs: number;
  private readonly now: () => number;

  private constructor(
    private readonly privateKey: KeyObject,
    readonly publicJwk: JWK,
    private readonly audience: string,
    settings: SignerSettings,
  ) {
    this.minRemainingMs = Math.min(settings.minRemainingMs ?? 60_000, 110_000);
    this.now = settings.now ?? Date.now;
  }

  /** Imports `signingKey` (or makes a key); throws an Error naming `auth.signingKey` when it is unusable. */
  static async create(settings: SignerSettings): Promise<GatewayTokenSigner> {
    let privateKey: KeyObject;
    if (settings.signingKey !== undefined) {
      try {
        privateKey = createPrivateKey(settings.signingKey);
      } catch {
        throw new Error('auth.signingKey: not a PEM private key');
      }
      if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('auth.signingKey: must be an Ed25519 key (openssl genpkey -algorithm ed25519)');
    } else {
      privateKey = generateKeyPairSync('ed25519').privateKey;
    }
    const jwk = await exportJWK(createPublicKey(privateKey));
    const kid = await calculateJwkThumbprint(jwk);
    const publicJwk = Object.freeze({ ...jwk, kid, alg: MESH_TOKEN_ALG, use: 'sig' });
    return new GatewayTokenSigner(privateKey, publicJwk, settings.audience, settings);
  }

  get kid(): string {
    return this.publicJwk.kid!;
  }

  /** The JWKS served at `GET /.well-known/jwks.json`. */
  get jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  tokenFor(service: string, func: string, auth: MeshAuth | undefined): string | Promise<string> {
    const byService = this.tokensOf(auth);
    let byFunc = byService.get(service);
    if (byFunc === undefined) {
      if (byService.size >= MAX_FUNCTIONS_PER_CALLER) byService.clear();
      byFunc = new Map();
      byService.set(service, byFunc);
    }
    const now = this.now();
    const issued = byFunc.get(func);
    if (issued !== undefined && now < issued.renewAt) return issued.token;
    if (byFunc.size >= MAX_FUNCTIONS_PER_CALLER) byFunc.clear();
    const fresh = this.issue(service, func, auth, now);
    byFunc.set(func, fresh);
    return fresh.token;
  }

  private tokensOf(auth: MeshAuth | undefined): Map<string, Map<string, Issued>> {
    if (auth === undefined || auth === null || typeof auth !== 'object') return this.anonymous;
    let tokens = this.byCaller.get(auth);
    if (tokens === undefined) {
      tokens = new Map();
      this.byCaller.set(auth, tokens);
    }
    return tokens;
  }

  private issue(service: string, func: string, auth: MeshAuth | undefined, now: number): Issued {
    const iat = Math.floor(now / 1000);
    let exp = iat + MESH_TOKEN_MAX_LIFETIME_SEC;
    const userExp = auth?.exp;
    const capped = typeof userExp === 'number' && userExp < exp;
    if (capped) exp = Math.max(Math.floor(userExp), iat);
    const claims: Record<string, unknown> = { svc: service, fn: func, auth: auth ?? null };
    if (typeof auth?.sub === 'string') claims.sub = auth.sub;
    const token = new SignJWT(claims)
      .setProtectedHeader({ alg: MESH_TOKEN_ALG, typ: MESH_TOKEN_TYPE, kid: this.kid })
      .setIssuer(MESH_TOKEN_ISSUER)
      .setAudience(this.audience)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.privateKey);
    // A capped token is as good as a new one would be: reuse it until shortly before it ends.
    const renewAt = capped ? exp * 1000 - 1000 : exp * 1000 - this.minRemainingMs;
    const issued: Issued = { token, renewAt };
    token.then(
      (text) => (issued.token = text),
      () => (issued.renewAt = 0),
    );
    return issued;
  }
}
