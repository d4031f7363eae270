export { TokenVerifier } from './token-verifier';
export { CurrentTokenVerifier } from './current-token-verifier';
export type { TokenSettings } from '../config/token-settings';
export { TokenError } from './token-errors';
