// The booth's key check (client/web/js/crypto/ceremony.js and its parts)
// against the key ceremony of tests/vectors/threshold.json (= ballot.json's,
// under H_E) and the card messages of committee.json: the honest ceremony
// passes under the test policy, and each kind of tampering is refused by the
// step that names it.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { bigIntToHex, bytesToHex, hexToBigInt } from '../../client/web/js/crypto/bigint.js';
import {
  STEPS, ceremonyHash, ceremonyPlaintext, checkKeyCeremony, deriveV, parseKeyPolicy, readCeremony,
} from '../../client/web/js/crypto/ceremony.js';
import { cardMessage, registrarMessage } from '../../client/web/js/crypto/committee.js';
import { baseHash } from '../../client/web/js/crypto/election.js';
import { factorBound, isqrt } from '../../client/web/js/crypto/factor.js';
import { deriveY, modulusShapeProblem } from '../../client/web/js/crypto/modulus.js';
import {
  CardSignatureError, CeremonyFormError, CommitteeError, FactorProofError, KeyCheckError, KeyPolicyError,
  ModulusProofError, RegistrarSignatureError, TestCiphertextError, VerificationKeyError,
} from '../../client/web/js/crypto/refusals.js';
import { hashToUnit, Tag } from '../../client/web/js/crypto/transcript.js';
import { vector } from './vectors.mjs';

const THRESHOLD = vector('threshold.json');
const BALLOT = vector('ballot.json');
const COMMITTEE = vector('committee.json');
const ID = THRESHOLD.election_id;

const fresh = () => structuredClone(THRESHOLD.key_ceremony);
const check = (wire, policy = 'testing') => checkKeyCeremony(wire, { electionId: ID, policy });
const flip = (hex) => bigIntToHex(hexToBigInt(hex) ^ 2n);

/** Assert `wire` is refused by an error of class `kind` whose message matches `message`. */
async function refused(wire, kind, message, policy = 'testing') {
  await assert.rejects(check(wire, policy), (error) => {
    assert.ok(error instanceof kind, `${error.name}: ${error.message}`);
    assert.ok(error instanceof KeyCheckError);
    assert.match(error.message, message);
    return true;
  });
}

test('the key ceremony hash and H_E are those of the vectors', () => {
  assert.equal(bytesToHex(ceremonyHash(THRESHOLD.key_ceremony)), THRESHOLD.key_ceremony_hash);
  assert.equal(bytesToHex(ceremonyHash(BALLOT.key_ceremony)), BALLOT.key_ceremony_hash);
  assert.equal(bytesToHex(baseHash(BALLOT.manifest, BALLOT.key_ceremony)), BALLOT.base_hash);
  assert.equal(THRESHOLD.context, BALLOT.base_hash);
  const other = fresh();
  other.committee.trustees[0].role = 'Thư ký';
  assert.notEqual(bytesToHex(baseHash(BALLOT.manifest, other)), BALLOT.base_hash);
});

test('the honest ceremony passes every step under the test policy', async () => {
  const seen = [];
  const { timings } = await checkKeyCeremony(fresh(), { electionId: ID, policy: 'testing', onstep: (p) => seen.push(p) });
  assert.deepEqual(seen.map((p) => p.step), STEPS);
  assert.deepEqual(Object.keys(timings), STEPS);
  assert.ok(seen.every((p, i) => p.index === i && p.total === STEPS.length));
});

test('the 1024-bit ceremony of threshold-1024.json passes too', async () => {
  const large = vector('threshold-1024.json');
  await checkKeyCeremony(large.key_ceremony, { electionId: large.election_id, policy: 'testing' });
});

test('card and registrar messages are those of committee.json', () => {
  const ceremony = readCeremony(fresh(), ID);
  ceremony.committee.trustees.forEach((t, i) => {
    assert.equal(COMMITTEE.cards[i].index, t.index);
    assert.equal(bytesToHex(cardMessage(t)), COMMITTEE.cards[i].message);
  });
  assert.equal(bytesToHex(registrarMessage(ceremony.committee.registrar)), COMMITTEE.registrar_message);
});

test('derived values: v, x_T and the modulus proof y_i as Python derives them', () => {
  const key = THRESHOLD.key_ceremony.key;
  const n = hexToBigInt(key.n);
  assert.equal(bigIntToHex(deriveV(ID, n)), key.v);
  assert.equal(bigIntToHex(ceremonyPlaintext(ID, n)), THRESHOLD.test_plaintext);
  const w = hexToBigInt(THRESHOLD.modulus_proof.w);
  const y = deriveY(n, ID, w);
  assert.equal(y.length, 128);
  for (const i of [0, 1, 77, 127]) assert.equal(y[i], hashToUnit(Tag.MODULUS_PROOF_Y, n, ID, n, w, i));
  assert.equal(isqrt(n * n), n);
  assert.equal(isqrt(n * n - 1n), n - 1n);
  assert.ok(factorBound(n) > 1n << 512n);
});

