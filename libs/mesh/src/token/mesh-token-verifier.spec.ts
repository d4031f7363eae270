import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { exportJWK, exportSPKI, SignJWT, UnsecuredJWT } from 'jose';
import { headers as natsHeaders } from 'nats';
import { MeshHeaders } from '@nest-mesh/wire';
import { MeshError } from '../mesh-error';
import { MeshContext } from '../service/mesh-context';
import { MeshTokenVerifier } from './mesh-token-verifier';

const gateway = generateKeyPairSync('ed25519');
const stranger = generateKeyPairSync('ed25519');
const now = () => Math.floor(Date.now() / 1000);

interface Overrides {
  key?: KeyObject | Uint8Array;
  alg?: string;
  typ?: string;
  iss?: string;
  aud?: string;
  iat?: number;
  exp?: number;
  auth?: unknown;
  kid?: string;
}

function sign(o: Overrides = {}): Promise<string> {
  const iat = o.iat ?? now();
  return new SignJWT({ svc: 'test', fn: 'whoami', auth: o.auth === undefined ? { sub: 'u1', role: 'user' } : o.auth, sub: 'u1' })
    .setProtectedHeader({ alg: o.alg ?? 'EdDSA', typ: o.typ ?? 'mesh+jwt', kid: o.kid ?? 'k1' })
    .setIssuer(o.iss ?? 'nest-mesh')
    .setAudience(o.aud ?? 'demo')
    .setIssuedAt(iat)
    .setExpirationTime(o.exp ?? iat + 120)
    .sign(o.key ?? gateway.privateKey);
}

/** The same token with the unused low bits of its signature's last character set: the same bytes, another spelling. */
function withUnusedBits(token: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  return token.slice(0, -1) + alphabet[alphabet.indexOf(token.at(-1)!) | 1];
}

function contextWith(token: string | undefined, meshAuth?: string): MeshContext {
  const headers = natsHeaders();
  if (token !== undefined) headers.set(MeshHeaders.token, token);
  if (meshAuth !== undefined) headers.set(MeshHeaders.auth, meshAuth);
  return new MeshContext('mesh.test.whoami', headers, 'test', 'whoami');
}

async function outcome(verifier: MeshTokenVerifier, ctx: MeshContext): Promise<MeshError | 'ok'> {
  try {
    await verifier.verify(ctx);
    return 'ok';
  } catch (error) {
    return error as MeshError;
  }
}

