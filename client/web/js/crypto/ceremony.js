// The key ceremony, checked by the booth before it encrypts anything
// (docs/spec.md §4, §6, §8.2, §8.10, §11 steps 1–2, §12.8), as
// crypto/election/ceremony.py verify_key_ceremony: the document `key-ceremony`
// version 3 holds the committee (signed trustee cards, the registrar's card),
// the threshold key (n, v, v_1..v_ℓ, t), how the key was made (`generation`),
// the evidence for that, and the test ciphertext. A dealer's key
// ("dealer") carries the Paillier–Blum modulus proof and one no-small-factor
// proof per trustee, and no transcript; a key the trustees generated
// themselves ("committee", §12) carries the signed transcript of their run
// (generation.js), and no modulus or factor proof. H_E binds all of it (§8.2:
// ceremonyHash), so what is checked here is what every ballot of the election
// is bound to.
//
// Steps, cheapest first (STEPS for a dealt key, GENERATED_STEPS for a
// generated one; stepsOf picks): the document's form (for a generated key
// also the transcript's: entries 1..ℓ in order, 64 biprimality values and t
// commitments each, every value in its width); the key policy (sizes of n
// and of every N̂); the committee's shape; every card's signature and the
// registrar's; then for a dealt key the modulus proof (§6.3) and the factor
// proof to every trustee (§6.5), for a generated key its evidence (§12.8:
// n ≡ 1 (mod 4), no prime below 2^16 divides n, n not a perfect power, every
// round signature under the trustees' identity keys with σ recomputed, every
// biprimality commitment opens, all 64 rounds pass); v derived and v_1..v_ℓ on
// one polynomial (§4.2, §4.3), and for a generated key v_1..v_ℓ recomputed
// from the Feldman commitments and θ (t full exponentiations modulo n²; at
// 3072 bits the whole check of a generated key costs about what a dealt key's
// costs); x_T derived and c_T a ciphertext (§4.4), for a generated key
// c_T = Enc(x_T; r_T) with r_T derived. Nothing of §12.8 is left out.
//
// Not checked here: the ring-Pedersen proofs Π^prm (§6.4), 128 full
// exponentiations modulo N̂ per trustee, too slow for a phone. The dealer
// (before dealing), the server (when a card is registered and when the
// ceremony is published), every trustee (`kiemphieu trustee check`),
// `kiemphieu vote` and the record verifier check them; the booth checks the
// parameters' shape (for a dealt key, whose factor proofs use them), and H_E
// binds the proofs it did not check.

import { bitLength, isUnit, modInverse, modPow, multiPow } from './bigint.js';
import { canonicalBytes } from './canonical.js';
import { checkCommitteeShape, verifyCommitteeSignatures } from './committee.js';
import { checkPedersenShape, verifyFactorProof } from './factor.js';
import { big, bytes, documentOf, list, object, oneOf, small, text } from './form.js';
import { checkGeneratedKeys, readTranscript, testRandomness, verifyKeyGeneration } from './generation.js';
import { ITERATIONS, verifyModulusProof } from './modulus.js';
import {
  CeremonyFormError, FactorProofError, KeyPolicyError, TestCiphertextError, VerificationKeyError,
} from './refusals.js';
import { Tag, digest, expand, hashToUnit } from './transcript.js';

export const CEREMONY_VERSION = 3;
/** The fields of a `key-ceremony` v3 document besides type and version. */
export const CEREMONY_FIELDS = Object.freeze([
  'election_id', 'committee', 'key', 'generation', 'modulus_proof', 'factor_proofs', 'transcript', 'test_plaintext',
  'test_ciphertext',
]);
/** Who made the key: a dealer (§4.1) or the committee itself (§12). */
export const GENERATIONS = Object.freeze(['dealer', 'committee']);
export const MAX_TRUSTEES = 255;
const MAX_BITS = 4096;
const PROOF_E_BITS = 128;

/** The steps of checkKeyCeremony for a dealt key, in the order they run. */
export const STEPS = Object.freeze([
  'form', 'key-policy', 'committee', 'signatures', 'modulus-proof', 'factor-proofs', 'verification-keys', 'test-ciphertext',
]);

