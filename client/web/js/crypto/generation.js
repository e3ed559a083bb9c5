// The evidence of a key the committee generated itself (docs/spec.md §12.7,
// §12.8), read and checked as crypto/keygen/evidence.py verify_key_generation:
// the `transcript` of a `key-ceremony` v3 with generation "committee"
// (document `key-generation` v1: run, batch K, the chosen attempt, and per
// trustee its biprimality commitment, salt, 64 values, y_j, the Feldman
// commitments C_{j,0..t−1}, the hashes of its sealed letters and the
// signatures of its three rounds).
//
// The bytes each signature covers, byte for byte as evidence.py and
// envelope.py make them:
//   σ = H(keygen/session, election id, run, ‖n‖, t, ℓ, K, [identity keys])
//   commit: broadcast = the 32-byte commitment, no letters
//   reveal: broadcast = salt ‖ v_j(1) ‖ … ‖ v_j(64), each in ⌈‖n‖/8⌉ bytes, no letters
//   key/open: broadcast = y_j in ⌈(3‖n‖ + 1280)/8⌉ bytes ‖ each C_{j,m} in
//             ⌈2‖n‖/8⌉ bytes, letters [[recipient, SHA-256]] by recipient
//   signed: H(keygen/message, σ, label, sender, broadcast, letters), labels
//           "a<attempt>/commit", "a<attempt>/reveal", "key/open"
//   commitment = H(keygen/commitment, σ, "a<attempt>/commit", j, reveal broadcast)

import {
  allUnits, bigIntToBytes, bitLength, bytesEqual, concatBytes, isPerfectPower, modInverse, modPow, multiPow,
} from './bigint.js';
import { SignatureError, verifySignature } from './ed25519.js';
import { big, bytes, documentOf, list, object, small } from './form.js';
import { hasSmallFactor } from './modulus.js';
import { CeremonyFormError, KeyGenerationError, VerificationKeyError } from './refusals.js';
import { Tag, digest, hashToUnit } from './transcript.js';

export const TRANSCRIPT_VERSION = 1;
export const BIPRIMALITY_ROUNDS = 64;
export const MAX_KEYGEN_TRUSTEES = 16;
const MAX_RUN = 2 ** 31 - 1;
const MAX_BATCH = 1 << 16;
const SHARE_EXTRA_BITS = 1280;
const ROOT_BITS = 17; // no prime below 2^16 divides n, so a root of n has 17 bits or more

const ENTRY_KEYS = [
  'index', 'commitment', 'commit_signature', 'salt', 'biprimality', 'reveal_signature', 'y', 'commitments', 'letters',
  'open_signature',
];

/** share_bits(‖n‖) = 3‖n‖ + 1280 (§4.2): the admitted length of a key share, and of y_j. */
export function shareBits(nBits) {
  return 3 * nBits + SHARE_EXTRA_BITS;
}

const widthOf = (bits) => Math.ceil(bits / 8);

// ---- reading the transcript (§9) ----------------------------------------------------

function readEntry(value, path, index, bits, t) {
  object(value, path, ENTRY_KEYS);
  if (small(value.index, `${path}.index`, 1, MAX_KEYGEN_TRUSTEES) !== index) {
    throw new CeremonyFormError(`${path}.index: expected trustee ${index} (entries 1..ℓ in order)`);
  }
  const commitments = list(value.commitments, `${path}.commitments`, 2, MAX_KEYGEN_TRUSTEES);
  if (commitments.length !== t) throw new CeremonyFormError(`${path}.commitments: expected t = ${t} items`);
  return {
    index,
    commitment: bytes(value.commitment, `${path}.commitment`, 32),
    commitSignature: bytes(value.commit_signature, `${path}.commit_signature`, 64),
    salt: bytes(value.salt, `${path}.salt`, 32),
    // each value travelled in a word of ‖n‖ bits, y in share_bits(‖n‖), C in 2‖n‖
    biprimality: list(value.biprimality, `${path}.biprimality`, BIPRIMALITY_ROUNDS, BIPRIMALITY_ROUNDS)
      .map((v, r) => big(v, `${path}.biprimality[${r}]`, bits)),
    revealSignature: bytes(value.reveal_signature, `${path}.reveal_signature`, 64),
    y: big(value.y, `${path}.y`, shareBits(bits)),
    commitments: commitments.map((c, m) => big(c, `${path}.commitments[${m}]`, 2 * bits)),
    letters: list(value.letters, `${path}.letters`, 0, MAX_KEYGEN_TRUSTEES - 1).map((h, k) => {
      const at = `${path}.letters[${k}]`;
      object(h, at, ['recipient', 'sha256']);
      return { recipient: small(h.recipient, `${at}.recipient`, 1, MAX_KEYGEN_TRUSTEES), sha256: bytes(h.sha256, `${at}.sha256`, 32) };
    }),
    openSignature: bytes(value.open_signature, `${path}.open_signature`, 64),
  };
}

