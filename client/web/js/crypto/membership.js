// 1-out-of-k membership proofs for Paillier ciphertexts (docs/spec.md §7), as
// crypto/primitives/proofs/membership.py, split into a vote-independent
// precomputation and a cheap finish.
//
// c = Enc(m_j; r) = (1 + m_j·n)·r^n, so u_i = c·(1 − m_i·n) = (1 + (m_j − m_i)·n)·r^n
// and, for a simulated branch (e, z),
//   a_i = z^n·u_i^(−e) = (z·r^(−e) mod n)^n · (1 + e·(m_i − m_j)·n)   (mod n²)
// because x^n mod n² depends only on x mod n. So the n-th powers — r^n, w^n
// and t = (z·r^(−e) mod n)^n per simulated pair — need only r, w and the
// pairs, which are drawn before the vote is known. The pairs are given to
// the simulated branches in branch order, skipping the true one, so the same
// k − 1 pairs serve whichever branch is true. After the vote, a proof costs a
// few multiplications, the hash and one 128-bit power modulo n.

import { isUnit, mod, modInverse, modPow } from './bigint.js';
import { CHALLENGE_BITS, Tag, challenge } from './transcript.js';

export const E_MOD = 1n << BigInt(CHALLENGE_BITS);

/** A proof does not verify (§7.3). */
export class ProofError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ProofError';
  }
}

/** e = H(membership-proof, H_E, credential, question, part, n, [m], c, [a]) (§7.2). */
export function fiatShamir(pk, st, a) {
  return challenge(Tag.MEMBERSHIP_PROOF, st.context, st.credential, st.question, st.part, pk.n, st.allowed, st.c, a);
}

/** Check the nonces of one proof: r and w units modulo n, each (e, z) in range. */
function checkNonces(pk, { r, pairs, w }) {
  for (const { e, z } of pairs) {
    if (!(e >= 0n && e < E_MOD && isUnit(z, pk.n))) throw new RangeError('nonces out of range');
  }
  if (!isUnit(w, pk.n) || !isUnit(r, pk.n)) throw new RangeError('r and w must be units modulo n');
}

/**
 * The n-th powers mod n² one proof needs besides r^n, as terms {x, y, e}
 * each standing for the unit x·y^e mod n (PaillierKey.rnOfTerm): per
 * simulated pair (z, r^(−1), e) in draw order, then (w, 1, 0). Terms are
 * independent of one another and of the vote, so they can be taken anywhere
 * (a worker) and handed back to proofFromPowers.
 */
export function proofTerms(pk, nonces) {
  checkNonces(pk, nonces);
  const rInv = modInverse(nonces.r, pk.n);
  return [...nonces.pairs.map(({ e, z }) => ({ x: z, y: rInv, e })), { x: nonces.w, y: 1n, e: 0n }];
}

/** The precomputation of one proof from the n-th powers of its proofTerms, in the same order. */
export function proofFromPowers({ r, rn, pairs, w }, powers) {
  if (powers.length !== pairs.length + 1) throw new RangeError('wrong number of n-th powers');
  const sims = pairs.map(({ e, z }, i) => ({ e, z, t: powers[i] }));
  return { r, rn, w, wn: powers[pairs.length], sims };
}

/**
 * The n-th powers of one proof for randomness r (with rn = r^n mod n² if known):
 * `pairs` are the k − 1 simulated (e, z) in draw order, `w` the true branch's nonce.
 */
export function precomputeProof(pk, { r, rn, pairs, w }, tick = () => {}) {
  const terms = proofTerms(pk, { r, pairs, w });
  if (rn === undefined) {
    rn = pk.rn(r);
    tick();
  }
  const powers = terms.map((term) => {
    const power = pk.rnOfTerm(term);
    tick();
    return power;
  });
  return proofFromPowers({ r, rn, pairs, w }, powers);
}

/**
 * Finish the proof that st.c = Enc(st.allowed[index]; r) for a precomputation
 * `pre` of r (st.c must be (1 + m·n)·pre.rn mod n²). Returns {a, e, z} as BigInts.
 */
export function finishProof(pk, st, index, pre) {
  const k = st.allowed.length;
  if (!(index >= 0 && index < k)) throw new RangeError('index outside the allowed set');
  if (pre.sims.length !== k - 1) throw new RangeError('wrong number of simulated branches');
  const { n, n2 } = pk;
  const mj = st.allowed[index];
  const a = new Array(k);
  const e = new Array(k);
  const z = new Array(k);
  let p = 0;
  let others = 0n;
  for (let i = 0; i < k; i++) {
    if (i === index) {
      a[i] = pre.wn;
      continue;
    }
    const sim = pre.sims[p++];
    e[i] = sim.e;
    z[i] = sim.z;
    others += sim.e;
    a[i] = (sim.t * (1n + mod(sim.e * (st.allowed[i] - mj), n) * n)) % n2;
  }
  const total = fiatShamir(pk, st, a);
  e[index] = mod(total - others, E_MOD);
  z[index] = (pre.w * modPow(pre.r, e[index], n)) % n;
  return { a, e, z };
}

/** Prove in one go (precompute and finish), as the Python prover with explicit nonces. */
export function prove(pk, st, index, r, nonces) {
  return finishProof(pk, st, index, precomputeProof(pk, { r, pairs: nonces.simulated, w: nonces.w }));
}

/**
 * Verify one proof (§7.3): shapes, ranges and units, Σ e_i ≡ e (mod 2^128),
 * and z_i^(2n) ≡ (a_i·u_i^(e_i))² (mod n²). Throws ProofError.
 */
export function verifyProof(pk, st, proof) {
  const k = st.allowed.length;
  const { n, n2 } = pk;
  if (proof.a.length !== k || proof.e.length !== k || proof.z.length !== k) {
    throw new ProofError(`${st.part}: proof has the wrong number of branches`);
  }
  if (proof.e.some((x) => x < 0n || x >= E_MOD)) throw new ProofError(`${st.part}: challenge out of range`);
  if (!pk.isCiphertext(st.c) || proof.a.some((x) => !pk.isCiphertext(x)) || proof.z.some((x) => !isUnit(x, n))) {
    throw new ProofError(`${st.part}: element out of range or not a unit`);
  }
  if (proof.e.reduce((s, x) => s + x, 0n) % E_MOD !== fiatShamir(pk, st, proof.a)) {
    throw new ProofError(`${st.part}: challenges do not sum to the Fiat-Shamir challenge`);
  }
  for (let i = 0; i < k; i++) {
    const u = (st.c * (1n - mod(st.allowed[i], n) * n)) % n2;
    const lhs = modPow(proof.z[i], 2n * n, n2);
    const rhs = (proof.a[i] * modPow(mod(u, n2), proof.e[i], n2)) % n2;
    if (lhs !== (rhs * rhs) % n2) throw new ProofError(`${st.part}: membership equation fails`);
  }
}
