import { TokenVerifier } from './token-verifier';

/**
 * The TokenVerifier in use. A config reload swaps it with `replace`; a call reads `current` once
 * (a plain field read, nothing awaited) and finishes with that verifier.
 */
export class CurrentTokenVerifier {
  constructor(private verifier: TokenVerifier) {}

  get current(): TokenVerifier {
    return this.verifier;
  }

  replace(verifier: TokenVerifier): void {
    this.verifier = verifier;
  }
}
