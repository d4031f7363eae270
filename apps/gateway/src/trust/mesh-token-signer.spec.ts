import { generateKeyPairSync } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { GatewayTokenSigner } from './mesh-token-signer';

describe('GatewayTokenSigner', () => {
  let clock = 1_700_000_000_000;
  const now = () => clock;

  async function verified(signer: GatewayTokenSigner, token: string) {
    return (await jwtVerify(token, createLocalJWKSet(signer.jwks), { algorithms: ['EdDSA'], audience: 'demo', issuer: 'nest-mesh', typ: 'mesh+jwt', currentDate: new Date(clock) })).payload;
  }

  it('signs the claims of docs/security.md#mesh-token-signed-calls with EdDSA, typ mesh+jwt and the kid of its JWKS', async () => {
    const signer = await GatewayTokenSigner.create({ audience: 'demo', now });
    const auth = Object.freeze({ sub: 'u1', role: 'admin' });
    const token = await signer.tokenFor('billing', 'charge', auth);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', typ: 'mesh+jwt', kid: signer.kid });
    const claims = await verified(signer, token);
    expect(claims).toEqual({ iss: 'nest-mesh', aud: 'demo', iat: clock / 1000, exp: clock / 1000 + 120, svc: 'billing', fn: 'charge', auth, sub: 'u1' });
    expect(signer.jwks.keys).toEqual([expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: signer.kid })]);
    expect(signer.jwks.keys[0]).not.toHaveProperty('d');
  });

  it('signs anonymous calls with auth null and no sub', async () => {
    const signer = await GatewayTokenSigner.create({ audience: 'demo', now });
    const claims = await verified(signer, await signer.tokenFor('a', 'b', undefined));
    expect(claims.auth).toBeNull();
    expect(claims).not.toHaveProperty('sub');
  });

  it('never lets a token outlive the end-user token', async () => {
    const signer = await GatewayTokenSigner.create({ audience: 'demo', now });
    const auth = Object.freeze({ sub: 'u1', exp: clock / 1000 + 30 });
    expect((await verified(signer, await signer.tokenFor('a', 'b', auth))).exp).toBe(clock / 1000 + 30);
  });

  it('reuses a token for the same caller and function while it has time left, then signs a new one', async () => {
    clock = 1_700_000_000_000;
    const signer = await GatewayTokenSigner.create({ audience: 'demo', now, minRemainingMs: 60_000 });
    const alice = Object.freeze({ sub: 'alice' });
    const bob = Object.freeze({ sub: 'bob' });
    const first = await signer.tokenFor('a', 'b', alice);
    expect(signer.tokenFor('a', 'b', alice)).toBe(first); // a string at once: no signature, no promise
    expect(await signer.tokenFor('a', 'c', alice)).not.toBe(first);
    expect(await signer.tokenFor('a', 'b', bob)).not.toBe(first);
    clock += 59_000;
    expect(signer.tokenFor('a', 'b', alice)).toBe(first);
    clock += 2_000;
    const renewed = await signer.tokenFor('a', 'b', alice);
    expect(renewed).not.toBe(first);
    expect((await verified(signer, renewed)).iat).toBe(Math.floor(clock / 1000));
  });

  it('signs once for concurrent calls of the same caller and function', async () => {
    const signer = await GatewayTokenSigner.create({ audience: 'demo', now });
    const auth = Object.freeze({ sub: 'x' });
    const tokens = await Promise.all([signer.tokenFor('a', 'b', auth), signer.tokenFor('a', 'b', auth)]);
    expect(tokens[0]).toBe(tokens[1]);
  });

  it('uses auth.signingKey, so that gateways sharing it share a kid', async () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const one = await GatewayTokenSigner.create({ audience: 'demo', signingKey: pem });
    const two = await GatewayTokenSigner.create({ audience: 'demo', signingKey: pem });
    expect(one.kid).toBe(two.kid);
    expect((await GatewayTokenSigner.create({ audience: 'demo' })).kid).not.toBe(one.kid);
  });

  it('refuses a signing key that is not an Ed25519 private key, naming auth.signingKey', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await expect(GatewayTokenSigner.create({ audience: 'demo', signingKey: rsa })).rejects.toThrow(/^auth.signingKey: must be an Ed25519 key/);
    await expect(GatewayTokenSigner.create({ audience: 'demo', signingKey: 'nope' })).rejects.toThrow(/^auth.signingKey: not a PEM private key/);
  });
});
