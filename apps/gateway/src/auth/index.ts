export { TokenVerifier } from './token-verifier';
export { CurrentTokenVerifier } from './current-token-verifier';
export type { TokenSettings } from './token-verifier';
export { TokenError } from './token-errors';