/**
 * The decoded `key-generation` v1 document of a ceremony whose threshold key
 * `key` ({n, vks, t}) is already read: one entry per trustee 1..ℓ in order,
 * 64 biprimality values and t commitments each, every value in its width.
 * Throws CeremonyFormError naming the field.
 */
export function readTranscript(value, path, key) {
  documentOf(value, path, 'key-generation', TRANSCRIPT_VERSION, ['run', 'batch', 'attempt', 'entries']);
  const bits = bitLength(key.n);
  const l = key.vks.length;
  const entries = list(value.entries, `${path}.entries`, 3, MAX_KEYGEN_TRUSTEES);
  if (entries.length !== l) throw new CeremonyFormError(`${path}.entries: expected one entry per trustee, ℓ = ${l}`);
  return {
    run: small(value.run, `${path}.run`, 1, MAX_RUN),
    batch: small(value.batch, `${path}.batch`, 1, MAX_BATCH),
    attempt: small(value.attempt, `${path}.attempt`, 0, MAX_RUN),
    entries: entries.map((e, i) => readEntry(e, `${path}.entries[${i}]`, i + 1, bits, key.t)),
  };
}

// ---- the signed bytes (§12.7) ---------------------------------------------------------

/** σ = H(keygen/session, election id, run, ‖n‖, t, ℓ, K, [identity keys in index order]). */
export function sessionHash(electionId, run, { bits, t, l, batch, identityKeys }) {
  return digest(Tag.KEYGEN_SESSION, electionId, run, bits, t, l, batch, [...identityKeys]);
}

/** H(keygen/message, σ, label, sender, broadcast, [[recipient, SHA-256] by recipient]). */
export function messageDigest(session, label, sender, broadcast, letters = []) {
  const sorted = [...letters].sort((a, b) => a.recipient - b.recipient);
  return digest(Tag.KEYGEN_MESSAGE, session, label, sender, broadcast, sorted.map((h) => [h.recipient, h.sha256]));
}

/** H(keygen/commitment, σ, label, sender, opening). */
export function commitmentOf(session, label, sender, opening) {
  return digest(Tag.KEYGEN_COMMITMENT, session, label, sender, opening);
}

/** The reveal broadcast: salt ‖ the 64 values, each in ⌈‖n‖/8⌉ bytes big-endian. */
export function revealBroadcast(salt, values, bits) {
  return concatBytes(salt, ...values.map((v) => bigIntToBytes(v, widthOf(bits))));
}

/** The key/open broadcast: y in ⌈share_bits(‖n‖)/8⌉ bytes, then each C in ⌈2‖n‖/8⌉ bytes. */
export function openBroadcast(y, commitments, bits) {
  return concatBytes(bigIntToBytes(y, widthOf(shareBits(bits))), ...commitments.map((c) => bigIntToBytes(c, widthOf(2 * bits))));
}

/** r_T = hash_to_unit(keygen/test-randomness, n, election id, n): c_T = Enc(x_T; r_T) (§12.8). */
export function testRandomness(electionId, n) {
  return hashToUnit(Tag.KEYGEN_TEST_RANDOMNESS, n, electionId, n);
}

// ---- the checks -------------------------------------------------------------------------

async function verifyRound(identityKey, signature, message, sender, label) {
  try {
    await verifySignature(identityKey, message, signature);
  } catch (error) {
    if (!(error instanceof SignatureError)) throw error;
    throw new KeyGenerationError(sender, `trustee ${sender}: round ${label}: the message is not signed by its identity key`);
  }
}

/** n ≡ 1 (mod 4), no prime below 2^16 divides n, n not a perfect power (§12.8). */
function checkModulusForm(n) {
  const fail = (message) => new KeyGenerationError(null, `generated modulus: ${message}`);
  if (n % 4n !== 1n) throw fail('n is not 1 modulo 4');
  if (hasSmallFactor(n)) throw fail('a prime below 2^16 divides n');
  if (isPerfectPower(n, ROOT_BITS)) throw fail('n is a perfect power');
}