test('the modulus shape: even, short, small factor, prime', () => {
  const n = hexToBigInt(THRESHOLD.key_ceremony.key.n);
  const p = hexToBigInt(THRESHOLD.test_only_secret_primes.p);
  assert.equal(modulusShapeProblem(n), null);
  assert.match(modulusShapeProblem(n + 1n), /even/);
  assert.match(modulusShapeProblem((1n << 254n) + 1n), /shorter than 256 bits/);
  assert.match(modulusShapeProblem(n * 65521n), /prime factor below 65536/);
  assert.match(modulusShapeProblem(p), /n is prime/);
  assert.match(modulusShapeProblem((1n << 521n) - 1n), /n is prime/);
});

test('a short modulus is refused under the standard and short-lived policies', async () => {
  await refused(fresh(), KeyPolicyError, /n: a 512-bit modulus is refused under the standard policy/, 'standard');
  await refused(fresh(), KeyPolicyError, /short-lived policy; allowed: 2048, 3072, 4096/, 'short-lived');
  assert.equal(parseKeyPolicy('testing'), 'testing');
  assert.equal(parseKeyPolicy('short-lived'), 'short-lived');
  for (const text of [undefined, null, '', 'Testing', 'none', 'standard ']) assert.equal(parseKeyPolicy(text), 'standard');
});

test('a changed trustee name or role breaks that card\'s signature', async () => {
  const renamed = fresh();
  renamed.committee.trustees[2].name = 'Hoàng Thị Ngọc Anh';
  await refused(renamed, CardSignatureError, /^trustee 3: the card is not signed by its identity key$/);
  const promoted = fresh();
  promoted.committee.trustees[1].role = 'Trưởng ban kiểm phiếu';
  await refused(promoted, CardSignatureError, /^trustee 2: /);
  const resealed = fresh();
  resealed.committee.trustees[4].encryption_key = '11'.repeat(32);
  await refused(resealed, CardSignatureError, /^trustee 5: /);
  const swappedParams = fresh();
  swappedParams.committee.trustees[0].pedersen.s = flip(swappedParams.committee.trustees[0].pedersen.s);
  await refused(swappedParams, CardSignatureError, /^trustee 1: /);
  await assert.rejects(check(promoted), (e) => e.member === 2 && e.check === 'signatures');
});

