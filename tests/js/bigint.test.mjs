// BigInt arithmetic and canonical JSON (spec §1.2, §9.5).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bigIntToBytes, bigIntToHex, bitLength, bytesToBigInt, gcd, hexToBigInt, hexToBytes, integerRoot, isPerfectPower,
  isUnit, modInverse, modPow, randomBelow, randomBits, randomUnit,
} from '../../client/web/js/crypto/bigint.js';
import { canonicalBytes, canonicalString, compareCodePoints } from '../../client/web/js/crypto/canonical.js';
import { vector } from './vectors.mjs';

function naivePow(b, e, m) {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}

test('modPow agrees with square-and-multiply for every window size', () => {
  const n = hexToBigInt(vector('paillier.json').keys[0].n);
  for (const bits of [1, 2, 7, 24, 25, 100, 129, 513, 1100, 2049, 3000, 4700]) { // windows 1 to 8
    for (let k = 0; k < 3; k++) {
      const e = randomBits(bits) | (1n << BigInt(bits - 1));
      const b = randomBelow(n * n);
      assert.equal(modPow(b, e, n * n), naivePow(b, e, n * n), `${bits}-bit exponent`);
    }
  }
  assert.equal(modPow(5n, 0n, 7n), 1n);
  assert.equal(modPow(5n, 3n, 1n), 0n);
  assert.equal(modPow(-2n, 3n, 7n), 6n);
  assert.equal(modPow(3n, -1n, 7n), 5n);
  assert.throws(() => modPow(2n, 3n, 0n), RangeError);
});

test('modInverse, gcd and isUnit', () => {
  assert.equal(modInverse(3n, 7n), 5n);
  assert.equal(modInverse(-3n, 7n), 2n);
  assert.throws(() => modInverse(6n, 9n), /not invertible/);
  const n = hexToBigInt(vector('paillier.json').keys[1].n);
  const x = randomUnit(n);
  assert.equal((x * modInverse(x, n)) % n, 1n);
  assert.equal(gcd(12n, -18n), 6n);
  assert.ok(isUnit(4n, 9n));
  assert.ok(!isUnit(3n, 9n) && !isUnit(0n, 9n) && !isUnit(10n, 9n));
});

test('bytes, hex and bit lengths', () => {
  assert.deepEqual(bigIntToBytes(0n), new Uint8Array([0]));
  assert.deepEqual(bigIntToBytes(256n), new Uint8Array([1, 0]));
  assert.deepEqual(bigIntToBytes(1n, 3), new Uint8Array([0, 0, 1]));
  assert.throws(() => bigIntToBytes(256n, 1), RangeError);
  assert.equal(bytesToBigInt(new Uint8Array([1, 0, 0])), 65536n);
  assert.equal(bytesToBigInt(new Uint8Array()), 0n);
  assert.equal(bitLength(0n), 0);
  assert.equal(bitLength(255n), 8);
  assert.equal(bigIntToHex(0n), '0');
  for (const bad of ['', '00', '0a', 'AB', '0x1', '-1', ' 1']) assert.throws(() => hexToBigInt(bad), RangeError, bad);
  assert.throws(() => hexToBigInt('1ff', 8), /more than 8 bits/);
  assert.equal(hexToBigInt('1ff', 9), 511n);
  assert.deepEqual(hexToBytes('00ff'), new Uint8Array([0, 255]));
  for (const bad of ['0', 'FF', 'zz']) assert.throws(() => hexToBytes(bad), RangeError, bad);
  assert.throws(() => hexToBytes('00', 2), /expected 2 bytes/);
});

test('integer roots and perfect powers (the form of a generated modulus, §12.8)', () => {
  for (const [x, k, root] of [[0n, 2, 0n], [1n, 5, 1n], [26n, 3, 2n], [27n, 3, 3n], [28n, 3, 3n], [99n, 2, 9n], [100n, 2, 10n], [(1n << 4096n) - 1n, 4096, 1n]]) {
    assert.equal(integerRoot(x, k), root, `${x} ${k}`);
  }
  const r = randomBits(300) | 1n;
  for (const k of [2, 3, 5, 6, 35]) {
    assert.equal(integerRoot(r ** BigInt(k), k), r);
    assert.equal(integerRoot(r ** BigInt(k) - 1n, k), r - 1n);
    assert.equal(isPerfectPower(r ** BigInt(k)), true);
  }
  assert.deepEqual([2n, 3n, 4n, 8n, 9n, 10n, 1n << 99n, 3n ** 41n].map((x) => isPerfectPower(x)), [false, false, true, true, true, false, true, true]);
  const n = hexToBigInt(vector('threshold.json').key_ceremony.key.n);
  assert.equal(isPerfectPower(n), false);
  assert.equal(isPerfectPower(n, 17), false);
  const p = 65537n; // the least root a modulus without prime factors below 2^16 can have
  assert.equal(isPerfectPower(p ** 31n, 17), true);
  assert.equal(isPerfectPower(p * (p + 2n), 17), false);
});

test('randomness stays in range and varies', () => {
  const seen = new Set();
  for (let i = 0; i < 200; i++) {
    const x = randomBits(13);
    assert.ok(x >= 0n && x < 1n << 13n);
    seen.add(x);
    const y = randomBelow(1000n);
    assert.ok(y >= 0n && y < 1000n);
    assert.ok(isUnit(randomUnit(15n), 15n));
  }
  assert.ok(seen.size > 150, 'randomBits repeats too often');
  assert.throws(() => randomBits(0), RangeError);
  assert.throws(() => randomBelow(0n), RangeError);
});

test('canonical JSON matches the Python codec byte for byte', () => {
  const value = {
    '\uffff': 1, '\u{1F600}': 2, a: [null, true, false, -5, 'x"\\\n\t\r\b\f\x01\x1f\x7f\u2028é𝄞'],
    '': { b: {}, a: [] },
  };
  // from kiemphieu.crypto.canonical_json.canonical_bytes of the same value
  const python = '{"":{"a":[],"b":{}},"a":[null,true,false,-5,"x\\"\\\\\\n\\t\\r\\b\\f\\u0001\\u001f\x7f\u2028é𝄞"],"\uffff":1,"\u{1F600}":2}';
  assert.equal(canonicalString(value), python);
  assert.deepEqual(canonicalBytes(value), new TextEncoder().encode(python));
  assert.equal(canonicalString({ n: 10n ** 30n }), '{"n":1000000000000000000000000000000}');
});

test('canonical JSON sorts keys by code point, not UTF-16 unit', () => {
  assert.ok(compareCodePoints('\uffff', '\u{1F600}') < 0);
  assert.ok('\uffff' > '\u{1F600}', 'the JS default order differs here');
  assert.equal(compareCodePoints('ab', 'a'), 1);
  assert.equal(compareCodePoints('a', 'a'), 0);
});

test('canonical JSON refuses what the codec never writes', () => {
  for (const bad of [1.5, NaN, Infinity, -0, 2 ** 60, undefined, () => 1, new Date(0), 'x\ud800', '\udc00y']) {
    assert.throws(() => canonicalString({ k: bad }), TypeError, String(bad));
  }
  let deep = 1;
  for (let i = 0; i < 40; i++) deep = [deep];
  assert.throws(() => canonicalString(deep), /deeper/);
});

test('the manifest of ballot.json has its canonical bytes', () => {
  const b = vector('ballot.json');
  assert.equal(canonicalString(b.manifest), b.manifest_canonical);
});