/** The steps for a key the committee generated: its evidence in place of the two proofs. */
export const GENERATED_STEPS = Object.freeze([
  'form', 'key-policy', 'committee', 'signatures', 'generation', 'verification-keys', 'test-ciphertext',
]);

/**
 * The steps checkKeyCeremony runs on a wire ceremony: GENERATED_STEPS when it
 * says generation "committee", otherwise STEPS (a malformed document is
 * refused by their common first step, `form`).
 */
export function stepsOf(wire) {
  return wire !== null && typeof wire === 'object' && wire.generation === 'committee' ? GENERATED_STEPS : STEPS;
}

/**
 * Modulus sizes by key policy (§1.1, §6.4), as KeyPolicy in
 * crypto/primitives/paillier.py: `null` is the test policy (any even size of
 * 256 bits or more, for n and N̂ alike).
 */
export const KEY_POLICIES = Object.freeze({
  standard: Object.freeze({ modulus: [3072, 4096], pedersen: [2048, 3072, 4096] }),
  'short-lived': Object.freeze({ modulus: [2048, 3072, 4096], pedersen: [2048, 3072, 4096] }),
  testing: null,
});

/** The policy named by the page (its kiemphieu-key-policy meta tag): 'standard' unless a known other name. */
export function parseKeyPolicy(text) {
  return typeof text === 'string' && Object.hasOwn(KEY_POLICIES, text) ? text : 'standard';
}

/** H(key-ceremony, canonical bytes of the key ceremony document) (§8.2). */
export function ceremonyHash(wire) {
  return digest(Tag.KEY_CEREMONY, canonicalBytes(wire));
}

// ---- reading the document (§9) --------------------------------------------------

function readPedersen(value, path) {
  object(value, path, ['n_hat', 's', 't', 'proof']);
  object(value.proof, `${path}.proof`, ['e', 'z']);
  big(value.proof.e, `${path}.proof.e`, PROOF_E_BITS);
  list(value.proof.z, `${path}.proof.z`, ITERATIONS, ITERATIONS).forEach((z, i) => big(z, `${path}.proof.z[${i}]`, MAX_BITS));
  return { nHat: big(value.n_hat, `${path}.n_hat`, MAX_BITS), s: big(value.s, `${path}.s`, MAX_BITS), t: big(value.t, `${path}.t`, MAX_BITS) };
}

function readTrustee(value, path) {
  documentOf(value, path, 'trustee', 2, ['index', 'name', 'role', 'identity_key', 'encryption_key', 'pedersen', 'signature']);
  return {
    index: small(value.index, `${path}.index`, 1, MAX_TRUSTEES),
    name: text(value.name, `${path}.name`, 1, 120),
    role: text(value.role, `${path}.role`, 0, 120),
    identityKey: bytes(value.identity_key, `${path}.identity_key`, 32),
    encryptionKey: bytes(value.encryption_key, `${path}.encryption_key`, 32),
    pedersen: readPedersen(value.pedersen, `${path}.pedersen`),
    signature: bytes(value.signature, `${path}.signature`, 64),
  };
}

/** The registrar's card (document `registrar` v1): {name, identityKey, signature}. */
export function readRegistrar(value, path) {
  documentOf(value, path, 'registrar', 1, ['name', 'identity_key', 'signature']);
  return {
    name: text(value.name, `${path}.name`, 1, 120),
    identityKey: bytes(value.identity_key, `${path}.identity_key`, 32),
    signature: bytes(value.signature, `${path}.signature`, 64),
  };
}

function readCommittee(value, path) {
  documentOf(value, path, 'committee', 1, ['trustees', 'registrar']);
  return {
    trustees: list(value.trustees, `${path}.trustees`, 1, MAX_TRUSTEES).map((t, i) => readTrustee(t, `${path}.trustees[${i}]`)),
    registrar: readRegistrar(value.registrar, `${path}.registrar`),
  };
}

