import { freezeClaims, joseRefusal } from './jose-refusal';

const refusal = (code: string, more: object = {}) => Object.assign(new Error('x'), { code, ...more });

describe('joseRefusal', () => {
  it('says what jose refused, with the setting behind a claim', () => {
    const hints = { exp: 'auth.requireExp', aud: 'auth.audience' };
    expect(joseRefusal(refusal('ERR_JWT_EXPIRED'), 'token')).toBe('token expired');
    expect(joseRefusal(refusal('ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'nbf' }), 'token')).toBe('token not yet valid');
    expect(joseRefusal(refusal('ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'exp', reason: 'missing' }), 'token', hints)).toBe('token has no exp (auth.requireExp)');
    expect(joseRefusal(refusal('ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'aud', reason: 'check_failed' }), 'token', hints)).toBe(
      'token audience not accepted (claim aud, auth.audience)',
    );
    expect(joseRefusal(refusal('ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'typ', reason: 'check_failed' }), 'Mesh-Token')).toBe('Mesh-Token claim typ not accepted');
    expect(joseRefusal(refusal('ERR_JWS_SIGNATURE_VERIFICATION_FAILED'), 'Mesh-Token')).toBe('Mesh-Token has a bad signature');
    expect(joseRefusal(refusal('ERR_JWT_INVALID'), 'token')).toBe('token is malformed');
    expect(joseRefusal(new Error('boom'), 'token')).toBe('token verification failed (JWKS unavailable or unexpected error)');
  });

  it('never prints what a claim name it does not know holds', () => {
    expect(joseRefusal(refusal('ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'a b\n', reason: 'missing' }), 'token')).toBe('token has no (unprintable)');
  });
});

describe('freezeClaims', () => {
  it('freezes the claims all the way down', () => {
    const claims = freezeClaims({ sub: 'a', roles: ['x'], org: { id: 1 } });
    expect(Object.isFrozen(claims) && Object.isFrozen(claims.roles) && Object.isFrozen(claims.org)).toBe(true);
  });
});
