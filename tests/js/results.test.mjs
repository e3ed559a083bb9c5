// The results verifier (client/web/js/results/) held to tests/vectors/:
// threshold.json (decryption shares, proofs, combinations), tally.json
// (packing, shares, combined plaintexts, unpacked counts) and result.json
// (counts and rules → result).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { hexToBigInt, hexToBytes } from '../../client/web/js/crypto/bigint.js';
import { combine, lagrangeAtZero, verifyShares } from '../../client/web/js/results/decryption.js';
import { baseHash } from '../../client/web/js/crypto/election.js';
import { readElection, readKey, readManifest } from '../../client/web/js/results/election.js';
import { computeResult, percent, TallyError } from '../../client/web/js/results/index.js';
import { outranks } from '../../client/web/js/results/result.js';
import { layout, pack, readTally, unpack } from '../../client/web/js/results/tally.js';
import { summaryOf, vector } from './vectors.mjs';

const THRESHOLD = vector('threshold.json');
const TALLY = vector('tally.json');
const BALLOT = vector('ballot.json');
const RESULT = vector('result.json');
const KEYGEN = vector('keygen.json');

function share(wire) {
  return {
    index: wire.index,
    ci: hexToBigInt(wire.ci),
    proof: { a: hexToBigInt(wire.proof.a), b: hexToBigInt(wire.proof.b), z: hexToBigInt(wire.proof.z) },
  };
}

function testElection() {
  const key = readKey(BALLOT.key_ceremony.key, 'key');
  const manifest = readManifest(BALLOT.manifest);
  return { id: manifest.electionId, manifest, key, hash: baseHash(BALLOT.manifest, BALLOT.key_ceremony) };
}

test('H_E of the test election is the one of ballot.json', () => {
  const election = testElection();
  assert.equal(Buffer.from(election.hash).toString('hex'), BALLOT.base_hash);
  assert.equal(election.key.delta, hexToBigInt(THRESHOLD.delta));
});

test('every trustee share of the test ciphertext verifies; a changed field does not', () => {
  const key = readKey(THRESHOLD.key, 'key');
  const c = hexToBigInt(THRESHOLD.test_ciphertext);
  const context = hexToBytes(THRESHOLD.context);
  const items = THRESHOLD.decryption_shares.map((d) => ({ c, share: share(d.share) }));
  const { shares, bad } = verifyShares(key, items, context);
  assert.deepEqual(bad, []);
  assert.deepEqual(shares.map((s) => s.index), [1, 2, 3, 4, 5]);
  for (const field of ['ci', 'a', 'b', 'z']) {
    const tampered = items.map((it) => ({ c, share: { ...it.share, proof: { ...it.share.proof } } }));
    const victim = tampered[2].share;
    if (field === 'ci') victim.ci ^= 2n;
    else victim.proof[field] ^= 2n;
    const out = verifyShares(key, tampered, context);
    assert.deepEqual(out.bad.map((b) => [b.position, b.index]), [[2, 3]], field);
    assert.equal(out.shares[2], null);
    assert.equal(out.shares.filter(Boolean).length, 4);
  }
  const otherContext = verifyShares(key, items, new Uint8Array(32));
  assert.equal(otherContext.bad.length, 5);
});

test('combinations of two t-subsets give the test plaintext', () => {
  const key = readKey(THRESHOLD.key, 'key');
  const c = hexToBigInt(THRESHOLD.test_ciphertext);
  const context = hexToBytes(THRESHOLD.context);
  const items = THRESHOLD.decryption_shares.map((d) => ({ c, share: share(d.share) }));
  const { shares } = verifyShares(key, items, context);
  for (const combo of THRESHOLD.combinations) {
    const chosen = combo.trustees.map((i) => shares[i - 1]);
    assert.equal(combine(key, c, chosen), hexToBigInt(combo.plaintext));
  }
  assert.equal(hexToBigInt(THRESHOLD.test_plaintext), hexToBigInt(THRESHOLD.combinations[0].plaintext));
  assert.throws(() => combine(key, c, shares.slice(0, 2)), /need 3 shares/);
  assert.throws(() => combine(key, c + 1n, shares), /another ciphertext/);
  assert.throws(() => lagrangeAtZero([1, 1, 2], key.delta), /repeated/);
});

