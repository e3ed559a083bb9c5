// Domain-separated, length-prefixed hashing (docs/spec.md §2), exactly as
// crypto/primitives/transcript.py.
//
// Every hash is SHA-256 over item("kiemphieu/v1/" + TAG) ‖ item(x_1) ‖ … where
// item(x) = type byte ‖ 4-byte big-endian body length ‖ body:
//   0x01 integer ≥ 0 (BigInt, or a safe non-negative JS integer): minimal
//        big-endian bytes, zero as one 0x00 byte;
//   0x02 bytes (Uint8Array); 0x03 text (UTF-8); 0x04 list (Array: the
//        concatenated item encodings of its elements).
// Negative integers, booleans and anything else throw TypeError/RangeError.

import { sha256 } from '../../vendor/noble-hashes/sha2.js';
import { bigIntToBytes, bitLength, bytesToBigInt, concatBytes, gcd } from './bigint.js';

export const DOMAIN_PREFIX = 'kiemphieu/v1/';
export const CHALLENGE_BITS = 128;

/** Every domain-separation tag of the protocol (spec §2.2). */
export const Tag = Object.freeze({
  MANIFEST: 'manifest',
  BASE: 'base',
  GENERATOR_V: 'threshold/v',
  MODULUS_PROOF_Y: 'modulus-proof/y',
  MODULUS_PROOF_W: 'modulus-proof/w',
  DECRYPTION_PROOF: 'decryption-proof',
  MEMBERSHIP_PROOF: 'membership-proof',
  CREDENTIAL_KEY: 'credential/key',
  BALLOT: 'ballot',
  BALLOT_SIGNATURE: 'ballot/signature',
  TEST_CIPHERTEXT: 'ceremony/test-ciphertext',
  BOARD_GENESIS: 'board/genesis',
  BOARD_ENTRY: 'board/entry',
  BOARD_ROLL: 'board/roll',
  RECEIPT: 'receipt',
  TRUSTEE_SHARES: 'trustee/shares',
  RECORD_INDEX: 'record/index',
  KEY_CEREMONY: 'key-ceremony',
  RING_PEDERSEN_PROOF: 'ring-pedersen-proof',
  FACTOR_PROOF: 'factor-proof',
  TRUSTEE_CARD: 'trustee/card',
  REGISTRAR_CARD: 'registrar/card',
  REGISTRAR_ROLL: 'registrar/roll',
  CLOSE_ATTESTATION: 'trustee/close',
  // the trustees' key generation (§12); the booth hashes session, message,
  // commitment and test-randomness to check a generated key (generation.js)
  KEYGEN_SESSION: 'keygen/session',
  KEYGEN_MESSAGE: 'keygen/message',
  KEYGEN_PRIVATE: 'keygen/private',
  KEYGEN_BIPRIMALITY: 'keygen/biprimality',
  KEYGEN_COMMITMENT: 'keygen/commitment',
  KEYGEN_TEST_RANDOMNESS: 'keygen/test-randomness',
});

const KNOWN_TAGS = new Set(Object.values(Tag));
const ENCODER = new TextEncoder();

function header(kind, length) {
  const out = new Uint8Array(5);
  out[0] = kind;
  new DataView(out.buffer).setUint32(1, length, false);
  return out;
}

function encodeItem(x) {
  let kind;
  let body;
  if (typeof x === 'boolean') throw new TypeError('booleans are not hashable items');
  if (typeof x === 'number') {
    if (!Number.isSafeInteger(x)) throw new TypeError('a hashed number must be a safe integer');
    x = BigInt(x);
  }
  if (typeof x === 'bigint') {
    if (x < 0n) throw new RangeError('negative integers are not hashed');
    kind = 1;
    body = bigIntToBytes(x);
  } else if (x instanceof Uint8Array) {
    kind = 2;
    body = x;
  } else if (typeof x === 'string') {
    kind = 3;
    body = ENCODER.encode(x);
  } else if (Array.isArray(x)) {
    kind = 4;
    body = concatBytes(...x.map(encodeItem));
  } else {
    throw new TypeError(`cannot hash a ${typeof x}`);
  }
  return concatBytes(header(kind, body.length), body);
}

function checkTag(tag) {
  if (!KNOWN_TAGS.has(tag)) throw new RangeError(`unknown domain tag ${JSON.stringify(tag)}`);
}

/** The exact bytes hashed for `tag` and `items` (spec §2.1). */
export function encodeItems(tag, items) {
  checkTag(tag);
  return concatBytes(encodeItem(DOMAIN_PREFIX + tag), ...items.map(encodeItem));
}

/** H(tag, items…): the 32-byte SHA-256 digest. */
export function digest(tag, ...items) {
  return sha256(encodeItems(tag, items));
}

/** challenge(tag, items…): the first 16 bytes of the digest, big-endian (spec §2.3). */
export function challenge(tag, ...items) {
  return bytesToBigInt(digest(tag, ...items).subarray(0, CHALLENGE_BITS / 8));
}

/** expand(tag, bits, items…): H(…, 0) ‖ H(…, 1) ‖ … truncated to `bits` bits (spec §2.3). */
export function expand(tag, bits, ...items) {
  const blocks = [];
  for (let counter = 0; blocks.length * 256 < bits; counter++) blocks.push(digest(tag, ...items, counter));
  const value = bytesToBigInt(concatBytes(...blocks));
  return value >> BigInt(blocks.length * 256 - bits);
}

/** hash_to_unit(tag, modulus, items…): the first unit of expand(‖N‖ + 128, items, attempt) mod N. */
export function hashToUnit(tag, modulus, ...items) {
  const bits = bitLength(modulus) + 128;
  for (let attempt = 0; ; attempt++) {
    const x = expand(tag, bits, ...items, attempt) % modulus;
    if (x > 0n && gcd(x, modulus) === 1n) return x;
  }
}
