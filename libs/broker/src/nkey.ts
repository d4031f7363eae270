/**
 * nkey users, as nats-server checks them (server/auth.go): the public key is base32 of
 * [prefix byte, 32 ed25519 key bytes, crc16 little-endian]; a user key's prefix is 'U'. The client
 * proves the key by signing the INFO nonce; the signature comes base64url (raw) or standard base64.
 */
import { createPublicKey, KeyObject, randomBytes, verify } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** 'U' in nkeys: 20 << 3. */
const USER_PREFIX = 20 << 3;
const KEY_BYTES = 32;
/** nats-server's nonceRawLen: 11 random bytes, sent base64url (15 characters). */
const NONCE_BYTES = 11;

/** The ed25519 public key of a user nkey ("U..."), or undefined when it is not one. */
export function userNkeyPublicKey(nkey: string): KeyObject | undefined {
  const raw = base32Decode(nkey);
  if (!raw || raw.length !== 1 + KEY_BYTES + 2 || raw[0] !== USER_PREFIX) return undefined;
  const body = raw.subarray(0, raw.length - 2);
  if (crc16(body) !== raw.readUInt16LE(raw.length - 2)) return undefined;
  const x = raw.subarray(1, 1 + KEY_BYTES).toString('base64url');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
}

/** A fresh nonce for one connection's INFO. */
export function newNonce(): string {
  return randomBytes(NONCE_BYTES).toString('base64url');
}

/** Whether sig (base64url without padding, or standard base64) is the key's signature of the nonce. */
export function verifyNonceSignature(key: KeyObject, nonce: string, sig: string): boolean {
  const bytes = decodeSignature(sig);
  if (!bytes) return false;
  try {
    return verify(null, Buffer.from(nonce, 'utf8'), key, bytes);
  } catch {
    return false;
  }
}

const RAW_URL = /^[A-Za-z0-9_-]*$/;
const STD = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeSignature(sig: string): Buffer | undefined {
  if (sig.length === 0) return undefined;
  if (RAW_URL.test(sig)) return Buffer.from(sig, 'base64url');
  if (STD.test(sig) && sig.length % 4 === 0) return Buffer.from(sig, 'base64');
  return undefined;
}

function base32Decode(text: string): Buffer | undefined {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const v = BASE32.indexOf(text[i]);
    if (v < 0) return undefined;
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** CRC-16/XMODEM (polynomial 0x1021, initial 0), as nkeys uses. */
function crc16(data: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < data.length; i++) {
    crc ^= data[i] << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}
