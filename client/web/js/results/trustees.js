// Trustees and their signed share documents (docs/spec.md §8.10), mirroring
// crypto/election/trustee.py: the committee is the key ceremony's (signed
// `trustee` v2 cards under H_E); a `trustee-shares` document holds H_E, the
// trustee's index, the purpose, the ciphertexts, one decryption share with
// proof per ciphertext, and an Ed25519 signature by the trustee's identity key
// over H(trustee/shares, canonical bytes with a zero signature).

import { bytesEqual } from '../crypto/bigint.js';
import { canonicalBytes } from '../crypto/canonical.js';
import { SignatureError, verifySignature } from '../crypto/ed25519.js';
import { Tag, digest } from '../crypto/transcript.js';
import { MAX_TRUSTEES } from './election.js';
import { bigHex, bool, bytes, documentOf, list, object, oneOf, ReplyError, smallInt, text } from './reply.js';
import { ShareError } from './decryption.js';

export const PURPOSES = ['test', 'tally'];
export const MAX_CIPHERTEXTS = 64;
const ZERO_SIGNATURE = '00'.repeat(64);
const Z_MAX_BITS = 16384;

const TRUSTEE_KEYS = ['index', 'name', 'role', 'identity_key', 'encryption_key', 'pedersen', 'signature'];

/**
 * The committee of a key ceremony (document `committee` v1 under
 * summary.key_ceremony, which H_E binds): Map index → {index, name,
 * identityKey} of its `trustee` v2 documents, which must be the ℓ members
 * 1..ℓ in order.
 */
export function readCommittee(committee, path, size) {
  documentOf(committee, path, 'committee', 1, ['trustees', 'registrar']);
  const out = new Map();
  list(committee.trustees, `${path}.trustees`, 1, MAX_TRUSTEES).forEach((t, i) => {
    const at = `${path}.trustees[${i}]`;
    documentOf(t, at, 'trustee', 2, TRUSTEE_KEYS);
    const index = smallInt(t.index, `${at}.index`, 1, MAX_TRUSTEES);
    if (index !== i + 1) throw new ReplyError(`${at}.index`, `member ${i + 1} of the committee has index ${index}`);
    out.set(index, {
      index,
      name: text(t.name, `${at}.name`),
      identityKey: bytes(t.identity_key, `${at}.identity_key`, 32),
    });
  });
  if (out.size !== size) throw new ReplyError(`${path}.trustees`, `the committee has ${out.size} members, the key ${size}`);
  return out;
}

/**
 * The entries of a GET /shares reply ({index, purpose, valid, error, at,
 * shares}); the documents themselves are read by readSharesDocument.
 */
export function readShareLog(reply) {
  object(reply, 'shares');
  return list(reply.shares, 'shares.shares').map((entry, i) => {
    const at = `shares.shares[${i}]`;
    object(entry, at);
    return {
      position: i,
      path: `${at}.shares`,
      index: smallInt(entry.index, `${at}.index`, 1, MAX_TRUSTEES),
      purpose: oneOf(entry.purpose, `${at}.purpose`, PURPOSES),
      valid: bool(entry.valid, `${at}.valid`),
      wire: entry.shares,
    };
  });
}

/** A `trustee-shares` document: its fields decoded, and its wire object kept for the signature. */
export function readSharesDocument(value, path) {
  documentOf(value, path, 'trustee-shares', 1, ['election', 'index', 'purpose', 'ciphertexts', 'shares', 'signature']);
  const ciphertexts = list(value.ciphertexts, `${path}.ciphertexts`, 1, MAX_CIPHERTEXTS).map((c, i) =>
    bigHex(c, `${path}.ciphertexts[${i}]`),
  );
  const shares = list(value.shares, `${path}.shares`, 1, MAX_CIPHERTEXTS).map((s, i) => {
    const at = `${path}.shares[${i}]`;
    object(s, at, ['index', 'ci', 'proof']);
    object(s.proof, `${at}.proof`, ['a', 'b', 'z']);
    return {
      index: smallInt(s.index, `${at}.index`, 1, MAX_TRUSTEES),
      ci: bigHex(s.ci, `${at}.ci`),
      proof: {
        a: bigHex(s.proof.a, `${at}.proof.a`),
        b: bigHex(s.proof.b, `${at}.proof.b`),
        z: bigHex(s.proof.z, `${at}.proof.z`, Z_MAX_BITS),
      },
    };
  });
  return {
    wire: value,
    election: bytes(value.election, `${path}.election`, 32),
    index: smallInt(value.index, `${path}.index`, 1, MAX_TRUSTEES),
    purpose: oneOf(value.purpose, `${path}.purpose`, PURPOSES),
    ciphertexts,
    shares,
    signature: bytes(value.signature, `${path}.signature`, 64),
  };
}

/** H(trustee/shares, canonical bytes of the document with a zero signature). */
export function sharesMessage(doc) {
  return digest(Tag.TRUSTEE_SHARES, canonicalBytes({ ...doc.wire, signature: ZERO_SIGNATURE }));
}

/**
 * The checks of §8.10 before the proofs: the document is for this election,
 * this trustee and exactly the `expected` ciphertexts, one share per
 * ciphertext each of this index, and its signature verifies under the
 * trustee's identity key (crypto/ed25519.js: strict, as libsodium). Throws
 * ShareError naming the trustee.
 */
export async function checkSharesDocument(doc, trustee, electionHash, expected) {
  const who = `trustee ${doc.index}`;
  if (!bytesEqual(doc.election, electionHash)) throw new ShareError(`${who}: shares are for another election`, doc.index);
  if (trustee === undefined) throw new ShareError(`${who}: no such trustee on the committee`, doc.index);
  if (doc.index !== trustee.index) {
    throw new ShareError(`shares of trustee ${doc.index} presented as trustee ${trustee.index}`, doc.index);
  }
  if (doc.ciphertexts.length !== expected.length || doc.ciphertexts.some((c, i) => c !== expected[i])) {
    throw new ShareError(`${who}: shares decrypt other ciphertexts than the ones required`, doc.index);
  }
  if (doc.shares.length !== doc.ciphertexts.length || doc.shares.some((s) => s.index !== doc.index)) {
    throw new ShareError(`${who}: one share per ciphertext, each of this trustee`, doc.index);
  }
  try {
    await verifySignature(trustee.identityKey, sharesMessage(doc), doc.signature);
  } catch (err) {
    if (!(err instanceof SignatureError)) throw err;
    throw new ShareError(`${who}: the signature does not verify under the identity key`, doc.index);
  }
}
