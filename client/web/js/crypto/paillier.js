// Paillier encryption with g = n + 1 (docs/spec.md §3), public-key operations only.

import { bitLength, gcd, isUnit, modInverse, modPow } from './bigint.js';

/** The Paillier public key n (§3.1); n² is kept alongside. */
export class PaillierKey {
  constructor(n) {
    if (typeof n !== 'bigint' || n < 3n || n % 2n === 0n) throw new RangeError('Paillier modulus must be odd and > 2');
    this.n = n;
    this.n2 = n * n;
    this.bits = bitLength(n);
    Object.freeze(this);
  }

  /** r^n mod n², the vote-independent part of an encryption (§3.2). */
  rn(r) {
    return modPow(r, this.n, this.n2);
  }

  /**
   * (x·y^e mod n)^n mod n² for units x, y modulo n and e ≥ 0: the n-th power
   * of a unit given as a product, as the proofs' simulated commitments need
   * it (§7.2); e = 0 gives rn(x).
   */
  rnOfTerm({ x, y, e }) {
    return this.rn(e === 0n ? x : (x * modPow(y, e, this.n)) % this.n);
  }

  /** (1 + m·n)·rn mod n² for a precomputed rn = r^n mod n². */
  encryptWithRn(m, rn) {
    if (m < 0n || m >= this.n) throw new RangeError('plaintext out of range');
    return ((1n + m * this.n) * rn) % this.n2;
  }

  /** Enc(m; r) = (1 + m·n)·r^n mod n² for 0 ≤ m < n and r ∈ Z*_n (§3.2). */
  encrypt(m, r) {
    if (!isUnit(r, this.n)) throw new RangeError('encryption randomness must be a unit modulo n');
    return this.encryptWithRn(m, this.rn(r));
  }

  /** Enc(m1 + m2): c1·c2 mod n². */
  add(c1, c2) {
    return (c1 * c2) % this.n2;
  }

  /** Enc(k·m): c^k mod n² (k < 0 inverts c first). */
  scale(c, k) {
    return modPow(c, k, this.n2);
  }

  /** True when c is an element of Z*_{n²} in canonical range (§3.3). */
  isCiphertext(c) {
    return c > 0n && c < this.n2 && gcd(c, this.n) === 1n;
  }

  /** x^-1 mod n (x a unit). */
  invertModN(x) {
    return modInverse(x, this.n);
  }
}
