// The booth's check of a key the committee generated (client/web/js/crypto/
// generation.js through ceremony.js checkKeyCeremony, docs/spec.md §12.8)
// against tests/vectors/keygen.json: the session, the signed bytes and their
// digests are Python's byte for byte, the honest ceremony passes its steps,
// and each kind of tampering is refused by the step that names it. Forgeries
// that need a trustee's signature are re-signed with the test committee's
// identity seeds (HashCoins("test-512/trustee-<i>/identity"), public in
// tests/vectors/README.md), as a deviating trustee could.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  bigIntToBytes, bigIntToHex, bytesToHex, hexToBigInt, hexToBytes, isProbablePrime, modPow,
} from '../../client/web/js/crypto/bigint.js';
import {
  GENERATED_STEPS, STEPS, ceremonyHash, checkKeyCeremony, readCeremony, stepsOf,
} from '../../client/web/js/crypto/ceremony.js';
import { publicKeyOf, signMessage } from '../../client/web/js/crypto/ed25519.js';
import { baseHash } from '../../client/web/js/crypto/election.js';
import {
  commitmentOf, messageDigest, openBroadcast, revealBroadcast, sessionHash, testRandomness,
} from '../../client/web/js/crypto/generation.js';
import {
  CeremonyFormError, KeyCheckError, KeyGenerationError, TestCiphertextError, VerificationKeyError,
} from '../../client/web/js/crypto/refusals.js';
import { HashCoins } from './hashcoins.mjs';
import { vector } from './vectors.mjs';

const KEYGEN = vector('keygen.json');
const THRESHOLD = vector('threshold.json');
const ID = KEYGEN.election_id;
const N = hexToBigInt(KEYGEN.key_ceremony.key.n);
const BITS = KEYGEN.bits;
const ATTEMPT = KEYGEN.key_ceremony.transcript.attempt;

const fresh = () => structuredClone(KEYGEN.key_ceremony);
const check = (wire, policy = 'testing') => checkKeyCeremony(wire, { electionId: ID, policy });
const entryOf = (wire, j) => wire.transcript.entries[j - 1];

/** Assert `wire` is refused by an error of class `kind` whose message matches `message`. */
async function refused(wire, kind, message, { trustee } = {}) {
  await assert.rejects(check(wire), (error) => {
    assert.ok(error instanceof kind, `${error.name}: ${error.message}`);
    assert.ok(error instanceof KeyCheckError);
    assert.match(error.message, message);
    if (trustee !== undefined) assert.equal(error.trustee, trustee);
    return true;
  });
}

/** Trustee j's identity seed in the test committee (generate.py seed_of). */
const seedOf = (j) => bigIntToBytes(new HashCoins(`test-512/trustee-${j}/identity`).bits(256), 32);

/** The session σ of the recorded run, from the decoded ceremony. */
function session(wire) {
  const c = readCeremony(wire, ID);
  return sessionHash(ID, c.transcript.run, {
    bits: BITS, t: c.key.t, l: c.key.vks.length, batch: c.transcript.batch, identityKeys: c.committee.trustees.map((m) => m.identityKey),
  });
}

/** Trustee j re-commits to and re-signs its biprimality values (as changed in `wire`). */
async function recommit(wire, j) {
  const entry = entryOf(wire, j);
  const sigma = session(wire);
  const values = entry.biprimality.map((v) => hexToBigInt(v));
  const opening = revealBroadcast(hexToBytes(entry.salt), values, BITS);
  const commitment = commitmentOf(sigma, `a${ATTEMPT}/commit`, j, opening);
  entry.commitment = bytesToHex(commitment);
  entry.commit_signature = bytesToHex(await signMessage(seedOf(j), messageDigest(sigma, `a${ATTEMPT}/commit`, j, commitment)));
  entry.reveal_signature = bytesToHex(await signMessage(seedOf(j), messageDigest(sigma, `a${ATTEMPT}/reveal`, j, opening)));
}

/** Trustee j re-signs its key/open broadcast (as changed in `wire`). */
async function reopen(wire, j) {
  const entry = entryOf(wire, j);
  const broadcast = openBroadcast(hexToBigInt(entry.y), entry.commitments.map((c) => hexToBigInt(c)), BITS);
  const letters = entry.letters.map((h) => ({ recipient: h.recipient, sha256: hexToBytes(h.sha256) }));
  const message = messageDigest(session(wire), 'key/open', j, broadcast, letters);
  entry.open_signature = bytesToHex(await signMessage(seedOf(j), message));
}

test('the committee of keygen.json is the one of threshold.json, and its seeds are the test seeds', async () => {
  assert.deepEqual(KEYGEN.key_ceremony.committee, THRESHOLD.key_ceremony.committee);
  for (const j of [1, 4]) {
    assert.equal(bytesToHex(await publicKeyOf(seedOf(j))), KEYGEN.key_ceremony.committee.trustees[j - 1].identity_key);
  }
});

