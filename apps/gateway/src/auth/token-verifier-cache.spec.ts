import { SignJWT } from 'jose';
import { TokenVerifier } from './token-verifier';
import { TokenCache } from 'nest-mesh/internal';

// Count the real signature checks: jwtVerify is wrapped, everything else in jose is the real thing.
jest.mock('jose', () => {
  const actual = jest.requireActual('jose');
  return { ...actual, jwtVerify: jest.fn(actual.jwtVerify) };
});
const { jwtVerify } = jest.requireMock<{ jwtVerify: jest.Mock }>('jose');

const SECRET = 'cache-test-secret-cache-test-secret';
const nowSec = () => Math.floor(Date.now() / 1000);
const hs = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));

describe('verified-token cache', () => {
  let clock: number;
  const now = () => clock;
  beforeEach(() => {
    jwtVerify.mockClear();
    clock = Date.now();
  });

  it('verifies a token once, then serves it from the cache', async () => {
    const verifier = await TokenVerifier.create({ secret: SECRET }, { now });
    const header = `Bearer ${await hs({ sub: 'u1', exp: nowSec() + 3600 })}`;
    const first = await verifier.verify(header);
    const second = await verifier.verify(header);
    expect(second).toBe(first);
    expect(jwtVerify).toHaveBeenCalledTimes(1);
  });

  it('trusts an entry at most 60 s', async () => {
    const verifier = await TokenVerifier.create({ secret: SECRET }, { now });
    const header = `Bearer ${await hs({ sub: 'u1', exp: nowSec() + 3600 })}`;
    await verifier.verify(header);
    clock += 59_000;
    await verifier.verify(header);
    expect(jwtVerify).toHaveBeenCalledTimes(1);
    clock += 2_000;
    await verifier.verify(header);
    expect(jwtVerify).toHaveBeenCalledTimes(2);
  });

  it('never past the token exp', async () => {
    const verifier = await TokenVerifier.create({ secret: SECRET }, { now });
    const header = `Bearer ${await hs({ sub: 'u1', exp: nowSec() + 5 })}`;
    await verifier.verify(header);
    clock += 6_000; // the cache's clock is past exp: verify again (jose, on the real clock, still accepts it)
    await verifier.verify(header);
    expect(jwtVerify).toHaveBeenCalledTimes(2);
  });

  it('does not cache failures', async () => {
    const verifier = await TokenVerifier.create({ secret: SECRET }, { now });
    const header = `Bearer ${await hs({ sub: 'u1', exp: nowSec() - 5 })}`;
    await expect(verifier.verify(header)).rejects.toThrow('token expired');
    await expect(verifier.verify(header)).rejects.toThrow('token expired');
    expect(jwtVerify).toHaveBeenCalledTimes(2);
  });

  it('is bounded: the oldest entry goes first', async () => {
    const verifier = await TokenVerifier.create({ secret: SECRET }, { now, cacheSize: 2 });
    const headers = await Promise.all([1, 2, 3].map(async (n) => `Bearer ${await hs({ n, exp: nowSec() + 3600 })}`));
    for (const header of headers) await verifier.verify(header);
    expect(jwtVerify).toHaveBeenCalledTimes(3);
    await verifier.verify(headers[2]);
    await verifier.verify(headers[1]);
    expect(jwtVerify).toHaveBeenCalledTimes(3);
    await verifier.verify(headers[0]);
    expect(jwtVerify).toHaveBeenCalledTimes(4);
  });

  it('TokenCache keeps at most maxEntries', () => {
    const cache = new TokenCache(3, 60_000);
    for (let i = 0; i < 10; i++) cache.set(`t${i}`, { i }, 0);
    expect(cache.size).toBe(3);
    expect(cache.get('t9', 0)).toEqual({ i: 9 });
    expect(cache.get('t0', 0)).toBeUndefined();
  });
});
