import { nkeys } from 'nats';
import { newNonce, userNkeyPublicKey, verifyNonceSignature } from './nkey';

describe('nkey users', () => {
  const kp = nkeys.createUser();
  const key = userNkeyPublicKey(kp.getPublicKey())!;

  it('decodes a user public nkey and refuses other keys or a bad checksum', () => {
    expect(key).toBeDefined();
    expect(key.asymmetricKeyType).toBe('ed25519');
    expect(userNkeyPublicKey(nkeys.createAccount().getPublicKey())).toBeUndefined();
    const pub = kp.getPublicKey();
    const flipped = pub.slice(0, 10) + (pub[10] === 'A' ? 'B' : 'A') + pub.slice(11);
    expect(userNkeyPublicKey(flipped)).toBeUndefined();
    expect(userNkeyPublicKey('U' + 'a'.repeat(55))).toBeUndefined();
    expect(userNkeyPublicKey('')).toBeUndefined();
  });

  it('verifies the nonce signature in base64url and standard base64, nothing else', () => {
    const nonce = newNonce();
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{15}$/);
    const sig = Buffer.from(kp.sign(Buffer.from(nonce)));
    expect(verifyNonceSignature(key, nonce, sig.toString('base64url'))).toBe(true);
    expect(verifyNonceSignature(key, nonce, sig.toString('base64'))).toBe(true);
    expect(verifyNonceSignature(key, newNonce(), sig.toString('base64url'))).toBe(false);
    expect(verifyNonceSignature(key, nonce, '')).toBe(false);
    expect(verifyNonceSignature(key, nonce, 'not base64!')).toBe(false);
    expect(verifyNonceSignature(key, nonce, sig.subarray(1).toString('base64url'))).toBe(false);
  });
});
