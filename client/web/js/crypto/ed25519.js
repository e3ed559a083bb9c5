// Ed25519 signatures (RFC 8032) on the vendored @noble/ed25519, for credential
// keys (docs/spec.md §8.4, §8.5) and receipts (§8.9).
//
// Only the async functions are used: they hash with crypto.subtle's SHA-512,
// so nothing in the library's global configuration is changed. Verification is
// the strict RFC 8032 rule (zip215: false), as libsodium (PyNaCl) applies it.

import * as ed from '../../vendor/noble-ed25519/index.js';

/** A signature does not verify under the given public key. */
export class SignatureError extends Error {
  constructor(message) {
    super(message);
    this.name = 'SignatureError';
  }
}

function bytes(x, length, what) {
  if (!(x instanceof Uint8Array) || (length !== undefined && x.length !== length)) {
    throw new TypeError(`${what}: expected ${length ?? 'some'} bytes`);
  }
  return x;
}

/** The 32-byte public key of a 32-byte seed. */
export async function publicKeyOf(seed) {
  return ed.getPublicKeyAsync(bytes(seed, 32, 'seed'));
}

/** The 64-byte signature of `message` by the key of `seed`. */
export async function signMessage(seed, message) {
  return ed.signAsync(bytes(message, undefined, 'message'), bytes(seed, 32, 'seed'));
}

/** Resolve when `signature` verifies under `publicKey`; otherwise throw SignatureError. */
export async function verifySignature(publicKey, message, signature) {
  let ok = false;
  try {
    ok = await ed.verifyAsync(
      bytes(signature, 64, 'signature'),
      bytes(message, undefined, 'message'),
      bytes(publicKey, 32, 'public key'),
      { zip215: false },
    );
  } catch (error) {
    if (error instanceof TypeError) throw error;
    ok = false; // a malformed point or scalar is a signature that does not verify
  }
  if (!ok) throw new SignatureError('signature does not verify');
}
