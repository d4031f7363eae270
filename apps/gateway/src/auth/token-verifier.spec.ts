import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { JWK, KeyLike, SignJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { TokenError, TokenSettingsError } from './token-errors';
import { TokenVerifier } from './token-verifier';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const now = () => Math.floor(Date.now() / 1000);

/** A token with `exp` 10 minutes ahead unless `claims` says otherwise (`exp: undefined` leaves it out). */
function sign(alg: string, key: KeyLike | Uint8Array, claims: Record<string, unknown> = {}, kid?: string): Promise<string> {
  return new SignJWT({ sub: 'u1', role: 'admin', exp: now() + 600, ...claims }).setProtectedHeader(kid ? { alg, kid } : { alg }).sign(key);
}
const hs = (claims: Record<string, unknown> = {}, secret = SECRET) => sign('HS256', new TextEncoder().encode(secret), claims);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** The same token with the unused low bits of its signature's last character set: the same signature bytes, another spelling. */
const withUnusedBits = (token: string) => token.slice(0, -1) + ALPHABET[ALPHABET.indexOf(token.at(-1)!) | 1];

async function rejects(verifier: TokenVerifier, header: string, message: RegExp): Promise<void> {
  let error: unknown;
  try {
    await verifier.verify(header);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(TokenError);
  expect((error as Error).message).toMatch(message);
  const token = header.replace(/^bearer /i, '');
  if (token.length > 8) expect((error as Error).message).not.toContain(token);
}

let rsa: { publicKey: KeyLike; privateKey: KeyLike };
let ec: { publicKey: KeyLike; privateKey: KeyLike };
let rsaPem: string;
let ecPem: string;

beforeAll(async () => {
  rsa = await generateKeyPair('RS256');
  ec = await generateKeyPair('ES256');
  rsaPem = await exportSPKI(rsa.publicKey);
  ecPem = await exportSPKI(ec.publicKey);
});

describe('HS256', () => {
  let verifier: TokenVerifier;
  beforeAll(async () => {
    verifier = await TokenVerifier.create({ secret: SECRET });
  });

  it('no header is no token', async () => expect(await verifier.verify(undefined)).toBeUndefined());

  it('verifies a valid token and returns frozen claims', async () => {
    const claims = await verifier.verify(`Bearer ${await hs({ exp: now() + 60 })}`);
    expect(claims).toMatchObject({ sub: 'u1', role: 'admin' });
    expect(Object.isFrozen(claims)).toBe(true);
  });

  it('accepts the scheme in any case', async () =>
    expect(await verifier.verify(`bearer ${await hs()}`)).toMatchObject({ sub: 'u1' }));

  it('rejects an expired token', async () => rejects(verifier, `Bearer ${await hs({ exp: now() - 10 })}`, /expired/));
  it('rejects a token not yet valid', async () => rejects(verifier, `Bearer ${await hs({ nbf: now() + 60 })}`, /not yet valid/));
  it('rejects a bad signature', async () => rejects(verifier, `Bearer ${await hs({}, 'another-secret-that-is-long-enough-too')}`, /bad signature/));
  it('rejects a tampered payload', async () => {
    const [h, , s] = (await hs()).split('.');
    await rejects(verifier, `Bearer ${h}.${b64({ sub: 'root' })}.${s}`, /bad signature/);
  });
  it('rejects alg none', async () => rejects(verifier, `Bearer ${b64({ alg: 'none' })}.${b64({ sub: 'u1' })}.`, /algorithm "none" is not allowed/));
  it('rejects garbage', async () => rejects(verifier, 'Bearer garbage', /malformed/));
  it('rejects three garbage parts', async () => rejects(verifier, 'Bearer aaa.bbb.ccc', /malformed/));
  it('rejects a header without the Bearer prefix', async () => rejects(verifier, await hs(), /Bearer/));
  it('rejects another scheme', async () => rejects(verifier, `Basic ${await hs()}`, /Bearer/));
  it('rejects an empty bearer token', async () => rejects(verifier, 'Bearer   ', /empty token/));
  it('rejects RS256 when only a secret is configured', async () =>
    rejects(verifier, `Bearer ${await sign('RS256', rsa.privateKey)}`, /algorithm "RS256" is not allowed/));

  it('rejects a token without exp (auth.requireExp, the default)', async () =>
    rejects(verifier, `Bearer ${await hs({ exp: undefined })}`, /token has no exp/));

  it('accepts a token without exp when requireExp is false', async () => {
    const lax = await TokenVerifier.create({ secret: SECRET, requireExp: false });
    expect(await lax.verify(`Bearer ${await hs({ exp: undefined })}`)).toMatchObject({ sub: 'u1' });
  });

  it('rejects a signature that is not canonical base64url: padded, or with non-zero unused bits', async () => {
    const token = await hs();
    await rejects(verifier, `Bearer ${token}=`, /not canonical base64url/);
    await rejects(verifier, `Bearer ${withUnusedBits(token)}`, /not canonical base64url/);
    expect(await verifier.verify(`Bearer ${token}`)).toMatchObject({ sub: 'u1' });
  });

  it('refuses a secret shorter than 32 bytes, naming `secret`', async () => {
    await expect(TokenVerifier.create({ secret: 'x'.repeat(31) })).rejects.toThrow(/^secret: must be at least 32 bytes/);
    await expect(TokenVerifier.create({ secret: 'é'.repeat(15) })).rejects.toThrow(TokenSettingsError); // 30 bytes
    expect(await TokenVerifier.create({ secret: 'é'.repeat(16) })).toBeInstanceOf(TokenVerifier); // 32 bytes
  });

  it('honours the clock tolerance', async () => {
    const lenient = await TokenVerifier.create({ secret: SECRET, clockToleranceSec: 30 });
    expect(await lenient.verify(`Bearer ${await hs({ exp: now() - 10 })}`)).toMatchObject({ sub: 'u1' });
    await rejects(lenient, `Bearer ${await hs({ exp: now() - 60 })}`, /expired/);
  });
});

describe('RS256 / ES256 with PEM keys', () => {
  it('verifies RS256 and ES256', async () => {
    const verifier = await TokenVerifier.create({ publicKeys: [{ alg: 'RS256', pem: rsaPem }, { alg: 'ES256', pem: ecPem }] });
    expect(await verifier.verify(`Bearer ${await sign('RS256', rsa.privateKey)}`)).toMatchObject({ sub: 'u1' });
    expect(await verifier.verify(`Bearer ${await sign('ES256', ec.privateKey)}`)).toMatchObject({ sub: 'u1' });
  });

  it('rejects a token signed by another key', async () => {
    const verifier = await TokenVerifier.create({ publicKeys: [{ alg: 'RS256', pem: rsaPem }] });
    const other = await generateKeyPair('RS256');
    await rejects(verifier, `Bearer ${await sign('RS256', other.privateKey)}`, /bad signature/);
  });

  it('rejects an expired RS256 token', async () => {
    const verifier = await TokenVerifier.create({ publicKeys: [{ alg: 'RS256', pem: rsaPem }] });
    await rejects(verifier, `Bearer ${await sign('RS256', rsa.privateKey, { exp: now() - 5 })}`, /expired/);
  });

  it('chooses keys by kid', async () => {
    const other = await generateKeyPair('RS256');
    const verifier = await TokenVerifier.create({
      publicKeys: [
        { alg: 'RS256', kid: 'old', pem: await exportSPKI(other.publicKey) },
        { alg: 'RS256', kid: 'new', pem: rsaPem },
      ],
    });
    expect(await verifier.verify(`Bearer ${await sign('RS256', rsa.privateKey, {}, 'new')}`)).toMatchObject({ sub: 'u1' });
    expect(await verifier.verify(`Bearer ${await sign('RS256', other.privateKey, {}, 'old')}`)).toMatchObject({ sub: 'u1' });
    await rejects(verifier, `Bearer ${await sign('RS256', rsa.privateKey, {}, 'old')}`, /bad signature/);
    await rejects(verifier, `Bearer ${await sign('RS256', rsa.privateKey, {}, 'gone')}`, /no configured RS256 key has kid "gone"/);
  });

  it('rejects algorithm confusion: HS256 signed with the RSA public key PEM', async () => {
    const forged = `Bearer ${await sign('HS256', new TextEncoder().encode(rsaPem))}`;
    const noSecret = await TokenVerifier.create({ publicKeys: [{ alg: 'RS256', pem: rsaPem }] });
    await rejects(noSecret, forged, /algorithm "HS256" is not allowed/);
    const withSecret = await TokenVerifier.create({ secret: SECRET, publicKeys: [{ alg: 'RS256', pem: rsaPem }] });
    await rejects(withSecret, forged, /bad signature/);
  });

  it('rejects ES256 when only RS256 is configured', async () => {
    const verifier = await TokenVerifier.create({ publicKeys: [{ alg: 'RS256', pem: rsaPem }] });
    await rejects(verifier, `Bearer ${await sign('ES256', ec.privateKey)}`, /algorithm "ES256" is not allowed/);
  });

  it('refuses a key that does not fit its alg, or no PEM at all', async () => {
    await expect(TokenVerifier.create({ publicKeys: [{ alg: 'ES256', pem: rsaPem }] })).rejects.toThrow(TokenSettingsError);
    await expect(TokenVerifier.create({ publicKeys: [{ alg: 'RS256', pem: ecPem }] })).rejects.toThrow(/auth.publicKeys.0.pem/);
    await expect(TokenVerifier.create({ publicKeys: [{ alg: 'RS256', pem: 'nope' }] })).rejects.toThrow(/auth.publicKeys.0.pem/);
    await expect(TokenVerifier.create({ secret: '' })).rejects.toThrow(/secret/);
  });

  it('rejects everything when nothing is configured', async () => {
    const verifier = await TokenVerifier.create({});
    expect(await verifier.verify(undefined)).toBeUndefined();
    await rejects(verifier, `Bearer ${await hs()}`, /not allowed/);
  });
});

describe('audience and issuer', () => {
  const checks = { audience: ['my-app', 'my-other-app'], issuer: ['https://id.example.com/'] };
  const good = { aud: 'my-app', iss: 'https://id.example.com/' };

  it('accept a token whose aud (a string, or a list holding one of them) and iss are configured', async () => {
    const verifier = await TokenVerifier.create({ secret: SECRET, ...checks });
    expect(await verifier.verify(`Bearer ${await hs(good)}`)).toMatchObject({ sub: 'u1' });
    expect(await verifier.verify(`Bearer ${await hs({ ...good, aud: ['someone-else', 'my-other-app'] })}`)).toMatchObject({ sub: 'u1' });
  });

  it('refuse a token minted for another app, by another issuer, or without aud or iss (HS256)', async () => {
    const verifier = await TokenVerifier.create({ secret: SECRET, ...checks });
    await rejects(verifier, `Bearer ${await hs({ ...good, aud: 'another-app' })}`, /audience not accepted/);
    await rejects(verifier, `Bearer ${await hs({ ...good, aud: ['another-app', 'a-third-app'] })}`, /audience not accepted/);
    await rejects(verifier, `Bearer ${await hs({ ...good, aud: undefined })}`, /has no aud/);
    await rejects(verifier, `Bearer ${await hs({ ...good, iss: 'https://evil.example.com/' })}`, /issuer not accepted/);
    await rejects(verifier, `Bearer ${await hs({ ...good, iss: undefined })}`, /has no iss/);
  });

  it('apply to public-key tokens too, with exp required', async () => {
    const verifier = await TokenVerifier.create({ publicKeys: [{ alg: 'RS256', pem: rsaPem }], ...checks });
    expect(await verifier.verify(`Bearer ${await sign('RS256', rsa.privateKey, good)}`)).toMatchObject({ sub: 'u1' });
    await rejects(verifier, `Bearer ${await sign('RS256', rsa.privateKey, { ...good, aud: 'another-app' })}`, /audience not accepted/);
    await rejects(verifier, `Bearer ${await sign('RS256', rsa.privateKey, { ...good, iss: 'https://evil.example.com/' })}`, /issuer not accepted/);
    await rejects(verifier, `Bearer ${await sign('RS256', rsa.privateKey, { ...good, exp: undefined })}`, /has no exp/);
    await rejects(verifier, `Bearer ${withUnusedBits(await sign('RS256', rsa.privateKey, good))}`, /not canonical base64url/);
  });

  it('are not checked when not configured', async () => {
    const verifier = await TokenVerifier.create({ secret: SECRET });
    expect(await verifier.verify(`Bearer ${await hs({ aud: 'anything', iss: 'anyone' })}`)).toMatchObject({ sub: 'u1' });
  });

  it('refuse settings that are not non-empty strings', async () => {
    await expect(TokenVerifier.create({ secret: SECRET, audience: [] })).rejects.toThrow(/^auth.audience: /);
    await expect(TokenVerifier.create({ secret: SECRET, issuer: [''] })).rejects.toThrow(/^auth.issuer: /);
  });
});

describe('JWKS', () => {
  let server: Server;
  let url: string;
  let served: { keys: JWK[] };
  let requests = 0;

  const jwkOf = async (key: KeyLike, kid: string, alg: string): Promise<JWK> => ({ ...(await exportJWK(key)), kid, alg, use: 'sig' });

  beforeAll(async () => {
    server = createServer((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(served));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('verifies by kid, refetches on a rotated key, and forgets the removed key', async () => {
    served = { keys: [await jwkOf(rsa.publicKey, 'key-1', 'RS256')] };
    requests = 0;
    const verifier = await TokenVerifier.create({ jwks: { url, cooldownMs: 0 } });
    expect(await verifier.verify(`Bearer ${await sign('RS256', rsa.privateKey, {}, 'key-1')}`)).toMatchObject({ sub: 'u1' });
    expect(requests).toBe(1);

    const next = await generateKeyPair('ES256');
    served = { keys: [await jwkOf(next.publicKey, 'key-2', 'ES256')] };
    expect(await verifier.verify(`Bearer ${await sign('ES256', next.privateKey, { n: 2 }, 'key-2')}`)).toMatchObject({ n: 2 });
    expect(requests).toBe(2);

    await rejects(verifier, `Bearer ${await sign('RS256', rsa.privateKey, { n: 3 }, 'key-1')}`, /no JWKS key/);
  });

  it('keeps the JWKS cached within the cooldown', async () => {
    served = { keys: [await jwkOf(rsa.publicKey, 'key-1', 'RS256')] };
    requests = 0;
    const verifier = await TokenVerifier.create({ jwks: { url } }); // jose's default cooldown, 30 s
    await verifier.verify(`Bearer ${await sign('RS256', rsa.privateKey, { n: 1 }, 'key-1')}`);
    await verifier.verify(`Bearer ${await sign('RS256', rsa.privateKey, { n: 2 }, 'key-1')}`);
    await rejects(verifier, `Bearer ${await sign('RS256', rsa.privateKey, { n: 3 }, 'key-9')}`, /no JWKS key/);
    expect(requests).toBe(1);
  });

  it('allows only the configured JWKS algorithms', async () => {
    served = { keys: [await jwkOf(ec.publicKey, 'ec', 'ES256')] };
    const verifier = await TokenVerifier.create({ jwks: { url, algorithms: ['RS256'] } });
    await rejects(verifier, `Bearer ${await sign('ES256', ec.privateKey, {}, 'ec')}`, /algorithm "ES256" is not allowed/);
  });

  it('a second verify of the same token does not fetch or verify again', async () => {
    served = { keys: [await jwkOf(rsa.publicKey, 'key-1', 'RS256')] };
    requests = 0;
    const verifier = await TokenVerifier.create({ jwks: { url, cooldownMs: 0, cacheMaxAgeMs: 0 } }); // jose refetches every time
    const header = `Bearer ${await sign('RS256', rsa.privateKey, { exp: now() + 60 }, 'key-1')}`;
    const first = await verifier.verify(header);
    const second = await verifier.verify(header);
    expect(second).toBe(first);
    expect(requests).toBe(1);
  });

  it('checks audience, issuer and exp on JWKS-verified tokens too', async () => {
    served = { keys: [await jwkOf(rsa.publicKey, 'key-1', 'RS256')] };
    const verifier = await TokenVerifier.create({ jwks: { url, cooldownMs: 0 }, audience: ['my-app'], issuer: ['https://id.example.com/'] });
    const good = { aud: 'my-app', iss: 'https://id.example.com/' };
    expect(await verifier.verify(`Bearer ${await sign('RS256', rsa.privateKey, good, 'key-1')}`)).toMatchObject({ sub: 'u1' });
    await rejects(verifier, `Bearer ${await sign('RS256', rsa.privateKey, { ...good, aud: 'another-app' }, 'key-1')}`, /audience not accepted/);
    await rejects(verifier, `Bearer ${await sign('RS256', rsa.privateKey, { ...good, iss: 'https://evil.example.com/' }, 'key-1')}`, /issuer not accepted/);
    await rejects(verifier, `Bearer ${await sign('RS256', rsa.privateKey, { ...good, exp: undefined }, 'key-1')}`, /has no exp/);
  });

  it('a JWKS that is down is a TokenError', async () => {
    const verifier = await TokenVerifier.create({ jwks: { url: 'http://127.0.0.1:1/jwks.json', timeoutMs: 500 } });
    await rejects(verifier, `Bearer ${await sign('RS256', rsa.privateKey, {}, 'key-1')}`, /JWKS/);
  });
});