test('σ, the signed bytes, their digests and r_T are those Python made', () => {
  const sigma = session(KEYGEN.key_ceremony);
  assert.equal(bytesToHex(sigma), KEYGEN.session);
  const ceremony = readCeremony(fresh(), ID);
  ceremony.transcript.entries.forEach((entry, k) => {
    const want = KEYGEN.entries[k];
    const j = entry.index;
    assert.equal(j, want.index);
    assert.equal(bytesToHex(entry.commitment), want.commit.broadcast);
    assert.equal(bytesToHex(messageDigest(sigma, want.commit.label, j, entry.commitment)), want.commit.digest);
    const opening = revealBroadcast(entry.salt, entry.biprimality, BITS);
    assert.equal(opening.length, 32 + 64 * Math.ceil(BITS / 8));
    assert.equal(bytesToHex(opening), want.reveal.broadcast);
    assert.equal(bytesToHex(messageDigest(sigma, want.reveal.label, j, opening)), want.reveal.digest);
    assert.equal(bytesToHex(commitmentOf(sigma, want.commit.label, j, opening)), want.commit.broadcast);
    const broadcast = openBroadcast(entry.y, entry.commitments, BITS);
    assert.equal(broadcast.length, Math.ceil((3 * BITS + 1280) / 8) + entry.commitments.length * Math.ceil((2 * BITS) / 8));
    assert.equal(bytesToHex(broadcast), want.open.broadcast);
    assert.deepEqual(entry.letters.map((h) => [h.recipient, bytesToHex(h.sha256)]), want.open.letters);
    // the digest sorts the letters by recipient, whatever their order on the wire
    const reversed = [...entry.letters].reverse();
    assert.equal(bytesToHex(messageDigest(sigma, 'key/open', j, broadcast, reversed)), want.open.digest);
  });
  assert.equal(bigIntToHex(testRandomness(ID, N)), KEYGEN.test_randomness);
});

test('the key ceremony hash and H_E are those of the vector', () => {
  assert.equal(bytesToHex(ceremonyHash(KEYGEN.key_ceremony)), KEYGEN.key_ceremony_hash);
  assert.equal(bytesToHex(baseHash(KEYGEN.manifest, KEYGEN.key_ceremony)), KEYGEN.base_hash);
});

test('the generated key passes every step of GENERATED_STEPS', async () => {
  assert.equal(stepsOf(KEYGEN.key_ceremony), GENERATED_STEPS);
  assert.equal(stepsOf(THRESHOLD.key_ceremony), STEPS);
  assert.ok(GENERATED_STEPS.includes('generation') && !GENERATED_STEPS.includes('modulus-proof'));
  const seen = [];
  const { timings } = await checkKeyCeremony(fresh(), { electionId: ID, policy: 'testing', onstep: (p) => seen.push(p) });
  assert.deepEqual(seen.map((p) => p.step), GENERATED_STEPS);
  assert.ok(seen.every((p, i) => p.index === i && p.total === GENERATED_STEPS.length));
  assert.deepEqual(Object.keys(timings), GENERATED_STEPS);
  const decoded = readCeremony(fresh(), ID);
  assert.equal(decoded.generation, 'committee');
  assert.equal(decoded.modulusProof, null);
  assert.deepEqual(decoded.factorProofs, []);
});

test('a changed biprimality value breaks that trustee\'s reveal signature', async () => {
  const wire = fresh();
  const entry = entryOf(wire, 2);
  entry.biprimality[0] = bigIntToHex(hexToBigInt(entry.biprimality[0]) ^ 1n);
  await refused(wire, KeyGenerationError, new RegExp(`^trustee 2: round a${ATTEMPT}/reveal: the message is not signed`), { trustee: 2 });
  await assert.rejects(check(wire), (e) => e.check === 'generation');
});

test('re-signed biprimality values no longer open the commitment; re-committed ones fail their round', async () => {
  const wire = fresh();
  const entry = entryOf(wire, 3);
  entry.biprimality[5] = bigIntToHex((hexToBigInt(entry.biprimality[5]) * 4n) % N);
  const sigma = session(wire);
  const opening = revealBroadcast(hexToBytes(entry.salt), entry.biprimality.map((v) => hexToBigInt(v)), BITS);
  entry.reveal_signature = bytesToHex(await signMessage(seedOf(3), messageDigest(sigma, `a${ATTEMPT}/reveal`, 3, opening)));
  await refused(wire, KeyGenerationError, /^trustee 3: the biprimality values differ from its commitment$/, { trustee: 3 });
  await recommit(wire, 3);
  await refused(wire, KeyGenerationError, /^key generation: biprimality round 6 fails$/, { trustee: null });
  const zero = fresh();
  entryOf(zero, 4).biprimality[63] = '0';
  await recommit(zero, 4);
  await refused(zero, KeyGenerationError, /biprimality round 64 fails/);
});

