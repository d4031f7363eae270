export { MESH_TOKEN_ALG, MESH_TOKEN_TYPE, MESH_TOKEN_ISSUER, MESH_TOKEN_MAX_LIFETIME_SEC } from './mesh-token';
export type { MeshTokenClaims, MeshTokenSigner } from './mesh-token';
export type { MeshVerifyOptions } from './verify-options';
export { MeshTokenVerifier, MeshTokenError } from './mesh-token-verifier';
export type { TrustedAuth } from './mesh-token-verifier';
export { isCanonicalJws } from './canonical-jws';
export { DEFAULT_TOKEN_CACHE_SIZE, TokenCache } from './token-cache';
export { joseRefusal, printable, freezeClaims } from './jose-refusal';
