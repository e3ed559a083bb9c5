// Paillier (§3), membership proofs (§7) and credentials (§8.4) against
// tests/vectors/{paillier,membership,credential}.json.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bigIntToHex, bytesToHex, hexToBigInt, hexToBytes, randomBits, randomUnit } from '../../client/web/js/crypto/bigint.js';
import {
  ALPHABET, CredentialError, KDF_SALT, checkCharacter, credentialFor, dammStep, deriveSeed, kdfInfo,
  formatCredential, hkdfSha256, parseCredential,
} from '../../client/web/js/crypto/credential.js';
import { SignatureError, publicKeyOf, signMessage, verifySignature } from '../../client/web/js/crypto/ed25519.js';
import { ProofError, fiatShamir, prove, verifyProof } from '../../client/web/js/crypto/membership.js';
import { PaillierKey } from '../../client/web/js/crypto/paillier.js';
import { vector } from './vectors.mjs';

const H = hexToBigInt;

for (const key of vector('paillier.json').keys) {
  test(`paillier ${key.bits}: Enc(m; r), r^n, sums and scalings`, () => {
    const pk = new PaillierKey(H(key.n));
    assert.equal(pk.bits, key.bits);
    for (const c of key.cases) {
      assert.equal(pk.rn(H(c.r)), H(c.rn));
      assert.equal(pk.encrypt(H(c.m), H(c.r)), H(c.c));
      assert.equal(pk.encryptWithRn(H(c.m), H(c.rn)), H(c.c));
      assert.ok(pk.isCiphertext(H(c.c)));
    }
    for (const s of key.sums) assert.equal(pk.add(H(key.cases[s.of[0]].c), H(key.cases[s.of[1]].c)), H(s.c));
    for (const s of key.scales) assert.equal(pk.scale(H(key.cases[s.of].c), BigInt(s.k)), H(s.c));
    assert.throws(() => pk.encrypt(pk.n, 1n), RangeError);
    assert.throws(() => pk.encrypt(1n, 0n), RangeError);
    assert.throws(() => new PaillierKey(4n), RangeError);
  });
}

function statementOf(s) {
  return {
    c: H(s.c), allowed: s.allowed.map((x) => H(x)), context: hexToBytes(s.context), credential: hexToBytes(s.credential),
    question: s.question, part: s.part,
  };
}

for (const c of vector('membership.json').cases) {
  test(`membership proof ${c.name}: byte for byte from the recorded nonces`, () => {
    const pk = new PaillierKey(H(c.n));
    const st = statementOf(c.statement);
    const w = c.witness;
    const proof = prove(pk, st, w.index, H(w.r), {
      w: H(w.w), simulated: w.simulated.map((p) => ({ e: H(p.e), z: H(p.z) })),
    });
    assert.deepEqual(
      { a: proof.a.map(bigIntToHex), e: proof.e.map(bigIntToHex), z: proof.z.map(bigIntToHex) },
      c.proof,
    );
    assert.equal(fiatShamir(pk, st, proof.a), H(c.challenge));
    verifyProof(pk, st, proof);
    const bad = { ...proof, z: [...proof.z] };
    bad.z[0] = (bad.z[0] * 2n) % pk.n;
    assert.throws(() => verifyProof(pk, st, bad), ProofError);
    assert.throws(() => verifyProof(pk, { ...st, part: 'other' }, proof), /Fiat-Shamir/);
  });
}

test('membership proofs with fresh randomness verify for every true branch', () => {
  const c = vector('membership.json').cases[1];
  const pk = new PaillierKey(H(c.n));
  const st0 = statementOf(c.statement);
  for (let index = 0; index < st0.allowed.length; index++) {
    const r = randomUnit(pk.n);
    const st = { ...st0, c: pk.encrypt(st0.allowed[index], r) };
    const simulated = st.allowed.slice(1).map(() => ({ e: randomBits(128), z: randomUnit(pk.n) }));
    const proof = prove(pk, st, index, r, { w: randomUnit(pk.n), simulated });
    verifyProof(pk, st, proof);
    assert.throws(() => verifyProof(pk, { ...st, c: pk.encrypt(st.allowed[index] + 1n, r) }, proof), ProofError);
  }
});

const cred = vector('credential.json');