/** Round r (0-based) passes: every v_j a unit in (0, n) and v_1 ≡ ±Π_{j>1} v_j (mod n). */
function roundPasses(n, values) {
  if (!allUnits(values, n)) return false;
  let rest = 1n;
  for (let j = 1; j < values.length; j++) rest = (rest * values[j]) % n;
  return values[0] === rest || values[0] === n - rest;
}

/**
 * §12.8 less the verification keys (checkGeneratedKeys): the form of n; with σ
 * recomputed, every trustee's commit, reveal and key/open signatures under
 * its identity key on the committee's card; every commitment opens to its
 * reveal; the letter lists name other trustees once each; all 64 biprimality
 * rounds pass. Throws KeyGenerationError (naming the trustee where one is to
 * blame).
 */
export async function verifyKeyGeneration(ceremony) {
  const { key, electionId, committee, transcript } = ceremony;
  const { n, t } = key;
  const l = key.vks.length;
  const bits = bitLength(n);
  checkModulusForm(n);
  const identityKeys = committee.trustees.map((m) => m.identityKey);
  const session = sessionHash(electionId, transcript.run, { bits, t, l, batch: transcript.batch, identityKeys });
  const commitLabel = `a${transcript.attempt}/commit`;
  const revealLabel = `a${transcript.attempt}/reveal`;
  for (const entry of transcript.entries) {
    const j = entry.index;
    const identity = identityKeys[j - 1];
    await verifyRound(identity, entry.commitSignature, messageDigest(session, commitLabel, j, entry.commitment), j, commitLabel);
    const opening = revealBroadcast(entry.salt, entry.biprimality, bits);
    await verifyRound(identity, entry.revealSignature, messageDigest(session, revealLabel, j, opening), j, revealLabel);
    if (!bytesEqual(commitmentOf(session, commitLabel, j, opening), entry.commitment)) {
      throw new KeyGenerationError(j, `trustee ${j}: the biprimality values differ from its commitment`);
    }
    const recipients = entry.letters.map((h) => h.recipient);
    if (new Set(recipients).size !== recipients.length || recipients.some((r) => r === j || r > l)) {
      throw new KeyGenerationError(j, `trustee ${j}: the letter list is malformed`);
    }
    const broadcast = openBroadcast(entry.y, entry.commitments, bits);
    await verifyRound(identity, entry.openSignature, messageDigest(session, 'key/open', j, broadcast, entry.letters), j, 'key/open');
  }
  for (let r = 0; r < BIPRIMALITY_ROUNDS; r++) {
    if (!roundPasses(n, transcript.entries.map((e) => e.biprimality[r]))) {
      throw new KeyGenerationError(null, `key generation: biprimality round ${r + 1} fails`);
    }
  }
}

/**
 * §12.6 step 4: v_1..v_ℓ are those the commitments give. Every C_{j,m} a unit
 * modulo n², θ = Σ y_j mod n a unit, c = θ⁻¹ mod n, and for each k
 * v_k = (Π_j Π_m C_{j,m}^(k^m))^(Δ·c) mod n², computed as Π_m D_m^(k^m) with
 * D_m = (Π_j C_{j,m})^(Δ·c): the same value (exponents commute), with t full
 * exponentiations modulo n² instead of ℓ. Throws VerificationKeyError.
 */
export function checkGeneratedKeys(key, transcript, delta) {
  const { n, vks } = key;
  const n2 = n * n;
  for (const entry of transcript.entries) {
    if (!allUnits(entry.commitments, n2)) {
      throw new VerificationKeyError(`key generation: a commitment of trustee ${entry.index} is not a unit modulo n²`);
    }
  }
  let c;
  try {
    c = modInverse(transcript.entries.reduce((sum, e) => sum + e.y, 0n) % n, n);
  } catch {
    throw new VerificationKeyError('key generation: θ is not a unit modulo n');
  }
  const coefficients = transcript.entries[0].commitments.map((_, m) => {
    const product = transcript.entries.reduce((acc, e) => (acc * e.commitments[m]) % n2, 1n);
    return modPow(product, delta * c, n2);
  });
  vks.forEach((vk, i) => {
    const k = BigInt(i + 1);
    if (multiPow(coefficients, coefficients.map((_, m) => k ** BigInt(m)), n2) !== vk) {
      throw new VerificationKeyError(`verification key v_${i + 1} is not the one the commitments give`);
    }
  });
}
