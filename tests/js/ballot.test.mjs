// Elections, ballots (§8.5), audits (§8.11) and receipts (§8.9) through the
// facade, against tests/vectors/ballot.json and audit.json.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex, hexToBytes } from '../../client/web/js/crypto/bigint.js';
import { canonicalBytes } from '../../client/web/js/crypto/canonical.js';
import { publicKeyOf, signMessage } from '../../client/web/js/crypto/ed25519.js';
import { ALPHABET, checkCharacter } from '../../client/web/js/crypto/credential.js';
import * as booth from '../../client/web/js/crypto/index.js';
import { receiptMessage } from '../../client/web/js/crypto/receipt.js';
import { signingMessage } from '../../client/web/js/crypto/ballot.js';
import { HashCoins, newCode } from './hashcoins.mjs';
import { summaryOf, vector } from './vectors.mjs';

const B = vector('ballot.json');

function selectionsOf(votes, manifest) {
  return manifest.questions.map((q) => votes[q.id]);
}

test('openElection recomputes H_E and exposes the manifest', async () => {
  const election = await booth.openElection(summaryOf(B));
  assert.equal(election.hashHex, B.base_hash);
  assert.equal(election.id, 'test-election');
  assert.deepEqual(election.questions, B.manifest.questions);
  assert.equal(election.state, 'open');
  assert.equal(bytesToHex(election.hash), B.base_hash);
});

test('openElection refuses a summary that does not hold together', async () => {
  const cases = [
    (s) => { s.base_hash = '00'.repeat(32); },
    (s) => { s.manifest = { ...s.manifest, title: { ...s.manifest.title, en: 'Other' } }; },
    (s) => { s.key_ceremony = { ...s.key_ceremony, key: { ...s.key_ceremony.key, t: 2 } }; },
    (s) => { s.key_ceremony = null; },
    (s) => { s.id = 'other'; },
    (s) => { s.manifest = { ...s.manifest, version: 2 }; },
    (s) => { s.key_ceremony = { ...s.key_ceremony, key: { ...s.key_ceremony.key, n: 'ff' } }; },
    (s) => { s.manifest = { ...s.manifest, questions: [{ ...s.manifest.questions[0], blank: false }] }; },
  ];
  for (const [i, change] of cases.entries()) {
    const s = structuredClone(summaryOf(B));
    change(s);
    await assert.rejects(booth.openElection(s), booth.ElectionMismatch, `case ${i}`);
  }
});

test('the ballot of ballot.json, byte for byte, from its coins', async () => {
  const election = await booth.openElection(summaryOf(B));
  const code = newCode(new HashCoins('ballot/credential'), ALPHABET, checkCharacter);
  assert.equal(booth.formatCredential(code), B.code);
  const credential = await booth.deriveCredential(election, B.code);
  assert.equal(credential.publicKeyHex, B.credential);
  const { ballot, trackingCode, audit } = await booth.encryptBallot(
    election, credential, selectionsOf(B.votes, B.manifest), { coins: new HashCoins(B.coins_seed) },
  );
  assert.equal(new TextDecoder().decode(canonicalBytes(ballot)), new TextDecoder().decode(canonicalBytes(B.ballot)));
  assert.equal(bytesToHex(signingMessage(ballot)), B.signing_message);
  assert.equal(trackingCode, B.tracking_code);
  assert.deepEqual(await booth.checkAudit(election, audit), selectionsOf(B.votes, B.manifest));
});

test('a precomputation makes the same ballot as the inline path', async () => {
  const election = await booth.openElection(summaryOf(B));
  const credential = await booth.deriveCredential(election, B.code);
  const pre = booth.startPrecompute(election, { coins: new HashCoins(B.coins_seed) });
  const seen = [];
  pre.onprogress = (p) => seen.push(p);
  await pre.ready;
  assert.equal(pre.progress, 1);
  assert.ok(seen.length > 10 && seen.every((p, i) => p >= (seen[i - 1] ?? 0)), 'progress runs up to 1');
  const { ballot } = await booth.encryptBallot(election, credential, selectionsOf(B.votes, B.manifest), { precompute: pre });
  assert.deepEqual(ballot, B.ballot);
  await assert.rejects(booth.encryptBallot(election, credential, selectionsOf(B.votes, B.manifest), { precompute: pre }), /already used/);
});

