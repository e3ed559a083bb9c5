// verifyTallyInBrowser on replies built from the vectors (tally.json under the
// key of threshold.json and the manifest of ballot.json), with trustee share
// documents signed here; and its promise never to throw on malformed replies.
// The full election with rules is tests/unit/test_js_results.py.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { bytesToHex } from '../../client/web/js/crypto/bigint.js';
import { signMessage } from '../../client/web/js/crypto/ed25519.js';
import { CHECKS, verifyTallyInBrowser } from '../../client/web/js/results/index.js';
import { sharesMessage } from '../../client/web/js/results/trustees.js';
import { replies, seedOf } from './results-replies.mjs';
import { vector } from './vectors.mjs';

const TALLY = vector('tally.json');

function byId(verdict) {
  return Object.fromEntries(verdict.checks.map((c) => [c.id, c]));
}

test('the vectors verify up to the result, which needs rules', async () => {
  const verdict = await verifyTallyInBrowser(await replies());
  assert.deepEqual(verdict.checks.map((c) => c.id), CHECKS);
  const checks = byId(verdict);
  for (const id of CHECKS.slice(0, -1)) assert.ok(checks[id].ok, `${id}: ${checks[id].detail}`);
  assert.equal(checks['share-proofs'].passed, 6);
  assert.match(checks.combination.detail, /trustees 1, 3, 5/);
  assert.deepEqual(verdict.counts, TALLY.counts);
  assert.equal(checks.result.ok, false);
  assert.match(checks.result.detail, /expected an object|no rules/);
  assert.equal(verdict.ok, false);
});

test('a share signed by its trustee but changed is named by the proofs check', async () => {
  const r = await replies();
  const doc = r.shares.shares[1].shares;
  doc.shares[1].ci = doc.shares[1].ci.slice(0, -1) + ((parseInt(doc.shares[1].ci.slice(-1), 16) ^ 2).toString(16));
  doc.signature = '00'.repeat(64);
  doc.signature = bytesToHex(await signMessage(seedOf(3), sharesMessage({ wire: doc })));
  const checks = byId(await verifyTallyInBrowser(r));
  assert.equal(checks['share-signatures'].ok, true);
  assert.equal(checks['share-proofs'].ok, false);
  assert.match(checks['share-proofs'].detail, /ciphertext 1: decryption share 3/);
  assert.equal(checks.combination.ok, false); // only 1 and 5 are left, t = 3
  assert.match(checks.unpacking.detail, /^not run/);
});

// Deterministic mutations: every scalar, object and array of the replies in turn
// replaced by values of the wrong kind; the verifier must report, never throw.
function* paths(value, path = []) {
  yield path;
  if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) yield* paths(value[key], [...path, key]);
  }
}

function replaced(root, path, value) {
  const copy = structuredClone(root);
  if (path.length === 0) return value;
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key];
  at[path[path.length - 1]] = value;
  return copy;
}

test('malformed replies give a failed verdict, never an exception', async () => {
  const base = await replies();
  const wrong = [null, 7, 'zz', [], {}, true, -1, 2 ** 60, '0'];
  let runs = 0;
  const all = [...paths(base)].filter((p) => !p.some((k) => /^(modulus_proof|ballots|label|title|description)$/.test(k)));
  for (const [i, path] of all.entries()) {
    if (path.length > 3 && i % 17 !== 0) continue; // a sample of the deep leaves keeps the test quick
    const value = wrong[i % wrong.length];
    const mutated = path.length === 0 ? base : replaced(base, path, value);
    if (path.length === 1) mutated[path[0]] = value;
    const verdict = await verifyTallyInBrowser(mutated);
    assert.equal(typeof verdict.ok, 'boolean');
    assert.deepEqual(verdict.checks.map((c) => c.id), CHECKS, path.join('.'));
    runs++;
  }
  assert.ok(runs > 50, `${runs} mutations tried`);
  await assert.doesNotReject(verifyTallyInBrowser({}));
  await assert.doesNotReject(verifyTallyInBrowser({ summary: 'x', trustees: 1, shares: null, tally: [], result: 0 }));
});