test('a changed y breaks the key/open signature; a re-signed one the verification keys', async () => {
  const wire = fresh();
  const entry = entryOf(wire, 4);
  entry.y = bigIntToHex(hexToBigInt(entry.y) + 1n);
  await refused(wire, KeyGenerationError, /^trustee 4: round key\/open: the message is not signed/, { trustee: 4 });
  await reopen(wire, 4);
  await refused(wire, VerificationKeyError, /^verification key v_1 is not the one the commitments give$/);
  const commitment = fresh();
  const c = entryOf(commitment, 5);
  c.commitments[2] = bigIntToHex((hexToBigInt(c.commitments[2]) * 4n) % (N * N));
  await refused(commitment, KeyGenerationError, /^trustee 5: round key\/open/);
  await reopen(commitment, 5);
  await refused(commitment, VerificationKeyError, /is not the one the commitments give/);
});

test('a signature of another trustee, or of another round, is refused, naming the trustee', async () => {
  const swapped = fresh();
  entryOf(swapped, 2).open_signature = entryOf(swapped, 1).open_signature;
  await refused(swapped, KeyGenerationError, /^trustee 2: round key\/open/, { trustee: 2 });
  const rounds = fresh();
  const e = entryOf(rounds, 1);
  [e.commit_signature, e.reveal_signature] = [e.reveal_signature, e.commit_signature];
  await refused(rounds, KeyGenerationError, new RegExp(`^trustee 1: round a${ATTEMPT}/commit`), { trustee: 1 });
  const letters = fresh();
  entryOf(letters, 3).letters[0].sha256 = '00'.repeat(32);
  await refused(letters, KeyGenerationError, /^trustee 3: round key\/open/);
  const attempt = fresh();
  attempt.transcript.attempt += 1;
  await refused(attempt, KeyGenerationError, /^trustee 1: round a\d+\/commit/);
  for (const field of ['run', 'batch']) {
    const other = fresh();
    other.transcript[field] += 1;
    await refused(other, KeyGenerationError, /^trustee 1: /);
  }
  const card = fresh();
  card.election_id = 'other-election';
  await assert.rejects(checkKeyCeremony(card, { electionId: 'other-election', policy: 'testing' }), KeyGenerationError);
});

test('a letter list that names the sender or a recipient twice is refused', async () => {
  const self = fresh();
  entryOf(self, 2).letters[0].recipient = 2;
  await refused(self, KeyGenerationError, /^trustee 2: the letter list is malformed$/, { trustee: 2 });
  const twice = fresh();
  entryOf(twice, 1).letters[1].recipient = entryOf(twice, 1).letters[0].recipient;
  await refused(twice, KeyGenerationError, /^trustee 1: the letter list is malformed$/);
  const outside = fresh();
  entryOf(outside, 1).letters[0].recipient = 6;
  await refused(outside, KeyGenerationError, /^trustee 1: the letter list is malformed$/);
});

test('n must be 1 modulo 4, free of primes below 2^16 and not a perfect power', async () => {
  // σ binds ‖n‖ but not n: these moduli keep every round signature valid
  const mod4 = fresh();
  mod4.key.n = bigIntToHex(N + 2n);
  await refused(mod4, KeyGenerationError, /^generated modulus: n is not 1 modulo 4$/, { trustee: null });
  let k = 1n;
  while ((N + 4n * k) % 3n !== 0n) k++;
  const small = fresh();
  small.key.n = bigIntToHex(N + 4n * k);
  await refused(small, KeyGenerationError, /^generated modulus: a prime below 2\^16 divides n$/);
  let r = (3n << 254n) + 1n; // a prime of 256 bits, the top two set: r² has 512 bits and is 1 modulo 4
  while (!isProbablePrime(r)) r += 2n;
  const square = fresh();
  square.key.n = bigIntToHex(r * r);
  await refused(square, KeyGenerationError, /^generated modulus: n is a perfect power$/);
});

test('a non-derived test ciphertext is refused for a generated key', async () => {
  const n2 = N * N;
  const x = hexToBigInt(KEYGEN.test_plaintext);
  const other = fresh();
  const r = (hexToBigInt(KEYGEN.test_randomness) * 4n) % N;
  other.test_ciphertext = bigIntToHex(((1n + x * N) * modPow(r, N, n2)) % n2);
  await refused(other, TestCiphertextError, /^the test ciphertext is not the one derived for a generated key$/);
  const plus = fresh();
  plus.test_ciphertext = bigIntToHex((hexToBigInt(plus.test_ciphertext) * (1n + N)) % n2);
  await refused(plus, TestCiphertextError, /not the one derived for a generated key/);
});