test('keygen.json: a generated key (p, q not safe primes) decrypts its test ciphertext', () => {
  const key = readKey(KEYGEN.key_ceremony.key, 'key');
  const c = hexToBigInt(KEYGEN.test_ciphertext);
  const context = hexToBytes(KEYGEN.base_hash);
  const items = KEYGEN.decryption_shares.map((d) => ({ c, share: share(d.share) }));
  const { shares, bad } = verifyShares(key, items, context);
  assert.deepEqual(bad, []);
  for (const combo of KEYGEN.combinations) {
    assert.equal(combine(key, c, combo.trustees.map((i) => shares[i - 1])), hexToBigInt(KEYGEN.test_plaintext));
  }
  items[1].share.proof.z ^= 2n;
  assert.deepEqual(verifyShares(key, items, context).bad.map((b) => b.index), [2]);
});

test('the results page reads a key ceremony of either generation', () => {
  const generated = readElection(summaryOf(KEYGEN));
  assert.equal(generated.generation, 'committee');
  assert.equal(Buffer.from(generated.hash).toString('hex'), KEYGEN.base_hash);
  assert.equal(readElection(summaryOf(BALLOT)).generation, 'dealer');
  const unknown = summaryOf(KEYGEN);
  unknown.key_ceremony.generation = 'trusted';
  assert.throws(() => readElection(unknown), /summary\.key_ceremony\.generation: expected one of dealer, committee/);
  const old = summaryOf(BALLOT);
  old.key_ceremony.version = 2;
  assert.throws(() => readElection(old), /this verifier reads version 3/);
  delete old.key_ceremony.transcript;
  old.key_ceremony.version = 3;
  assert.throws(() => readElection(old), /missing key "transcript"/);
});

test('λ coefficients are exact integers that interpolate at 0', () => {
  const lam = lagrangeAtZero([2, 4, 5], 120n);
  assert.deepEqual([...lam.entries()], [[2, 400n], [4, -600n], [5, 320n]]);
  // Σ λ_i·f(i) = Δ·f(0) for f(X) = 7 + 3X + X²
  const f = (x) => 7n + 3n * x + x * x;
  assert.equal([...lam].reduce((s, [i, l]) => s + l * f(BigInt(i)), 0n), 120n * 7n);
});

test('tally.json: layout, packing, shares, combination and unpacking', () => {
  const election = testElection();
  assert.deepEqual(layout(election), TALLY.layout);
  const tally = readTally(TALLY.encrypted_tally, election, 'encrypted_tally');
  const packed = pack(election, tally);
  assert.deepEqual(packed, TALLY.groups.map((g) => hexToBigInt(g.ciphertext)));
  const plaintexts = TALLY.groups.map((group, k) => {
    const items = group.shares.map((s) => ({ c: packed[k], share: share(s.share) }));
    const { shares, bad } = verifyShares(election.key, items, election.hash);
    assert.deepEqual(bad, []);
    assert.deepEqual(shares.map((s) => s.index), TALLY.trustees);
    const x = combine(election.key, packed[k], shares);
    assert.equal(x, hexToBigInt(group.plaintext));
    return x;
  });
  assert.deepEqual(unpack(election, tally.ballots, plaintexts), TALLY.counts);
});

test('unpacking refuses counts that break the public checks (§8.7.3)', () => {
  const election = testElection();
  const plaintexts = TALLY.groups.map((g) => hexToBigInt(g.plaintext));
  const ballots = TALLY.counts.ballots;
  assert.throws(() => unpack(election, ballots - 1, plaintexts), TallyError);
  assert.throws(() => unpack(election, ballots + 1, plaintexts), TallyError);
  const top = plaintexts.map((x, k) => (k === 1 ? x + (1n << (24n * 8n)) : x));
  assert.throws(() => unpack(election, ballots, top), /bits beyond/);
  assert.throws(() => unpack(election, ballots, plaintexts.slice(1)), /expected 2 plaintexts/);
  // one low moved to high in row p1: still sums to N, so unpacking accepts it
  const moved = plaintexts.map((x, k) => (k === 0 ? x + 1n - (1n << 48n) : x));
  const counts = unpack(election, ballots, moved);
  assert.deepEqual(counts.questions[0].parts[0].slots, [2, 1, 0, 1]);
});

test('percentages round half up from the exact fraction', () => {
  const cases = [[0, 60, '0.00'], [60, 60, '100.00'], [1, 3, '33.33'], [2, 3, '66.67'], [1, 8, '12.50'],
    [1, 800, '0.13'], [3, 800, '0.38'], [1, 0, '0.00'], [2 ** 48 - 1, 2 ** 48 - 1, '100.00']];
  for (const [count, total, shown] of cases) assert.equal(percent(count, total), shown, `${count}/${total}`);
});

test('result.json: every case recomputed byte for byte', () => {
  assert.ok(RESULT.cases.length >= 5);
  for (const c of RESULT.cases) {
    const got = computeResult(c.manifest, c.counts, { issued: c.issued, present: c.present });
    assert.deepEqual(got, c.result, c.name);
  }
});

