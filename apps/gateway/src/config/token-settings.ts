import type { TokenSettings } from '../auth';
import type { GatewayConfig } from './gateway-config';

/** The token verifier's settings from the config file: `secret` and the `auth` block. */
export function tokenSettingsOf(config: GatewayConfig): TokenSettings {
  const { publicKeys, jwks, clockTolerance, audience, issuer, requireExp } = config.auth;
  return {
    secret: config.secret,
    publicKeys: publicKeys?.map(({ alg, pem, kid }) => ({ alg, pem, kid })),
    jwks: jwks && { url: jwks.url, algorithms: jwks.algorithms, cacheMaxAgeMs: jwks.cacheMaxAge, timeoutMs: jwks.timeout },
    clockToleranceSec: clockTolerance,
    audience: listOf(audience),
    issuer: listOf(issuer),
    requireExp,
  };
}

function listOf(value: string | string[] | undefined): string[] | undefined {
  return value === undefined ? undefined : typeof value === 'string' ? [value] : [...value];
}