test("a registrar card whose signature does not verify is refused", async () => {
  const wire = fresh();
  wire.committee.registrar.signature = wire.committee.registrar.signature.slice(0, -2) + '00';
  await refused(wire, RegistrarSignatureError, /registrar's card is not signed/);
  const renamed = fresh();
  renamed.committee.registrar.name = 'Ban Tổ chức';
  await refused(renamed, RegistrarSignatureError, /registrar/);
});

test('the committee must be trustees 1..ℓ in order, one per verification key, keys not shared', async () => {
  const swapped = fresh();
  swapped.committee.trustees.reverse();
  await refused(swapped, CommitteeError, /member 1 of the committee has index 5/);
  const short = fresh();
  short.committee.trustees.pop();
  await refused(short, CommitteeError, /4 members, ℓ = 5/);
  const shared = fresh();
  shared.committee.trustees[3].identity_key = shared.committee.trustees[0].identity_key;
  await refused(shared, CommitteeError, /share one identity key/);
  const sealing = fresh();
  sealing.committee.trustees[1].encryption_key = sealing.committee.trustees[2].encryption_key;
  await refused(sealing, CommitteeError, /share one sealing key/);
});

test('every tampered factor proof field is refused, naming the trustee', async () => {
  for (const [k, field] of ['P', 'Q', 'A', 'B', 'T', 'sigma', 'z1', 'z2', 'w1', 'w2', 'v'].entries()) {
    const wire = fresh();
    const trustee = (k % 5) + 1;
    wire.factor_proofs[trustee - 1][field] = flip(wire.factor_proofs[trustee - 1][field]);
    await refused(wire, FactorProofError, new RegExp(`^trustee ${trustee}: factor proof: `));
  }
  const swapped = fresh();
  [swapped.factor_proofs[0], swapped.factor_proofs[1]] = [swapped.factor_proofs[1], swapped.factor_proofs[0]];
  await refused(swapped, FactorProofError, /^trustee 1: factor proof: /);
  const fewer = fresh();
  fewer.factor_proofs.pop();
  await refused(fewer, FactorProofError, /4 factor proofs for 5 trustees/);
  const large = fresh();
  large.factor_proofs[2].z1 = bigIntToHex(factorBound(hexToBigInt(large.key.n)));
  await refused(large, FactorProofError, /^trustee 3: factor proof: z1 or z2 too large/);
});

test("the trustees' parameters must have the shape of ring-Pedersen parameters", async () => {
  const wire = fresh();
  wire.committee.trustees[0].pedersen.t = '1';
  // the card signature covers t, so it is checked first: re-check the shape alone
  const ceremony = readCeremony(wire, ID);
  const { checkPedersenShape } = await import('../../client/web/js/crypto/factor.js');
  assert.throws(() => checkPedersenShape(ceremony.committee.trustees[0].pedersen, 1), (e) => e instanceof FactorProofError && /t is not a unit other than ±1/.test(e.message));
  const even = { ...ceremony.committee.trustees[1].pedersen, nHat: ceremony.committee.trustees[1].pedersen.nHat + 1n };
  assert.throws(() => checkPedersenShape(even, 2), /trustee 2: ring-Pedersen N̂ is even/);
});

test('a tampered modulus proof is refused', async () => {
  const cases = [
    [(m) => { m.x[5] = flip(m.x[5]); }, /iteration 5: x\^4/],
    [(m) => { m.a[7] = 1 - m.a[7]; }, /iteration 7: x\^4/],
    [(m) => { m.z[9] = flip(m.z[9]); }, /z_i\^n ≠ y_i/],
    [(m) => { m.w = flip(m.w); }, /Jacobi|x\^4|w is not/],
    [(m) => { m.z[3] = '0'; }, /iteration 3: x or z is not a unit/],
    [(m) => { m.b[0] = 2; }, /a or b|expected an integer in 0..1/],
    [(m) => { m.x.pop(); }, /128 items/],
  ];
  for (const [change, message] of cases) {
    const wire = fresh();
    change(wire.modulus_proof);
    await assert.rejects(check(wire), (e) => (e instanceof ModulusProofError || e instanceof CeremonyFormError) && message.test(e.message), String(message));
  }
});

test('v not derived from the election id, or a changed v_i, is refused', async () => {
  const n = hexToBigInt(THRESHOLD.key_ceremony.key.n);
  const n2 = n * n;
  const notDerived = fresh();
  notDerived.key.v = bigIntToHex((hexToBigInt(notDerived.key.v) * 4n) % n2);
  await refused(notDerived, VerificationKeyError, /v is not derived from the election id/);
  for (const j of [1, 4, 5]) {
    const wire = fresh();
    wire.key.vks[j - 1] = bigIntToHex((hexToBigInt(wire.key.vks[j - 1]) * 4n) % n2);
    await refused(wire, VerificationKeyError, j > 3 ? new RegExp(`v_${j} is not on the polynomial`) : /is not on the polynomial through v_1..v_3/);
  }
  const notUnit = fresh();
  notUnit.key.vks[2] = bigIntToHex(n);
  await refused(notUnit, VerificationKeyError, /v_3 is not a unit/);
  const otherElection = structuredClone(THRESHOLD.key_ceremony);
  otherElection.election_id = 'other-election';
  await assert.rejects(checkKeyCeremony(otherElection, { electionId: 'other-election', policy: 'testing' }), ModulusProofError);
});

test('a changed test ciphertext or plaintext is refused', async () => {
  const n = hexToBigInt(THRESHOLD.key_ceremony.key.n);
  for (const value of ['0', bigIntToHex(n), bigIntToHex(n * n + 1n), bigIntToHex(n * 3n)]) {
    const wire = fresh();
    wire.test_ciphertext = value;
    await assert.rejects(check(wire), (e) => e instanceof TestCiphertextError || e instanceof CeremonyFormError, value.slice(0, 8));
  }
  const multiple = fresh();
  multiple.test_ciphertext = bigIntToHex(n * 7n);
  await refused(multiple, TestCiphertextError, /not an element of Z\*_\(n²\)/);
  const plaintext = fresh();
  plaintext.test_plaintext = flip(plaintext.test_plaintext);
  await refused(plaintext, TestCiphertextError, /test plaintext is not the one derived/);
});

test('a malformed document is refused by the form step, naming the field', async () => {
  const cases = [
    [(w) => { w.version = 2; }, /key-ceremony document of version 3/],
    [(w) => { w.generation = null; }, /generation: expected one of dealer, committee/],
    [(w) => { w.extra = 1; }, /expected exactly the fields/],
    [(w) => { delete w.factor_proofs; }, /expected exactly the fields/],
    [(w) => { w.committee.trustees[0].version = 1; }, /trustees\[0\]: expected a trustee document of version 2/],
    [(w) => { w.key.n = '0x12'; }, /key_ceremony.key.n: not a hex integer/],
    [(w) => { w.committee.trustees[1].identity_key = 'ab'; }, /trustees\[1\].identity_key: not 32 bytes/],
    [(w) => { w.factor_proofs[0].z1 = 'f'.repeat(1200); }, /factor_proofs\[0\].z1/],
    [(w) => { w.election_id = 'x'; }, /for another election/],
  ];
  for (const [change, message] of cases) {
    const wire = fresh();
    change(wire);
    await refused(wire, CeremonyFormError, message);
  }
});