function readKey(value, path) {
  object(value, path, ['n', 'v', 'vks', 't']);
  const vks = list(value.vks, `${path}.vks`, 1, MAX_TRUSTEES).map((x, i) => big(x, `${path}.vks[${i}]`, 2 * MAX_BITS));
  return {
    n: big(value.n, `${path}.n`, MAX_BITS),
    v: big(value.v, `${path}.v`, 2 * MAX_BITS),
    vks,
    t: small(value.t, `${path}.t`, 1, vks.length),
  };
}

function readModulusProof(value, path) {
  object(value, path, ['w', 'x', 'a', 'b', 'z']);
  const items = (name, read) => list(value[name], `${path}.${name}`, ITERATIONS, ITERATIONS).map((x, i) => read(x, `${path}.${name}[${i}]`));
  return {
    w: big(value.w, `${path}.w`, MAX_BITS),
    x: items('x', (x, at) => big(x, at, MAX_BITS)),
    a: items('a', (x, at) => small(x, at, 0, 1)),
    b: items('b', (x, at) => small(x, at, 0, 1)),
    z: items('z', (x, at) => big(x, at, MAX_BITS)),
  };
}

// Widths of the factor proof's fields (FactorProof in crypto/primitives/proofs/factor.py).
const FACTOR_BITS = {
  P: MAX_BITS, Q: MAX_BITS, A: MAX_BITS, B: MAX_BITS, T: MAX_BITS,
  sigma: 129 + 2 * MAX_BITS,
  // as the codec: up to any size a prover could send, so verifyFactors says why one is refused
  z1: 258 + MAX_BITS, z2: 258 + MAX_BITS,
  w1: 385 + MAX_BITS, w2: 385 + MAX_BITS,
  v: 385 + 2 * MAX_BITS,
};

function readFactorProof(value, path) {
  object(value, path, Object.keys(FACTOR_BITS));
  return Object.fromEntries(Object.entries(FACTOR_BITS).map(([k, bits]) => [k, big(value[k], `${path}.${k}`, bits)]));
}

/**
 * The evidence fields by generation (§12.8, as check_generation_fields): a
 * dealt key has its modulus proof, 1..255 factor proofs and no transcript; a
 * generated key its transcript, no modulus proof and no factor proof.
 */
function readEvidence(wire, path, key) {
  if (wire.generation === 'dealer') {
    if (wire.modulus_proof === null) throw new CeremonyFormError(`${path}.modulus_proof: a dealt key needs its modulus proof`);
    if (wire.transcript !== null) throw new CeremonyFormError(`${path}.transcript: a dealt key has no generation transcript`);
    return {
      modulusProof: readModulusProof(wire.modulus_proof, `${path}.modulus_proof`),
      factorProofs: list(wire.factor_proofs, `${path}.factor_proofs`, 1, MAX_TRUSTEES).map((p, i) => readFactorProof(p, `${path}.factor_proofs[${i}]`)),
      transcript: null,
    };
  }
  if (wire.modulus_proof !== null) throw new CeremonyFormError(`${path}.modulus_proof: a generated key has no modulus proof`);
  list(wire.factor_proofs, `${path}.factor_proofs`, 0, 0);
  if (wire.transcript === null) throw new CeremonyFormError(`${path}.transcript: a generated key needs its transcript`);
  return { modulusProof: null, factorProofs: [], transcript: readTranscript(wire.transcript, `${path}.transcript`, key) };
}

/**
 * The decoded key ceremony (BigInts and bytes) of its wire form, for election
 * `electionId`. Throws CeremonyFormError naming the field.
 */
export function readCeremony(wire, electionId) {
  const path = 'key_ceremony';
  documentOf(wire, path, 'key-ceremony', CEREMONY_VERSION, CEREMONY_FIELDS);
  if (wire.election_id !== electionId) throw new CeremonyFormError(`${path}.election_id: the key ceremony is for another election`);
  const committee = readCommittee(wire.committee, `${path}.committee`);
  const key = readKey(wire.key, `${path}.key`);
  return {
    electionId,
    committee,
    key,
    generation: oneOf(wire.generation, `${path}.generation`, GENERATIONS),
    ...readEvidence(wire, path, key),
    testPlaintext: big(wire.test_plaintext, `${path}.test_plaintext`, MAX_BITS),
    testCiphertext: big(wire.test_ciphertext, `${path}.test_ciphertext`, 2 * MAX_BITS),
  };
}

