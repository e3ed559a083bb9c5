// The no-small-factor proof Π^fac, verifier side (docs/spec.md §6.5), as
// crypto/primitives/proofs/factor.py verify_factors: the dealer shows, to one
// trustee's ring-Pedersen parameters (N̂, s, t), that n = p·q with both
// factors below 2^(κ+σ+2)·S, S = ⌊√n⌋ + 1, so neither is below √n / 2^258.
//
// For trustee i: e = challenge(factor-proof, [election id, i], n, N̂, s, t,
// P, Q, A, B, T, ς); P..T units in (0, N̂); z1, z2 < 2^258·S;
// ς < 2^129·n·N̂; w1, w2 < 2^385·N̂; v < 2^385·n·N̂; and, modulo N̂,
//   s^z1·t^w1 ≡ A·P^e,   s^z2·t^w2 ≡ B·Q^e,   Q^z1·t^v ≡ T·R^e  with R = s^n·t^ς.
// The proof convinces only a verifier who trusts that the dealer cannot
// factor N̂, and hides p only when s ∈ ⟨t⟩, which Π^prm (§6.4) shows.

import { allUnits, isUnit, multiPow } from './bigint.js';
import { modulusShapeProblem } from './modulus.js';
import { FactorProofError } from './refusals.js';
import { CHALLENGE_BITS, Tag, challenge } from './transcript.js';

export const KAPPA = BigInt(CHALLENGE_BITS);
export const SLACK = 128n;

/** ⌊√x⌋ for x ≥ 0 (Newton's method on BigInts). */
export function isqrt(x) {
  if (x < 0n) throw new RangeError('isqrt: negative integer');
  if (x < 2n) return x;
  let guess = 1n << BigInt(Math.ceil(x.toString(2).length / 2));
  for (;;) {
    const next = (guess + x / guess) >> 1n;
    if (next >= guess) return guess;
    guess = next;
  }
}

/** 2^(κ+σ+2)·S with S = ⌊√n⌋ + 1: the bound on z1, z2 and so on both factors. */
export function factorBound(n) {
  return (isqrt(n) + 1n) << (KAPPA + SLACK + 2n);
}

/** What the proof to trustee `index` is bound to: [election id, index] (one list item). */
export function factorContext(electionId, index) {
  return [electionId, index];
}

/** e = challenge(factor-proof, context, n, N̂, s, t, P, Q, A, B, T, ς) (§6.5). */
export function factorChallenge(context, n, params, proof) {
  const { nHat, s, t } = params;
  return challenge(Tag.FACTOR_PROOF, context, n, nHat, s, t, proof.P, proof.Q, proof.A, proof.B, proof.T, proof.sigma);
}

/**
 * The proof-independent checks on a trustee's parameters (§6.4 shape, as
 * check_ring_pedersen_shape less the size, which the key policy decides): N̂
 * odd, composite, free of small factors; s and t units other than ±1.
 */
export function checkPedersenShape(params, trustee) {
  const shape = modulusShapeProblem(params.nHat);
  if (shape !== null) throw new FactorProofError(trustee, `trustee ${trustee}: ring-Pedersen ${shape.replace(/^n\b/, 'N̂')}`);
  for (const [name, x] of [['s', params.s], ['t', params.t]]) {
    if (!isUnit(x, params.nHat) || x === 1n || x === params.nHat - 1n) {
      throw new FactorProofError(trustee, `trustee ${trustee}: ring-Pedersen ${name} is not a unit other than ±1`);
    }
  }
}

/**
 * Verify Π^fac for n made to trustee `trustee`'s parameters {nHat, s, t}
 * (decoded BigInts), bound to (election id, trustee). Throws FactorProofError.
 */
export function verifyFactorProof(n, proof, params, electionId, trustee) {
  const fail = (message) => new FactorProofError(trustee, `trustee ${trustee}: factor proof: ${message}`);
  const { nHat, s, t } = params;
  if (!allUnits([proof.P, proof.Q, proof.A, proof.B, proof.T], nHat)) {
    const name = ['P', 'Q', 'A', 'B', 'T'].find((k) => !isUnit(proof[k], nHat));
    throw fail(`${name} is not a unit in (0, N̂)`);
  }
  const zBound = factorBound(n);
  if (proof.z1 >= zBound || proof.z2 >= zBound) throw fail('z1 or z2 too large (a factor of n is too small)');
  if (proof.sigma >= (n * nHat) << (SLACK + 1n)) throw fail('ς out of range');
  if (proof.w1 >= nHat << (KAPPA + 2n * SLACK + 1n) || proof.w2 >= nHat << (KAPPA + 2n * SLACK + 1n)) {
    throw fail('w1 or w2 out of range');
  }
  if (proof.v >= (n * nHat) << (KAPPA + 2n * SLACK + 1n)) throw fail('v out of range');
  const e = factorChallenge(factorContext(electionId, trustee), n, params, proof);
  // Each equation with its right side's powers moved to the left, as one
  // multi-exponentiation (P, Q, s, t are units, so this is the same test):
  //   s^z1·t^w1·P^(−e) ≡ A,  s^z2·t^w2·Q^(−e) ≡ B,  Q^z1·t^(v − ς·e)·s^(−n·e) ≡ T  (mod N̂).
  if (multiPow([s, t, proof.P], [proof.z1, proof.w1, -e], nHat) !== proof.A) throw fail('the commitment to p does not open');
  if (multiPow([s, t, proof.Q], [proof.z2, proof.w2, -e], nHat) !== proof.B) throw fail('the commitment to q does not open');
  if (multiPow([proof.Q, t, s], [proof.z1, proof.v - proof.sigma * e, -n * e], nHat) !== proof.T) throw fail('p·q is not n');
}
