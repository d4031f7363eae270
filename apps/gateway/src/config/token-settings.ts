import type { GatewayConfig } from './gateway-config';

/** The algorithms of public keys a token may be signed with. */
export type AsymmetricAlg = 'RS256' | 'ES256';

/** What the token verifier needs of the config (docs/security.md#tokens). */
export interface TokenSettings {
  /** HS256 secret (top-level `secret` of the config), at least 32 bytes. HS256 is accepted only when this is set. */
  secret?: string;
  /** RS256 / ES256 public keys as PEM (SPKI `PUBLIC KEY` or an X.509 `CERTIFICATE`), optionally with a kid. */
  publicKeys?: { alg: AsymmetricAlg; pem: string; kid?: string }[];
  /** A JWKS URL for key rotation: fetched, cached, refetched on an unknown kid (after the cooldown). */
  jwks?: { url: string; algorithms?: AsymmetricAlg[]; cacheMaxAgeMs?: number; timeoutMs?: number; cooldownMs?: number };
  /** Seconds of leeway for `exp` and `nbf`. Default 0. */
  clockToleranceSec?: number;
  /** When set, a token's `aud` must contain one of these; whatever key verified it. */
  audience?: string[];
  /** When set, a token's `iss` must be one of these. */
  issuer?: string[];
  /** A token without `exp` is refused. Default true. */
  requireExp?: boolean;
}


/** The token verifier's settings from the config file: `secret` and the `auth` block. */
export function tokenSettingsOf(config: GatewayConfig): TokenSettings {
  const { publicKeys, jwks, clockTolerance, audience, issuer, requireExp } = config.auth;
  return {
    secret: config.secret,
    publicKeys: publicKeys?.map(({ alg, pem, kid }) => ({ alg, pem, kid })),
    jwks: jwks && { url: jwks.url, algorithms: jwks.algorithms, cacheMaxAgeMs: jwks.cacheMaxAge, timeoutMs: jwks.timeout },
    clockToleranceSec: clockTolerance,
    audience: listOf(audience),
    issuer: listOf(issuer),
    requireExp,
  };
}

function listOf(value: string | string[] | undefined): string[] | undefined {
  return value === undefined ? undefined : typeof value === 'string' ? [value] : [...value];
}
