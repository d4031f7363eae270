export { TokenVerifier, MAX_TOKEN_LENGTH } from './token-verifier';
export { CurrentTokenVerifier } from './current-token-verifier';
export type { TokenSettings, TokenVerifierOptions, AsymmetricAlg } from './token-verifier';
export { TokenError, TokenSettingsError } from './token-errors';
export type { Claims } from './token-errors';