// ---- the checks -------------------------------------------------------------------

function checkBits(policy, bits, what, allowedOf) {
  const rule = KEY_POLICIES[policy];
  if (rule === undefined) throw new KeyPolicyError(`unknown key policy ${JSON.stringify(policy)}`);
  if (rule === null) {
    if (bits < 256 || bits % 2) throw new KeyPolicyError(`${what}: test moduli need an even size of at least 256 bits, got ${bits}`);
    return;
  }
  const allowed = allowedOf(rule);
  if (!allowed.includes(bits)) {
    throw new KeyPolicyError(`${what}: a ${bits}-bit modulus is refused under the ${policy} policy; allowed: ${allowed.join(', ')}`);
  }
}

/** ‖n‖ and every trustee's ‖N̂‖ under `policy` (§1.1, §6.4). Throws KeyPolicyError. */
export function checkKeyPolicy(ceremony, policy) {
  checkBits(policy, bitLength(ceremony.key.n), 'n', (r) => r.modulus);
  for (const member of ceremony.committee.trustees) {
    checkBits(policy, bitLength(member.pedersen.nHat), `trustee ${member.index}: N̂`, (r) => r.pedersen);
  }
}

/** v = hash_to_unit(threshold/v, n², election id, n)² mod n² (§4.2). */
export function deriveV(electionId, n) {
  const n2 = n * n;
  const h = hashToUnit(Tag.GENERATOR_V, n2, electionId, n);
  return (h * h) % n2;
}

/** λ_{j,i} = Δ·Π_{i′∈S∖{i}} (j − i′)/(i − i′) for i in S, exact BigInts (§4.3). */
export function lagrangeAt(j, subset, delta) {
  const out = new Map();
  for (const i of subset) {
    let num = delta;
    let den = 1n;
    for (const k of subset) {
      if (k !== i) {
        num *= BigInt(j - k);
        den *= BigInt(i - k);
      }
    }
    if (num % den !== 0n) throw new VerificationKeyError('a Lagrange coefficient is not integral');
    out.set(i, num / den);
  }
  return out;
}

function factorial(l) {
  let out = 1n;
  for (let k = 2n; k <= BigInt(l); k++) out *= k;
  return out;
}

/**
 * §4.2–4.3, as check_verification_keys with the election id: v and every v_j
 * units modulo n², v derived from the election id, and with S = {1..t}, for
 * each j ∉ S: v_j^Δ ≡ Π_{i∈S} v_i^λ_{j,i} (mod n²) (a negative λ inverts the
 * base). Throws VerificationKeyError. (For a generated key, checkCeremonyKeys
 * also recomputes them from the commitments.)
 */
export function checkVerificationKeys(key, electionId) {
  const { n, v, vks, t } = key;
  const n2 = n * n;
  if (!isUnit(v, n2)) throw new VerificationKeyError('threshold key: v is not a unit modulo n²');
  if (v !== deriveV(electionId, n)) throw new VerificationKeyError('threshold key: v is not derived from the election id');
  vks.forEach((vj, k) => {
    if (!isUnit(vj, n2)) throw new VerificationKeyError(`verification key v_${k + 1} is not a unit modulo n²`);
  });
  const subset = Array.from({ length: t }, (_, k) => k + 1);
  const delta = factorial(vks.length);
  const inverses = new Map(subset.map((i) => [i, modInverse(vks[i - 1], n2)]));
  for (let j = t + 1; j <= vks.length; j++) {
    const lambda = lagrangeAt(j, subset, delta);
    const bases = subset.map((i) => (lambda.get(i) >= 0n ? vks[i - 1] : inverses.get(i)));
    const exps = subset.map((i) => (lambda.get(i) >= 0n ? lambda.get(i) : -lambda.get(i)));
    if (modPow(vks[j - 1], delta, n2) !== multiPow(bases, exps, n2)) {
      throw new VerificationKeyError(`verification key v_${j} is not on the polynomial through v_1..v_${t}`);
    }
  }
}

