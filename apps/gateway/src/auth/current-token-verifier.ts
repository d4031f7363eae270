import type { ConfigReloadable } from '../config/config-reloadable';
import type { GatewayConfig } from '../config/gateway-config';
import { tokenSettingsOf } from '../config/token-settings';
import { TokenVerifier } from './token-verifier';

/**
 * The TokenVerifier in use. A config reload makes one from the new `secret` and `auth` (bad settings
 * refuse the reload) and swaps it in; a call reads `current` once (a plain field read, nothing
 * awaited) and finishes with that verifier.
 */
export class CurrentTokenVerifier implements ConfigReloadable<TokenVerifier> {
  constructor(private verifier: TokenVerifier) {}

  get current(): TokenVerifier {
    return this.verifier;
  }

  prepareConfig(next: GatewayConfig): Promise<TokenVerifier> {
    return TokenVerifier.create(tokenSettingsOf(next));
  }

  applyConfig(_next: GatewayConfig, verifier: TokenVerifier): void {
    this.verifier = verifier;
  }
}