test('fresh ballots for every kind of selection audit to their selections', async () => {
  const election = await booth.openElection(summaryOf(B));
  const credential = await booth.deriveCredential(election, B.code);
  const choices = [
    [[null, null, null, null, null], 0, [4]],
    [[2, 2, 2, 2, 2], 2, [0, 1, 2]],
    [[0, 1, null, 1, 0], 1, [3, 1]],
  ];
  const codes = new Set();
  for (const selections of choices) {
    const pre = booth.startPrecompute(election);
    await pre.ready;
    const { ballot, trackingCode, audit } = await booth.encryptBallot(election, credential, selections, { precompute: pre });
    assert.match(trackingCode, /^[0-9a-f]{64}$/);
    codes.add(trackingCode);
    const expected = [selections[0], selections[1], [...selections[2]].sort((x, y) => x - y)];
    assert.deepEqual(await booth.checkAudit(election, audit), expected);
    assert.equal(audit.ballot.signature, '00'.repeat(64));
    assert.deepEqual(audit.ballot.answers, ballot.answers);
  }
  assert.equal(codes.size, 3);
});

test('selections the manifest refuses throw RangeError', async () => {
  const election = await booth.openElection(summaryOf(B));
  const credential = await booth.deriveCredential(election, B.code);
  const bad = [
    [[0, 1, 2, 0], 1, [0]], // a row missing
    [[0, 1, 2, 3, 0], 1, [0]], // level out of range
    [[0, 1, 2, 0, 0], null, [0]], // the motion has no blank
    [[0, 1, 2, 0, 0], 1, []], // fewer than min
    [[0, 1, 2, 0, 0], 1, [0, 1, 2, 3]], // more than max
    [[0, 1, 2, 0, 0], 1, [1, 1]], // repeated option
    [[0, 1, 2, 0, 0], 1], // a question missing
  ];
  for (const selections of bad) {
    await assert.rejects(booth.encryptBallot(election, credential, selections, { coins: new HashCoins('x') }), RangeError);
  }
});

test('tampered audits are refused', async () => {
  const election = await booth.openElection(summaryOf(B));
  const credential = await booth.deriveCredential(election, B.code);
  const { ballot, audit } = await booth.encryptBallot(election, credential, selectionsOf(B.votes, B.manifest), { coins: new HashCoins('audit/t') });
  const tamper = [
    [(a) => { a.selections[1].choices = [0]; }, /question motion/],
    [(a) => { a.selections[2].choices = [1, 1, 1, 1, 0]; }, /not a valid vote/],
    [(a) => { a.selections[0].choices = [0, 1]; }, /does not fit/],
    [(a) => { a.coins.pop(); }, /fewer coins/],
    [(a) => { a.coins.push('1'); }, /more coins/],
    [(a) => { a.coins[0] = '0'; }, /coin 0: not a unit/],
    [(a) => { a.coins[1] = '1' + '0'.repeat(32); }, /coin 1: longer than 128 bits/],
    [(a) => { a.ballot.signature = ballot.signature; }, /zero signature/],
    [(a) => { a.ballot.election = '00'.repeat(32); }, /another election/],
    [(a) => { a.ballot.answers[2].ciphertexts[0] = '1'; }, /question board/],
    [(a) => { a.type = 'ballot'; }, /ballot-audit/],
  ];
  for (const [change, message] of tamper) {
    const a = structuredClone(audit);
    change(a);
    await assert.rejects(booth.checkAudit(election, a), (e) => e instanceof booth.AuditMismatch && message.test(e.message), String(message));
  }
});

test('the audit of audit.json checks in JS and is reproduced byte for byte', async () => {
  const A = vector('audit.json');
  const election = await booth.openElection(summaryOf(B));
  assert.deepEqual(await booth.checkAudit(election, A.audit), selectionsOf(A.votes, B.manifest));
  const credential = await booth.deriveCredential(election, A.code);
  const { audit } = await booth.encryptBallot(election, credential, selectionsOf(A.votes, B.manifest), { coins: new HashCoins(A.coins_seed) });
  assert.deepEqual(audit, A.audit);
});

test('receipts: signature, election, tracking code and server key', async () => {
  const election = await booth.openElection(summaryOf(B));
  const seed = new Uint8Array(32).fill(7);
  const serverKey = bytesToHex(await publicKeyOf(seed));
  const receipt = {
    election: B.base_hash, head: 'ab'.repeat(32), position: 3, server_key: serverKey,
    signature: '00'.repeat(64), tracking_code: B.tracking_code, type: 'receipt', version: 1,
  };
  receipt.signature = bytesToHex(await signMessage(seed, receiptMessage(receipt)));
  assert.equal(await booth.verifyReceipt(election, B.tracking_code, receipt, serverKey), receipt);
  const wrong = [
    [B.tracking_code, { ...receipt, position: 4 }, serverKey],
    ['00'.repeat(32), receipt, serverKey],
    [B.tracking_code, receipt, '11'.repeat(32)],
    [B.tracking_code, { ...receipt, election: '00'.repeat(32) }, serverKey],
    [B.tracking_code, { ...receipt, extra: 1 }, serverKey],
  ];
  for (const [code, r, key] of wrong) await assert.rejects(booth.verifyReceipt(election, code, r, key), booth.ReceiptError);
  assert.ok(hexToBytes(receipt.signature).length === 64);
});