const HALF = 'low-more-than-half';
const TWO_THIRDS = 'low-two-thirds';
const flagsOf = (c) => c.result.questions.flatMap((q) => q.parts.map((p) => p.flags));
const caseNamed = (name) => RESULT.cases.find((c) => c.name === name);

test('result.json covers the boundaries of the exclusive tiers and of the quorum', () => {
  const expected = {
    // of 60: exactly half, just above, exactly two thirds (upper only), just below
    'qd96-boundaries': [[], [HALF], [TWO_THIRDS], [HALF]],
    'qd96-above-two-thirds': [[TWO_THIRDS], [TWO_THIRDS], [TWO_THIRDS], []],
    // of 61: 30, 31, 40 (120 < 122), 41 (123 ≥ 122)
    'qd96-boundaries-odd': [[], [HALF], [HALF], [TWO_THIRDS]],
    'qd96-quorum-exactly-met': [[TWO_THIRDS], [HALF], [], []],
    'qd96-quorum-missed-by-one': [[], [], [], []],
    'qd96-quorum-not-met': [[], [], [], []],
    'qd96-quorum-met-by-present': [[], [], [TWO_THIRDS], []],
    'qd96-no-ballots': [[], [], [], []],
    'mixed-tiers': [
      ['passed'],
      ['elected', 'issued-third', 'summoned-fifth'],
      ['over-half', 'issued-third', 'summoned-fifth'],
      ['issued-third', 'summoned-fifth'],
      [],
    ],
  };
  for (const [name, flags] of Object.entries(expected)) assert.deepEqual(flagsOf(caseNamed(name)), flags, name);
  assert.equal(caseNamed('qd96-quorum-exactly-met').result.quorum_met, true);
  assert.equal(caseNamed('qd96-quorum-missed-by-one').result.quorum_met, false);
});

test('result.json: at most one flag per scale in every case, none below the quorum', () => {
  for (const c of RESULT.cases) {
    const scale = new Map(c.manifest.rules.thresholds.map((t) => [t.id, `${t.question}/${t.slot}/${t.denominator}`]));
    for (const flags of flagsOf(c)) {
      const scales = flags.map((f) => scale.get(f));
      assert.equal(new Set(scales).size, scales.length, c.name);
      if (!c.result.quorum_met) assert.deepEqual(flags, [], c.name);
    }
  }
});

test('outranks orders the tiers of one scale, never two scales', () => {
  const t = (comparison, num, den, denominator = 'returned') => ({
    question: 'leaders', slot: 'low', comparison, fraction: { num, den }, denominator,
  });
  assert.ok(outranks(t('at-least', 2, 3), t('more-than', 1, 2)));
  assert.ok(!outranks(t('more-than', 1, 2), t('at-least', 2, 3)));
  assert.ok(outranks(t('more-than', 1, 2), t('at-least', 2, 4)));
  assert.ok(!outranks(t('at-least', 1, 2), t('more-than', 1, 2)));
  assert.ok(!outranks(t('at-least', 1, 2), t('at-least', 2, 4)));
  assert.ok(!outranks(t('at-least', 2, 3), t('more-than', 1, 2, 'valid')));
});

test('a result with both tiers or with flags below the quorum is not the recomputed one', () => {
  const both = caseNamed('qd96-boundaries');
  const stale = structuredClone(both.result);
  stale.questions[0].parts[2].flags = [HALF, TWO_THIRDS]; // 40 of 60, the rule before issue 16
  assert.notDeepEqual(computeResult(both.manifest, both.counts, { issued: both.issued, present: both.present }), stale);
  const missed = caseNamed('qd96-quorum-missed-by-one');
  const flagged = structuredClone(missed.result);
  flagged.questions[0].parts[0].flags = [TWO_THIRDS]; // 59 low of 59, but 59 of 90 present
  assert.notDeepEqual(computeResult(missed.manifest, missed.counts, { issued: missed.issued }), flagged);
});

test('computeResult refuses more ballots than credentials and a manifest without rules', () => {
  const c = RESULT.cases[0];
  assert.throws(() => computeResult(c.manifest, c.counts, { issued: c.counts.ballots - 1 }), TallyError);
  assert.throws(() => computeResult(BALLOT.manifest, TALLY.counts, { issued: 10 }), /no rules/);
  const bent = structuredClone(c.counts);
  bent.questions[0].parts[0].slots.pop();
  assert.throws(() => computeResult(c.manifest, bent, { issued: c.issued }), /slots/);
});