test('the evidence fields must match the generation', async () => {
  const proof = fresh();
  proof.modulus_proof = structuredClone(THRESHOLD.key_ceremony.modulus_proof);
  await refused(proof, CeremonyFormError, /^key_ceremony\.modulus_proof: a generated key has no modulus proof$/);
  const factor = fresh();
  factor.factor_proofs = [structuredClone(THRESHOLD.key_ceremony.factor_proofs[0])];
  await refused(factor, CeremonyFormError, /^key_ceremony\.factor_proofs: expected 0 items$/);
  const bare = fresh();
  bare.transcript = null;
  await refused(bare, CeremonyFormError, /a generated key needs its transcript/);
  const relabelled = fresh();
  relabelled.generation = 'dealer';
  await refused(relabelled, CeremonyFormError, /a dealt key needs its modulus proof/);
  const unknown = fresh();
  unknown.generation = 'trusted';
  await refused(unknown, CeremonyFormError, /generation: expected one of dealer, committee/);
  const dealt = structuredClone(THRESHOLD.key_ceremony);
  dealt.transcript = structuredClone(KEYGEN.key_ceremony.transcript);
  await assert.rejects(
    checkKeyCeremony(dealt, { electionId: THRESHOLD.election_id, policy: 'testing' }),
    (e) => e instanceof CeremonyFormError && /^key_ceremony\.transcript: a dealt key has no generation transcript$/.test(e.message),
  );
  const missing = structuredClone(THRESHOLD.key_ceremony);
  missing.modulus_proof = null;
  await assert.rejects(checkKeyCeremony(missing, { electionId: THRESHOLD.election_id, policy: 'testing' }), /a dealt key needs its modulus proof/);
});

test('a malformed transcript is refused by the form step, naming the field', async () => {
  const at = 'key_ceremony\\.transcript';
  const cases = [
    [(w) => { w.transcript.version = 2; }, new RegExp(`^${at}: expected a key-generation document of version 1$`)],
    [(w) => { w.transcript.extra = 1; }, /expected exactly the fields/],
    [(w) => { w.transcript.entries.reverse(); }, new RegExp(`^${at}\\.entries\\[0\\]\\.index: expected trustee 1`)],
    [(w) => { w.transcript.entries.pop(); }, /entries: expected one entry per trustee, ℓ = 5/],
    [(w) => { w.transcript.run = 0; }, /transcript\.run: expected an integer in 1\.\./],
    [(w) => { w.transcript.attempt = -1; }, /transcript\.attempt: expected an integer/],
    [(w) => { w.transcript.batch = '64'; }, /transcript\.batch: expected an integer/],
    [(w) => { entryOf(w, 2).biprimality.pop(); }, /entries\[1\]\.biprimality: expected 64 items/],
    [(w) => { entryOf(w, 2).biprimality[0] = bigIntToHex(1n << 512n); }, /entries\[1\]\.biprimality\[0\]: not a hex integer of at most 512 bits/],
    [(w) => { entryOf(w, 3).commitments.push(entryOf(w, 3).commitments[0]); }, /entries\[2\]\.commitments: expected t = 3 items/],
    [(w) => { entryOf(w, 3).commitments[1] = bigIntToHex(1n << 1024n); }, /commitments\[1\]: not a hex integer of at most 1024 bits/],
    [(w) => { entryOf(w, 1).y = bigIntToHex(1n << 2816n); }, /entries\[0\]\.y: not a hex integer of at most 2816 bits/],
    [(w) => { entryOf(w, 1).y = '0x1'; }, /entries\[0\]\.y: not a hex integer/],
    [(w) => { entryOf(w, 1).salt = 'ab'; }, /entries\[0\]\.salt: not 32 bytes/],
    [(w) => { entryOf(w, 1).commit_signature = entryOf(w, 1).commit_signature.toUpperCase(); }, /commit_signature: not 64 bytes of lowercase hex/],
    [(w) => { delete entryOf(w, 4).letters; }, /entries\[3\]: expected exactly the fields/],
    [(w) => { entryOf(w, 4).letters[0].sha256 = '00'; }, /letters\[0\]\.sha256: not 32 bytes/],
    [(w) => { entryOf(w, 4).letters[0].recipient = 17; }, /letters\[0\]\.recipient: expected an integer in 1\.\.16/],
    [(w) => { w.version = 2; }, /key-ceremony document of version 3/],
  ];
  for (const [change, message] of cases) {
    const wire = fresh();
    change(wire);
    await refused(wire, CeremonyFormError, message);
  }
});