test('credential codes: data, check character, seed, public key, signature', async () => {
  assert.equal(ALPHABET, cred.alphabet);
  assert.equal(KDF_SALT, cred.kdf_salt);
  for (const c of cred.codes) {
    assert.equal(parseCredential(c.code), c.data + c.check);
    assert.equal(checkCharacter(c.data), c.check);
    assert.equal(formatCredential(c.data + c.check), c.code);
    const registrar = hexToBytes(c.registrar, 32);
    assert.equal(bytesToHex(kdfInfo(c.election_id, registrar)), c.info);
    assert.equal(bytesToHex(deriveSeed(c.code, c.election_id, registrar)), c.seed);
    const credential = await credentialFor(c.code, c.election_id, registrar);
    assert.equal(credential.publicKeyHex, c.public);
    const message = hexToBytes(c.message);
    assert.equal(bytesToHex(await credential.sign(message)), c.signature);
    await verifySignature(credential.publicKey, message, hexToBytes(c.signature));
    assert.ok(!JSON.stringify(credential).includes(c.seed), 'the seed leaks into JSON');
    assert.ok(!Object.values(credential).some((v) => v instanceof Uint8Array && bytesToHex(v) === c.seed));
  }
});

test('the credential key depends on the registrar key, which must be 32 bytes', async () => {
  const [a, b] = cred.codes.slice(-2); // the same code under two registrars
  assert.equal(a.code, b.code);
  assert.notEqual(a.registrar, b.registrar);
  assert.notEqual(a.public, b.public);
  assert.throws(() => deriveSeed(a.code, a.election_id, new Uint8Array(31)), TypeError);
  assert.throws(() => deriveSeed(a.code, a.election_id, undefined), TypeError);
});

test('credential normalization', () => {
  for (const c of cred.normalization) {
    assert.equal(parseCredential(c.input).slice(0, 26), c.data, c.what);
    assert.equal(formatCredential(c.input), c.code, c.what);
  }
});

test('invalid codes are refused with their reason', () => {
  for (const c of cred.invalid) {
    const reason = c.reason === 'ascii' ? 'alphabet' : c.reason; // the booth folds non-ASCII into 'alphabet'
    assert.throws(() => parseCredential(c.input), (e) => e instanceof CredentialError && e.reason === reason, c.what);
  }
});

test('the Damm check catches every single substitution and adjacent swap of a code', () => {
  const flat = cred.codes[1].data + cred.codes[1].check;
  for (let i = 0; i < flat.length; i++) {
    for (const ch of ALPHABET) {
      if (ch === flat[i]) continue;
      assert.throws(() => parseCredential(flat.slice(0, i) + ch + flat.slice(i + 1)), CredentialError);
    }
    if (i + 1 < flat.length && flat[i] !== flat[i + 1]) {
      assert.throws(() => parseCredential(flat.slice(0, i) + flat[i + 1] + flat[i] + flat.slice(i + 2)), CredentialError);
    }
  }
  for (let x = 0; x < 32; x++) assert.equal(new Set([...Array(32).keys()].map((y) => dammStep(x, y))).size, 32);
});

test('HKDF (RFC 5869 A.1) and Ed25519 (RFC 8032 TEST 1)', async () => {
  const h = cred.hkdf_rfc5869;
  assert.equal(bytesToHex(hkdfSha256(hexToBytes(h.ikm), hexToBytes(h.salt), hexToBytes(h.info), h.length)), h.okm);
  const e = cred.ed25519_rfc8032;
  assert.equal(bytesToHex(await publicKeyOf(hexToBytes(e.seed))), e.public);
  const sig = await signMessage(hexToBytes(e.seed), hexToBytes(e.message));
  assert.equal(bytesToHex(sig), e.signature);
  await verifySignature(hexToBytes(e.public), new Uint8Array(), sig);
  const bad = sig.slice();
  bad[0] ^= 1;
  await assert.rejects(verifySignature(hexToBytes(e.public), new Uint8Array(), bad), SignatureError);
  await assert.rejects(verifySignature(new Uint8Array(32), new Uint8Array(), sig), SignatureError);
  await assert.rejects(verifySignature(hexToBytes(e.public), new Uint8Array([1]), sig), SignatureError);
});
