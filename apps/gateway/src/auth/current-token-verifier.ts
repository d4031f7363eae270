import { Logger } from '@nestjs/common';
import { MeshCodes } from '@nest-mesh/wire';
import { MeshError } from 'nest-mesh';
import type { ConfigReloadable } from '../config/config-reloadable';
import type { GatewayConfig } from '../config/gateway-config';
import { tokenSettingsOf } from '../config/token-settings';
import { Claims, TokenError } from './token-errors';
import { TokenVerifier } from './token-verifier';

/**
 * The TokenVerifier in use. A config reload makes one from the new `secret` and `auth` (bad settings
 * refuse the reload) and swaps it in; a request reads `current` once (a plain field read, nothing
 * awaited) and finishes with that verifier.
 */
export class CurrentTokenVerifier implements ConfigReloadable<TokenVerifier> {
  private readonly logger = new Logger('Auth');

  constructor(private verifier: TokenVerifier) {}

  get current(): TokenVerifier {
    return this.verifier;
  }

  /**
   * The verified claims of a request's `Authorization` header, undefined when none was sent. A token
   * that is sent is always verified: a bad one is 401 UNAUTHENTICATED, its reason in the log only.
   */
  async authenticate(authorization: string | undefined, requestId: string): Promise<Claims | undefined> {
    if (authorization === undefined) return undefined;
    try {
      return await this.verifier.verify(authorization);
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      this.logger.warn(`request ${requestId}: token rejected: ${error.message}`);
      throw new MeshError(401, 'invalid token', MeshCodes.UNAUTHENTICATED);
    }
  }

  prepareConfig(next: GatewayConfig): Promise<TokenVerifier> {
    return TokenVerifier.create(tokenSettingsOf(next));
  }

  applyConfig(_next: GatewayConfig, verifier: TokenVerifier): void {
    this.verifier = verifier;
  }
}