/** §4.2–4.3 for every key; for a generated key also §12.6 step 4 (generation.js checkGeneratedKeys). */
export function checkCeremonyKeys(ceremony) {
  checkVerificationKeys(ceremony.key, ceremony.electionId);
  if (ceremony.generation === 'committee') checkGeneratedKeys(ceremony.key, ceremony.transcript, factorial(ceremony.key.vks.length));
}

/** x_T = expand(ceremony/test-ciphertext, ‖n‖ − 1, election id, n) (§4.4). */
export function ceremonyPlaintext(electionId, n) {
  return expand(Tag.TEST_CIPHERTEXT, bitLength(n) - 1, electionId, n);
}

/**
 * §4.4: x_T derived from the election id and n, c_T a unit modulo n²; for a
 * generated key (§12.8) c_T = Enc(x_T; r_T) = (1 + x_T·n)·r_T^n mod n² with
 * r_T = testRandomness(election id, n). Throws TestCiphertextError.
 */
export function checkTestValues(ceremony) {
  const { n } = ceremony.key;
  const n2 = n * n;
  if (ceremony.testPlaintext !== ceremonyPlaintext(ceremony.electionId, n)) {
    throw new TestCiphertextError('the test plaintext is not the one derived from the election id and n');
  }
  if (!isUnit(ceremony.testCiphertext, n2)) throw new TestCiphertextError('the test ciphertext is not an element of Z*_(n²)');
  if (ceremony.generation === 'committee') {
    const r = testRandomness(ceremony.electionId, n);
    if (((1n + ceremony.testPlaintext * n) * modPow(r, n, n2)) % n2 !== ceremony.testCiphertext) {
      throw new TestCiphertextError('the test ciphertext is not the one derived for a generated key');
    }
  }
}

/** §6.5 for every trustee, the i-th proof to trustee i's parameters. Throws FactorProofError. */
export function checkFactorProofs(ceremony) {
  const members = ceremony.committee.trustees;
  if (ceremony.factorProofs.length !== members.length) {
    throw new FactorProofError(null, `${ceremony.factorProofs.length} factor proofs for ${members.length} trustees`);
  }
  members.forEach((member, k) => {
    checkPedersenShape(member.pedersen, member.index);
    verifyFactorProof(ceremony.key.n, ceremony.factorProofs[k], member.pedersen, ceremony.electionId, member.index);
  });
}

const now = () => globalThis.performance?.now?.() ?? Date.now();

/**
 * Run every step of stepsOf(wire) on the wire key ceremony of election
 * `electionId` under `policy` ('standard', 'short-lived' or 'testing').
 * `onstep({step, index, total})` as each starts. Resolves to {timings: {step:
 * ms}}; throws the KeyCheckError subclass of the first step that fails.
 */
export async function checkKeyCeremony(wire, { electionId, policy = 'standard', onstep = () => {} } = {}) {
  const timings = {};
  let ceremony = null;
  const steps = stepsOf(wire);
  const work = {
    form: () => { ceremony = readCeremony(wire, electionId); },
    'key-policy': () => checkKeyPolicy(ceremony, policy),
    committee: () => checkCommitteeShape(ceremony.committee.trustees, ceremony.key.vks.length),
    signatures: () => verifyCommitteeSignatures(ceremony.committee),
    'modulus-proof': () => verifyModulusProof(ceremony.key.n, ceremony.modulusProof, electionId),
    'factor-proofs': () => checkFactorProofs(ceremony),
    generation: () => verifyKeyGeneration(ceremony),
    'verification-keys': () => checkCeremonyKeys(ceremony),
    'test-ciphertext': () => checkTestValues(ceremony),
  };
  for (const [index, step] of steps.entries()) {
    onstep({ step, index, total: steps.length });
    const start = now();
    await work[step]();
    timings[step] = now() - start;
  }
  return { timings };
}
