import { randomBytes } from 'node:crypto';
import { isCanonicalJws } from './canonical-jws';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const b64 = (bytes: Buffer) => bytes.toString('base64url');
const jws = (signature: string) => `${b64(Buffer.from('{"alg":"HS256"}'))}.${b64(Buffer.from('{"sub":"u1"}'))}.${signature}`;
/** The same segment with its last character's unused bits set (it decodes to the same bytes). */
const bumped = (segment: string) => segment.slice(0, -1) + ALPHABET[ALPHABET.indexOf(segment.at(-1)!) | 1];

describe('isCanonicalJws', () => {
  it('accepts what Buffer encodes, at every length', () => {
    for (let n = 0; n < 70; n++) expect(isCanonicalJws(jws(b64(randomBytes(n))))).toBe(true);
  });

  it('accepts an empty signature (alg none is refused later, by the algorithm)', () => expect(isCanonicalJws(jws(''))).toBe(true));

  it.each([
    ['a padded signature', jws(`${b64(randomBytes(32))}=`)],
    ['padding in the header', jws(b64(randomBytes(32))).replace('.', '=.')],
    ['non-zero unused bits (2 of them)', jws(bumped(b64(randomBytes(32))))],
    ['non-zero unused bits (4 of them)', jws(bumped(b64(randomBytes(64))))],
    ['non-zero unused bits in the header', `${bumped(b64(Buffer.from('{"alg":"HS256","kid":"k"}')))}.e30.${b64(randomBytes(32))}`],
    ['"+" and "/" (base64, not base64url)', jws('ab+/cd')],
    ['a space', jws('abc def')],
    ['a non-ASCII character', jws('abcé')],
    ['a length no byte count gives', jws('abcde')],
    ['two segments', 'e30.e30'],
    ['four segments', 'e30.e30.e30.e30'],
    ['nothing', ''],
  ])('refuses %s', (_, token) => expect(isCanonicalJws(token)).toBe(false));
});
