/** Each base64url character's 6-bit value by its char code; -1 for every other character. */
const VALUES = new Int8Array(128).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('').forEach((char, value) => (VALUES[char.charCodeAt(0)] = value));

/** The unused low bits of a segment's last character, by the segment's length modulo 4 (1 is never a valid length). */
const UNUSED_BITS = [0, -1, 0b1111, 0b11];

/**
 * Whether `token` is a compact JWS (`header.payload.signature`) whose three segments are canonical
 * base64url (RFC 7515 section 2): only `A-Z a-z 0-9 - _`, no `=` padding, a length that some byte
 * count gives, and zero unused bits in the last character. jose decodes with Node's Buffer, which
 * also takes `=`, `+`, `/`, spaces and non-zero unused bits, so one signature would have many
 * spellings; with this check a token has exactly one (docs/security.md#tokens). One pass, no allocation.
 */
export function isCanonicalJws(token: string): boolean {
  let segments = 1;
  let start = 0;
  for (let i = 0; i <= token.length; i++) {
    const code = i < token.length ? token.charCodeAt(i) : 46; // the end closes the last segment like a '.'
    if (code === 46) {
      const unused = UNUSED_BITS[(i - start) % 4];
      if (unused < 0 || (unused > 0 && (VALUES[token.charCodeAt(i - 1)] & unused) !== 0)) return false;
      if (i < token.length && ++segments > 3) return false;
      start = i + 1;
    } else if (code > 127 || VALUES[code] < 0) {
      return false;
    }
  }
  return segments === 3;
}
