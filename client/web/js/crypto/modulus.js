// The Paillier–Blum modulus proof, verifier side (docs/spec.md §6.3), as
// crypto/primitives/proofs/modulus.py verify_modulus: n = p·q with
// p ≡ q ≡ 3 (mod 4) and gcd(n, φ(n)) = 1, in 128 iterations.
//
// Checked: n odd, at least 256 bits, no prime factor below 2^16, not a
// probable prime; w a unit with Jacobi symbol (w|n) = −1; every x_i, z_i a
// unit in (0, n); y_i = hash_to_unit(modulus-proof/y, n, election id, n, w, i);
// x_i^4 ≡ (−1)^a_i·w^b_i·y_i (one by one: two squarings each); and
// z_i^n ≡ y_i for all i at once, by a random linear combination (see
// checkRoots).

import { allUnits, bitLength, gcd, isProbablePrime, isUnit, jacobi, modPow, multiPow, primesBelow, randomBits } from './bigint.js';
import { ModulusProofError } from './refusals.js';
import { Tag, expand, hashToUnit } from './transcript.js';

export const ITERATIONS = 128;
export const MIN_MODULUS_BITS = 256;
export const SMALL_FACTOR_BOUND = 1 << 16;
const WEIGHT_BITS = 128;

let smallPrimorial = null;

/** Π p over the primes p < 2^16 (about 94,000 bits), by a product tree, made once. */
function primorial() {
  if (smallPrimorial === null) {
    let level = primesBelow(SMALL_FACTOR_BOUND).map(BigInt);
    while (level.length > 1) {
      const next = [];
      for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? level[i] * level[i + 1] : level[i]);
      level = next;
    }
    smallPrimorial = level[0];
  }
  return smallPrimorial;
}

/**
 * True when a prime below 2^16 divides n (one gcd with their product); also
 * the trial division of a generated modulus (§12.8).
 */
export function hasSmallFactor(n) {
  return gcd(n, primorial() % n) !== 1n;
}

/**
 * What is wrong with the shape of a modulus (§6.3 steps 1–3: odd, ≥ 256 bits,
 * no prime factor below 2^16, not a probable prime), or null. Also used for
 * the trustees' ring-Pedersen moduli N̂ (§6.4).
 */
export function modulusShapeProblem(n) {
  if (n % 2n === 0n) return 'n is even';
  if (bitLength(n) < MIN_MODULUS_BITS) return `n is shorter than ${MIN_MODULUS_BITS} bits`;
  if (hasSmallFactor(n)) return `n has a prime factor below ${SMALL_FACTOR_BOUND}`;
  if (isProbablePrime(n)) return 'n is prime';
  return null;
}

/**
 * y_0..y_127 = hash_to_unit(modulus-proof/y, n, election id, n, w, i) (§6.2).
 * Each first candidate (attempt 0) is taken when all 128 of them are units,
 * which one gcd decides; otherwise each y_i is derived on its own.
 */
export function deriveY(n, electionId, w) {
  const bits = bitLength(n) + 128;
  const first = [];
  for (let i = 0; i < ITERATIONS; i++) first.push(expand(Tag.MODULUS_PROOF_Y, bits, electionId, n, w, i, 0) % n);
  if (allUnits(first, n)) return first;
  return first.map((_, i) => hashToUnit(Tag.MODULUS_PROOF_Y, n, electionId, n, w, i));
}

/** A fresh batch weight, uniform in [1, 2^128), from crypto.getRandomValues (§10.1). */
function weight() {
  for (;;) {
    const delta = randomBits(WEIGHT_BITS);
    if (delta !== 0n) return delta;
  }
}

/**
 * z_i^n ≡ y_i (mod n) for every i, as one equation: with fresh weights δ_i,
 * (Π z_i^δ_i)^(2n) ≡ (Π y_i^δ_i)² (mod n).
 *
 * Why one equation is enough: let G = Z*_n / (Z*_n)^n, the group of classes
 * modulo n-th powers. Every z_i^n is 1 in G, so the batch says Π ȳ_i^(2δ_i) = 1
 * in G. Every element of G has an order dividing n, so a y_j that is not an
 * n-th power has a class whose order is at least the smallest prime factor of
 * n (odd, so squaring does not remove it); the equation then holds for at
 * most one residue of δ_j modulo that order: probability ≤ 1/p_min + 2^−128.
 * The small-factor check gives p_min > 2^16, and the factor proofs checked
 * with this one (§6.5) give p_min > √n / 2^258. A y_j whose n-th root is off
 * only by an element of order 2 (z_j^n = ω·y_j) passes, as it should: then
 * (ω·z_j)^n = y_j, since n is odd.
 */
function checkRoots(n, z, y) {
  const deltas = z.map(() => weight());
  const left = modPow(multiPow(z, deltas, n), 2n * n, n);
  const right = multiPow(y, deltas, n);
  return left === (right * right) % n;
}

/**
 * Verify a decoded modulus proof {w, x[], a[], b[], z[]} (BigInts; a, b
 * numbers) for n and the election id (§6.3). Throws ModulusProofError.
 */
export function verifyModulusProof(n, proof, electionId) {
  const fail = (message) => new ModulusProofError(`modulus: ${message}`);
  const shape = modulusShapeProblem(n);
  if (shape !== null) throw fail(shape);
  const { w, x, a, b, z } = proof;
  if (![x, a, b, z].every((f) => Array.isArray(f) && f.length === ITERATIONS)) {
    throw fail(`the proof must have ${ITERATIONS} iterations`);
  }
  if (!isUnit(w, n)) throw fail('w is not a unit in (0, n)');
  if (jacobi(w, n) !== -1) throw fail('the Jacobi symbol of w is not −1');
  for (let i = 0; i < ITERATIONS; i++) {
    if (!((a[i] === 0 || a[i] === 1) && (b[i] === 0 || b[i] === 1))) throw fail(`iteration ${i}: a and b must be 0 or 1`);
  }
  if (!allUnits([...x, ...z], n)) {
    const i = x.findIndex((xi, k) => !isUnit(xi, n) || !isUnit(z[k], n));
    throw fail(`iteration ${i}: x or z is not a unit in (0, n)`);
  }
  const y = deriveY(n, electionId, w);
  for (let i = 0; i < ITERATIONS; i++) {
    let expected = b[i] ? (y[i] * w) % n : y[i];
    if (a[i]) expected = n - expected;
    const square = (x[i] * x[i]) % n;
    if ((square * square) % n !== expected) throw fail(`iteration ${i}: x^4 ≠ (−1)^a·w^b·y`);
  }
  if (!checkRoots(n, z, y)) throw fail('z_i^n ≠ y_i for some iteration i (batched check)');
}
