import type { MeshAuth } from '../service/mesh-context';

/**
 * Mesh-Token, the gateway's signature on a call (docs/security.md): a compact JWS, `alg: EdDSA`,
 * `typ: mesh+jwt`, with the claims below. The gateway signs; services that are given the gateway's
 * public keys verify it before their handler runs.
 */
export const MESH_TOKEN_ALG = 'EdDSA';
export const MESH_TOKEN_TYPE = 'mesh+jwt';
export const MESH_TOKEN_ISSUER = 'nest-mesh';
/** Longest life of a Mesh-Token: `exp` is at most this many seconds after `iat`. */
export const MESH_TOKEN_MAX_LIFETIME_SEC = 120;

export interface MeshTokenClaims {
  iss: typeof MESH_TOKEN_ISSUER;
  /** The project id. */
  aud: string;
  iat: number;
  exp: number;
  /** The function the gateway approved. */
  svc: string;
  fn: string;
  /** The verified end-user claims, or null for an anonymous call. */
  auth: MeshAuth | null;
  sub?: string;
}

/**
 * Gives the Mesh-Token of a call the caller makes on its own (not while serving another call):
 * the gateway's signer. MeshClient asks it once per call; it may answer from a cache.
 */
export interface MeshTokenSigner {
  tokenFor(service: string, func: string, auth: MeshAuth | undefined): string | Promise<string>;
}
