// Voter credentials: typable codes and their Ed25519 keys (docs/spec.md §8.4),
// as crypto/election/credential.py.
//
// A code is 26 characters of the alphabet 0-9 A-Z without I, L, O, U (130
// random bits) and a Damm check character over GF(32); it is shown in groups
// of four. Reading forgives case, spaces, tabs, newlines, hyphens and the
// look-alikes O→0, I→1, L→1. The seed is HKDF-SHA256(salt
// "kiemphieu/v1/credential/key", IKM the 26 data characters, info the
// election id, a zero byte and the registrar's 32-byte identity key), 32
// bytes; the public key is the credential. Binding the registrar's key means
// a server that serves another key ceremony (and so another registrar) cannot
// list the voter's key there without the code.

import { hkdf } from '../../vendor/noble-hashes/hkdf.js';
import { sha256 } from '../../vendor/noble-hashes/sha2.js';
import { publicKeyOf, signMessage } from './ed25519.js';
import { DOMAIN_PREFIX, Tag } from './transcript.js';

export const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const DATA_CHARS = 26;
export const GROUP = 4;
export const KDF_SALT = DOMAIN_PREFIX + Tag.CREDENTIAL_KEY;

const ENCODER = new TextEncoder();
const LOOKALIKE = { O: '0', I: '1', L: '1' };

/** A typed code is malformed: `reason` is 'length', 'alphabet' or 'check'. */
export class CredentialError extends Error {
  constructor(reason, message) {
    super(message);
    this.name = 'CredentialError';
    this.reason = reason;
  }
}

/** interim ∘ digit = 2·interim + digit in GF(32) = GF(2)[X]/(X^5 + X^2 + 1). */
export function dammStep(interim, digit) {
  let doubled = (interim << 1) & 31;
  if (interim & 16) doubled ^= 0b00101;
  return doubled ^ digit;
}

/** The check character of 26 data characters. */
export function checkCharacter(data) {
  let interim = 0;
  for (const ch of data) {
    const digit = ALPHABET.indexOf(ch);
    if (digit < 0) throw new CredentialError('alphabet', `character ${JSON.stringify(ch)} is not in the code alphabet`);
    interim = dammStep(interim, digit);
  }
  return ALPHABET[dammStep(interim, 0)];
}

/**
 * Normalize and check a typed code; return the 27 characters (data and check
 * character) in upper case without separators. Throws CredentialError.
 */
export function parseCredential(text) {
  if (typeof text !== 'string' || !/^[\x00-\x7f]*$/.test(text)) {
    throw new CredentialError('alphabet', 'a code holds only ASCII letters, digits, spaces and hyphens');
  }
  const cleaned = [...text.toUpperCase()]
    .filter((ch) => !' -\t\n'.includes(ch))
    .map((ch) => LOOKALIKE[ch] ?? ch)
    .join('');
  if (cleaned.length !== DATA_CHARS + 1) {
    throw new CredentialError('length', `a code has ${DATA_CHARS + 1} characters, got ${cleaned.length}`);
  }
  const bad = [...new Set([...cleaned].filter((ch) => !ALPHABET.includes(ch)))].sort();
  if (bad.length) throw new CredentialError('alphabet', `characters not in the code alphabet: ${bad.join('')}`);
  if (checkCharacter(cleaned.slice(0, DATA_CHARS)) !== cleaned[DATA_CHARS]) {
    throw new CredentialError('check', 'check character does not match: the code is mistyped');
  }
  return cleaned;
}

/** The display form: groups of four joined by hyphens (accepts any typed form). */
export function formatCredential(code) {
  const full = parseCredential(code);
  const groups = [];
  for (let i = 0; i < full.length; i += GROUP) groups.push(full.slice(i, i + GROUP));
  return groups.join('-');
}

/** HKDF-SHA256 (RFC 5869) of Uint8Array inputs. */
export function hkdfSha256(ikm, salt, info, length = 32) {
  return hkdf(sha256, ikm, salt, info, length);
}

/** HKDF info: the election id in UTF-8, a zero byte, the registrar's key (§8.4). */
export function kdfInfo(electionId, registrarKey) {
  if (!(registrarKey instanceof Uint8Array) || registrarKey.length !== 32) {
    throw new TypeError("the registrar's key is 32 bytes");
  }
  const id = ENCODER.encode(electionId);
  const info = new Uint8Array(id.length + 1 + 32);
  info.set(id, 0);
  info.set(registrarKey, id.length + 1);
  return info;
}

/** The Ed25519 seed of a code for an election under its registrar's key (§8.4). */
export function deriveSeed(code, electionId, registrarKey) {
  const data = parseCredential(code).slice(0, DATA_CHARS);
  return hkdfSha256(ENCODER.encode(data), ENCODER.encode(KDF_SALT), kdfInfo(electionId, registrarKey), 32);
}

/**
 * A voter's key for one election. The seed stays in a private field: it is
 * not enumerable, not in JSON, not in a console listing of the object.
 */
export class Credential {
  #seed;

  constructor(electionId, publicKey, seed) {
    this.electionId = electionId;
    this.publicKey = publicKey;
    this.publicKeyHex = [...publicKey].map((b) => b.toString(16).padStart(2, '0')).join('');
    this.#seed = seed;
    Object.freeze(this);
  }

  /** Ed25519 signature (64 bytes) of `message`. */
  sign(message) {
    return signMessage(this.#seed, message);
  }

  toJSON() {
    return { electionId: this.electionId, publicKey: this.publicKeyHex };
  }
}

/** The credential of a typed code for `electionId` under the registrar key `registrarKey` (§8.4). */
export async function credentialFor(code, electionId, registrarKey) {
  const seed = deriveSeed(code, electionId, registrarKey);
  return new Credential(electionId, await publicKeyOf(seed), seed);
}
