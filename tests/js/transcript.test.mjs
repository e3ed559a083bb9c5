// The hash transcript (spec §2) against tests/vectors/transcript.json.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex, hexToBigInt } from '../../client/web/js/crypto/bigint.js';
import { DOMAIN_PREFIX, Tag, challenge, digest, encodeItems, expand, hashToUnit } from '../../client/web/js/crypto/transcript.js';
import { item, vector } from './vectors.mjs';

const file = vector('transcript.json');

test('every tag of the protocol has a case, and no other', () => {
  assert.deepEqual(new Set(file.cases.map((c) => c.tag)), new Set(Object.values(Tag)));
});

for (const c of file.cases) {
  test(`transcript: ${c.name}`, () => {
    const items = c.items.map(item);
    assert.equal(DOMAIN_PREFIX + c.tag, c.domain);
    assert.equal(bytesToHex(encodeItems(c.tag, items)), c.encoding);
    assert.equal(bytesToHex(digest(c.tag, ...items)), c.digest);
    assert.equal(challenge(c.tag, ...items), hexToBigInt(c.challenge));
    assert.equal(expand(c.tag, c.expand.bits, ...items), hexToBigInt(c.expand.value));
    const modulus = hexToBigInt(c.hash_to_unit.modulus);
    assert.equal(hashToUnit(c.tag, modulus, ...items), hexToBigInt(c.hash_to_unit.value));
  });
}

test('refused items throw', () => {
  for (const r of file.refused) {
    assert.throws(() => encodeItems(Tag.BALLOT, [item(r.item)]), `${r.reason} accepted`);
    assert.throws(() => encodeItems(Tag.BALLOT, [[1n, item(r.item)]]), `${r.reason} accepted in a list`);
  }
  assert.throws(() => encodeItems('no-such-tag', []), /unknown domain tag/);
  assert.throws(() => encodeItems(Tag.BALLOT, [1.5]), /safe integer/);
  assert.throws(() => encodeItems(Tag.BALLOT, [{}]), /cannot hash/);
});

test('numbers and BigInts hash alike', () => {
  assert.deepEqual(encodeItems(Tag.BASE, [1, 255, 0]), encodeItems(Tag.BASE, [1n, 255n, 0n]));
});