describe('MeshTokenVerifier', () => {
  const warnings: string[] = [];
  const logger = { warn: (m: string) => warnings.push(m) };
  let verifier: MeshTokenVerifier;

  beforeAll(async () => {
    verifier = await MeshTokenVerifier.create({ publicKey: gateway.publicKey.export({ type: 'spki', format: 'pem' }) as string, audience: 'demo' }, logger);
  });

  it('takes ctx.auth from a valid token, never from a Mesh-Auth header that disagrees', async () => {
    const ctx = contextWith(await sign(), JSON.stringify({ sub: 'u1', role: 'admin' }));
    expect(await outcome(verifier, ctx)).toBe('ok');
    expect(ctx.auth).toEqual({ sub: 'u1', role: 'user' });
    expect(JSON.parse(ctx.rawAuth!)).toEqual({ sub: 'u1', role: 'user' });
  });

  it('gives no auth for an anonymous token, whatever Mesh-Auth says', async () => {
    const ctx = contextWith(await sign({ auth: null }), JSON.stringify({ role: 'admin' }));
    expect(await outcome(verifier, ctx)).toBe('ok');
    expect(ctx.auth).toBeUndefined();
    expect(ctx.rawAuth).toBeUndefined();
  });

  it('answers a token seen before from its cache, at once', async () => {
    const token = await sign({ auth: { sub: 'cached' } });
    expect(await outcome(verifier, contextWith(token))).toBe('ok');
    const ctx = contextWith(token);
    expect(verifier.verify(ctx)).toBeUndefined();
    expect(ctx.auth).toEqual({ sub: 'cached' });
  });

  const bad: [string, () => Promise<string | undefined>, RegExp][] = [
    ['a missing token', async () => undefined, /no Mesh-Token/],
    ['a token signed by another key (forged)', () => sign({ key: stranger.privateKey }), /bad signature/],
    ['an expired token', () => sign({ iat: now() - 300, exp: now() - 100 }), /expired/],
    ['a token of another project (wrong audience)', () => sign({ aud: 'other' }), /claim aud/],
    ['a token of another issuer', () => sign({ iss: 'someone' }), /claim iss/],
    ['a token that is not a mesh+jwt', () => sign({ typ: 'JWT' }), /claim typ/],
    ['a token that lives longer than 120 s', () => sign({ exp: now() + 3600 }), /longer than 120/],
    ['an alg: none token', async () => new UnsecuredJWT({ svc: 'test', fn: 'whoami', auth: { role: 'admin' } }).setIssuer('nest-mesh').setAudience('demo').setIssuedAt().setExpirationTime('1m').encode(), /algorithm|malformed/],
    [
      'an HS256 token keyed with the public key (algorithm confusion)',
      () => sign({ alg: 'HS256', key: new TextEncoder().encode(gateway.publicKey.export({ type: 'spki', format: 'pem' }) as string) }),
      /algorithm/,
    ],
    ['text that is not a JWS', async () => 'not.a.token', /malformed/],
    ['a valid token with its signature padded', async () => `${await sign()}==`, /not canonical base64url/],
    ['a valid token whose signature has non-zero unused bits', async () => withUnusedBits(await sign()), /not canonical base64url/],
    ['an auth claim that is not an object', () => sign({ auth: 'admin' }), /auth claim/],
  ];

  it.each(bad)('answers 401 UNAUTHENTICATED to %s and logs why with the subject', async (_, make, reason) => {
    warnings.length = 0;
    const ctx = contextWith(await make(), JSON.stringify({ role: 'admin' }));
    const result = await outcome(verifier, ctx);
    expect(result).toBeInstanceOf(MeshError);
    expect(result).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^call to mesh\.test\.whoami refused: /);
    expect(warnings[0]).toMatch(reason);
    expect(warnings[0]).not.toContain('eyJ'); // never the token itself
  });

  it('verifies with a JWKS object', async () => {
    const jwk = { ...(await exportJWK(gateway.publicKey)), kid: 'k1', alg: 'EdDSA' };
    const byJwks = await MeshTokenVerifier.create({ jwks: { keys: [jwk] }, audience: 'demo' });
    expect(await outcome(byJwks, contextWith(await sign()))).toBe('ok');
    expect(await outcome(byJwks, contextWith(await sign({ key: stranger.privateKey })))).toMatchObject({ status: 401 });
  });

  describe('with a JWKS URL', () => {
    let server: Server;
    let url: string;
    let fetches = 0;

    beforeAll(async () => {
      const jwk = { ...(await exportJWK(gateway.publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
      server = createServer((_, res) => {
        fetches++;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: [jwk] }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('fetches the keys once and verifies', async () => {
      const remote = await MeshTokenVerifier.create({ jwks: url, audience: 'demo' });
      expect(await outcome(remote, contextWith(await sign({ auth: { n: 1 } })))).toBe('ok');
      expect(await outcome(remote, contextWith(await sign({ auth: { n: 2 } })))).toBe('ok');
      expect(fetches).toBe(1);
      expect(await outcome(remote, contextWith(await sign({ key: stranger.privateKey })))).toMatchObject({ status: 401 });
    });
  });

  it('refuses options without exactly one key source, or without an audience', async () => {
    const pem = await exportSPKI(gateway.publicKey);
    await expect(MeshTokenVerifier.create({ audience: 'demo' })).rejects.toThrow(/exactly one of jwks or publicKey/);
    await expect(MeshTokenVerifier.create({ publicKey: pem, jwks: { keys: [] }, audience: 'demo' })).rejects.toThrow(/exactly one/);
    await expect(MeshTokenVerifier.create({ publicKey: pem, audience: '' })).rejects.toThrow(/audience/);
    await expect(MeshTokenVerifier.create({ publicKey: 'not a pem', audience: 'demo' })).rejects.toThrow(/verify.publicKey/);
    await expect(MeshTokenVerifier.create({ jwks: 'ftp://x/keys', audience: 'demo' })).rejects.toThrow(/verify.jwks/);
  });
});
