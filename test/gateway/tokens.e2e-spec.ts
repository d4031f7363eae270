import { decodeJwt, SignJWT } from 'jose';
import { describeWithNatsServer } from '../support/nats-server';
import { ADAPTERS, BROKERS, JWT_SECRET, Mesh, startMesh } from '../support/mesh';
import { signToken } from '../support/tokens';

/**
 * What a token must be besides well signed (docs/security.md#tokens): minted for this app
 * (`auth.audience`), by this issuer (`auth.issuer`), with an `exp` (`auth.requireExp`, the
 * default), and spelled in canonical base64url. On both adapters and both brokers.
 */

const AUDIENCE = ['my-app', 'my-other-app'];
const ISSUER = 'https://id.example.com/';
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const ours = (claims: Record<string, unknown> = {}) => signToken({ sub: 'ada', aud: 'my-app', iss: ISSUER, ...claims });
/** The same token with its signature's unused low bits set: the same signature bytes, another spelling. */
const withUnusedBits = (token: string) => token.slice(0, -1) + ALPHABET[ALPHABET.indexOf(token.at(-1)!) | 1];
const withoutExp = () =>
  new SignJWT({ sub: 'ada', aud: 'my-app', iss: ISSUER }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().sign(new TextEncoder().encode(JWT_SECRET));

const variants = BROKERS.flatMap((kind) => ADAPTERS.map((adapter) => ({ kind, adapter })));

for (const { kind, adapter } of variants) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;

  describeFor(`tokens: audience, issuer, exp, one spelling (${kind}, ${adapter})`, () => {
    let mesh: Mesh;
    const fn = (func: string) => `/v1/api/demo/functions/test/${func}`;
    const callWith = (func: string, token: string) => mesh.call(fn(func), { params: 1 }, { Authorization: `Bearer ${token}` });

    beforeAll(async () => {
      mesh = await startMesh(kind, {
        adapter,
        rules: { test: { whoami: { rule: 'authenticated' }, echo: { rule: 'allow' } } },
        config: { auth: { audience: AUDIENCE, issuer: ISSUER } },
      });
    });
    afterAll(() => mesh?.stop());

    it('accepts a token of this app and issuer, with aud a string or a list holding one of ours', async () => {
      for (const token of [await ours(), await ours({ aud: ['someone-else', 'my-other-app'] })]) {
        const res = await callWith('whoami', token);
        expect(res.status).toBe(200);
        expect(res.body.result.auth).toEqual(decodeJwt(token));
      }
    });

    const refused: [string, () => Promise<string>][] = [
      ['a token minted for another app', () => ours({ aud: 'another-app' })],
      ['a token without aud', () => ours({ aud: undefined })],
      ['a token of another issuer', () => ours({ iss: 'https://id.evil.example/' })],
      ['a token without iss', () => ours({ iss: undefined })],
      ['a token without exp', withoutExp],
      ['a valid token with its signature padded', async () => `${await ours()}=`],
      ['a valid token whose signature has non-zero unused bits', async () => withUnusedBits(await ours())],
    ];

    it.each(refused)('answers 401 UNAUTHENTICATED to %s, also on an allow function', async (_, make) => {
      const token = await make();
      for (const func of ['whoami', 'echo']) {
        const res = await callWith(func, token);
        expect(res).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED', error: 'invalid token' } });
        expect(res.headers.get('x-request-id')).toBeTruthy();
      }
    });
  });
}
