/**
 * What jose's refusal of a token means, in words for a log line (never for the caller, who sees
 * 401): `<subject> expired`, `<subject> has no exp (<hint>)`, ... `hints` name the setting behind a
 * claim (the gateway's `auth.audience`, ...).
 */
export function joseRefusal(error: unknown, subject: string, hints: Readonly<Record<string, string>> = {}): string {
  switch ((error as { code?: unknown } | null)?.code) {
    case 'ERR_JWT_EXPIRED':
      return `${subject} expired`;
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const { claim, reason } = error as { claim?: unknown; reason?: unknown };
      if (claim === 'nbf') return `${subject} not yet valid`;
      const name = typeof claim === 'string' && /^[a-z]{1,16}$/.test(claim) ? claim : printable(claim);
      const setting = typeof claim === 'string' ? hints[claim] : undefined;
      if (reason === 'missing') return `${subject} has no ${name}${setting === undefined ? '' : ` (${setting})`}`;
      const what = claim === 'aud' ? 'audience' : claim === 'iss' ? 'issuer' : `claim ${name}`;
      const because = what === `claim ${name}` ? [] : [`claim ${name}`];
      if (setting !== undefined) because.push(setting);
      return `${subject} ${what} not accepted${because.length > 0 ? ` (${because.join(', ')})` : ''}`;
    }
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return `${subject} has a bad signature`;
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return `${subject} algorithm not allowed`;
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return `no JWKS key matches the ${subject}`;
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return `several JWKS keys match the ${subject} and none verifies it`;
    case 'ERR_JWKS_TIMEOUT':
      return 'the JWKS did not answer in time';
    case 'ERR_JWKS_INVALID':
      return 'the JWKS is invalid';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return `${subject} is malformed`;
    default:
      return `${subject} verification failed (JWKS unavailable or unexpected error)`;
  }
}

/** A short, printable rendering of a header value for a log line. */
export function printable(value: unknown): string {
  if (typeof value !== 'string') return value === undefined ? '(none)' : typeof value;
  return /^[A-Za-z0-9._-]{1,64}$/.test(value) ? `"${value}"` : '(unprintable)';
}

/** Verified claims, frozen all the way down: shared between the calls that present the same token. */
export function freezeClaims<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) freezeClaims(inner);
  }
  return value;
}
