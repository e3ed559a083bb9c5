// The registrar's signed roll (client/web/js/crypto/roll.js, docs/spec.md
// §8.12) against tests/vectors/committee.json: the signed roll of four
// credentials verifies under the registrar's key of threshold.json's
// ceremony; a key removed or swapped, another election or key ceremony, a
// signature by another key, a list out of order or no signature at all are
// refused.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { bytesToHex, hexToBytes } from '../../client/web/js/crypto/bigint.js';
import { publicKeyOf, signMessage } from '../../client/web/js/crypto/ed25519.js';
import * as booth from '../../client/web/js/crypto/index.js';
import { RollError } from '../../client/web/js/crypto/refusals.js';
import { checkRoll, rollHash, rollMessage } from '../../client/web/js/crypto/roll.js';
import { summaryOf, vector } from './vectors.mjs';

const COMMITTEE = vector('committee.json');
const ROLL = COMMITTEE.roll;
const ID = COMMITTEE.election_id;
const REGISTRAR = hexToBytes(COMMITTEE.registrar.identity_key, 32);
const H_E = COMMITTEE.base_hash;

const reply = () => structuredClone({ election_id: ID, credentials: ROLL.keys, signed_roll: ROLL.signed_roll });

async function refusedFor(r, reason, electionId = ID, electionHash = H_E) {
  await assert.rejects(checkRoll(r, REGISTRAR, electionId, electionHash), (e) => e instanceof RollError && e.reason === reason && e.check === 'roll', reason);
}

test('the roll hash and the registrar\'s message are those of committee.json', () => {
  assert.equal(bytesToHex(rollHash(ROLL.keys.map((k) => hexToBytes(k, 32)))), ROLL.roll_hash);
  assert.equal(bytesToHex(rollHash([...ROLL.keys].reverse().map((k) => hexToBytes(k, 32)))), ROLL.roll_hash);
  assert.equal(bytesToHex(rollMessage(ROLL.signed_roll)), ROLL.message);
  assert.equal(ROLL.signed_roll.roll_hash, ROLL.roll_hash);
});

test('the signed roll verifies and gives its keys', async () => {
  const keys = await checkRoll(reply(), REGISTRAR, ID, H_E);
  assert.deepEqual([...keys], ROLL.keys);
});

test('the facade takes the registrar key from the election\'s key ceremony', async () => {
  const election = await booth.openElection(summaryOf(vector('ballot.json')));
  assert.deepEqual([...(await booth.checkSignedRoll(election, reply()))], ROLL.keys);
  const r = reply();
  r.credentials.pop();
  await assert.rejects(booth.checkSignedRoll(election, r), booth.RollError);
});

test('one key removed, or one key swapped for another, is refused', async () => {
  const fewer = reply();
  fewer.credentials.splice(1, 1);
  await refusedFor(fewer, 'count');
  const swapped = reply();
  swapped.credentials[3] = 'ff'.repeat(32);
  await refusedFor(swapped, 'hash');
  const added = reply();
  added.credentials.push('ff'.repeat(32));
  await refusedFor(added, 'count');
});

test('a roll signed for another election is refused', async () => {
  await refusedFor(reply(), 'election', 'other-election');
  const relabelled = reply();
  relabelled.signed_roll.election_id = 'other-election';
  await refusedFor(relabelled, 'election');
  await refusedFor(relabelled, 'signature', 'other-election'); // the signature covers the election id
});

test('a roll signed for another key ceremony (H_E) is refused', async () => {
  await refusedFor(reply(), 'election', ID, '00'.repeat(32));
  const moved = reply();
  moved.signed_roll.election = '00'.repeat(32);
  await refusedFor(moved, 'election');
  await refusedFor(moved, 'signature', ID, '00'.repeat(32)); // the signature covers H_E
});

test('a roll signed by another key is refused, and a changed count breaks the signature', async () => {
  const seed = new Uint8Array(32).fill(9);
  const other = reply();
  other.signed_roll.signature = bytesToHex(await signMessage(seed, rollMessage(other.signed_roll)));
  await refusedFor(other, 'signature');
  await checkRoll(other, await publicKeyOf(seed), ID, H_E); // it is a good signature, by someone else
  const recounted = reply();
  recounted.signed_roll.count = 3;
  recounted.credentials.pop();
  await refusedFor(recounted, 'signature');
});

test('an unsigned, malformed or unordered roll is refused', async () => {
  const unsigned = reply();
  unsigned.signed_roll = null;
  await refusedFor(unsigned, 'unsigned');
  const unordered = reply();
  unordered.credentials.reverse();
  await refusedFor(unordered, 'order');
  const twice = reply();
  twice.credentials[1] = twice.credentials[0];
  await refusedFor(twice, 'order');
  const upper = reply();
  upper.credentials[0] = upper.credentials[0].toUpperCase();
  await refusedFor(upper, 'malformed');
  const wrongType = reply();
  wrongType.signed_roll.type = 'roll';
  await refusedFor(wrongType, 'malformed');
  await refusedFor({ election_id: ID }, 'malformed');
});
