import type { JSONWebKeySet } from 'jose';

/**
 * How a service verifies the gateway's Mesh-Token (docs/security.md):
 * `meshMicroservice({ servers, verify: { jwks: 'http://gateway:4122/.well-known/jwks.json', audience: 'demo' } })`.
 * Exactly one key source: `jwks` (a URL, fetched and cached, refetched for an unknown `kid`; or a
 * JWKS object) or `publicKey` (a PEM `PUBLIC KEY` of Ed25519).
 */
export interface MeshVerifyOptions {
  /** The gateway's JWKS: its URL (`/.well-known/jwks.json`) or the key set itself. */
  jwks?: string | URL | JSONWebKeySet;
  /** The gateway's Ed25519 public key as PEM (SPKI). */
  publicKey?: string;
  /** The project id the tokens must be issued for (`aud`). */
  audience: string;
  /** Seconds of leeway for `exp` and `iat`. Default 5. */
  clockTolerance?: number;
  /** Verified tokens remembered, so a token reused by the gateway is checked once. Default 10000. */
  cacheSize?: number;
}
