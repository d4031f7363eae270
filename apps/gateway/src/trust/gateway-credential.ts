import { randomBytes } from 'node:crypto';
import { GATEWAY_USER, GatewayCredential } from './broker-users';

/** A new credential for the gateway on its embedded broker: made at each start, never written anywhere. */
export function newGatewayCredential(): GatewayCredential {
  return { user: GATEWAY_USER, password: randomBytes(24).toString('base64url') };
}
