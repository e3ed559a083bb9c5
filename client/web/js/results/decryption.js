// Decryption shares, verifier side: the equal-discrete-log proof and the
// combination with Lagrange coefficients over Δ = ℓ! (docs/spec.md §5.2–5.4,
// §10.4), mirroring crypto/primitives/proofs/decryption.py and
// crypto/primitives/combination.py.
//
// Statement for trustee i and ciphertext c: log_{c⁴}(c_i²) = log_v(v_i).
// Proof (a, b, z); e = challenge(decryption-proof, H_E, n, v, v_i, i, c, c_i, a, b);
// accepted when c, c_i, a, b are units in (0, n²), 0 ≤ z < 2^(R+1) with
// R = share_bits(‖n‖) + ‖Δ‖ + 256 with share_bits(b) = 3b + 1280, and ((c⁴)^z)² ≡ (a·(c_i²)^e)², (v^z)² ≡ (b·v_i^e)² (mod n²).

import { bitLength, gcd, isUnit, modInverse, modPow, randomBits } from '../crypto/bigint.js';
import { Tag, challenge } from '../crypto/transcript.js';

export const MASK_EXTRA_BITS = 256;
export const SHARE_EXTRA_BITS = 1280;

/** The admitted length of a key share for an ‖n‖-bit modulus (§4.2): 3‖n‖ + 1280. */
export function shareBits(nBits) {
  return 3 * nBits + SHARE_EXTRA_BITS;
}
const WEIGHT_BITS = 128;

/** A decryption share or a combination that does not hold; `index` names the trustee when known. */
export class ShareError extends Error {
  constructor(message, index = null) {
    super(message);
    this.name = 'ShareError';
    this.index = index;
  }
}

/** R = share_bits(‖n‖) + ‖Δ‖ + 256, the bit length of the prover's mask (§5.2). */
export function maskBits(key) {
  return shareBits(bitLength(key.n)) + bitLength(key.delta) + MASK_EXTRA_BITS;
}

function statement(key, c, share) {
  if (!Number.isInteger(share.index) || share.index < 1 || share.index > key.l) {
    throw new ShareError(`decryption share ${share.index}: no such trustee`, share.index);
  }
  return { index: share.index, vi: key.vks[share.index - 1], c, ci: share.ci, proof: share.proof };
}

/** Ranges of §5.3; throws ShareError naming the trustee. */
function checkRanges(key, st) {
  const who = `decryption share ${st.index}`;
  const elements = [['c', st.c], ['c_i', st.ci], ['a', st.proof.a], ['b', st.proof.b]];
  for (const [name, value] of elements) {
    if (!isUnit(value, key.n2)) throw new ShareError(`${who}: ${name} is not a unit modulo n²`, st.index);
  }
  if (st.proof.z < 0n || st.proof.z >= 1n << BigInt(maskBits(key) + 1)) {
    throw new ShareError(`${who}: z out of range`, st.index);
  }
}

function challengeOf(key, context, st) {
  return challenge(
    Tag.DECRYPTION_PROOF, context, key.n, key.v, st.vi, st.index, st.c, st.ci, st.proof.a, st.proof.b,
  );
}

/** A fresh batch weight, uniform in [1, 2^128) (§10.1). */
function weight() {
  for (;;) {
    const w = randomBits(WEIGHT_BITS);
    if (w !== 0n) return w;
  }
}

function square(x, m) {
  return (x * x) % m;
}

/** The squared equations of §5.3 for one share and its challenge e. */
function equationsHold(key, st, e) {
  const n2 = key.n2;
  const lhs1 = modPow(modPow(st.c, 4n, n2), st.proof.z, n2);
  const rhs1 = (st.proof.a * modPow(square(st.ci, n2), e, n2)) % n2;
  if (square(lhs1, n2) !== square(rhs1, n2)) return false;
  const lhs2 = modPow(key.v, st.proof.z, n2);
  const rhs2 = (st.proof.b * modPow(st.vi, e, n2)) % n2;
  return square(lhs2, n2) === square(rhs2, n2);
}

/**
 * The §10.4 batch test over many shares under one key: with fresh 128-bit
 * weights δ_k, γ_k, L = Π_c c^(4·Σ δ_k·z_k) · v^(Σ γ_k·z_k) and
 * R = Π_k a_k^δ_k · c_{i,k}^(2·e_k·δ_k) · b_k^γ_k · Π_i v_i^(Σ e_k·γ_k); L² ≡ R².
 * One long exponentiation per distinct ciphertext and one for v.
 */
function batchHolds(key, items) {
  const n2 = key.n2;
  const longExp = new Map();
  const viExp = new Map();
  let vExp = 0n;
  let rhs = 1n;
  for (const { st, e } of items) {
    const delta = weight();
    const gamma = weight();
    longExp.set(st.c, (longExp.get(st.c) ?? 0n) + delta * st.proof.z);
    vExp += gamma * st.proof.z;
    rhs = (rhs * modPow(st.proof.a, delta, n2)) % n2;
    rhs = (rhs * modPow(st.ci, 2n * e * delta, n2)) % n2;
    rhs = (rhs * modPow(st.proof.b, gamma, n2)) % n2;
    viExp.set(st.vi, (viExp.get(st.vi) ?? 0n) + e * gamma);
  }
  for (const [vi, exp] of viExp) rhs = (rhs * modPow(vi, exp, n2)) % n2;
  let lhs = modPow(key.v, vExp, n2);
  for (const [c, exp] of longExp) lhs = (lhs * modPow(c, 4n * exp, n2)) % n2;
  return square(lhs, n2) === square(rhs, n2);
}

/**
 * Verify many (ciphertext, share) pairs bound to `context` (H_E, 32 bytes):
 * ranges per share, then the batch test of §10.4; if the batch fails, every
 * share is decided alone. Returns {shares, bad}: `shares[k]` is the verified
 * share {index, c, ci} of item k or null, `bad` lists {position, index, reason}
 * of the refused ones in input order. Never throws for a bad share.
 */
export function verifyShares(key, items, context) {
  const bad = [];
  const checked = [];
  items.forEach(({ c, share }, position) => {
    try {
      const st = statement(key, c, share);
      checkRanges(key, st);
      checked.push({ position, st, e: challengeOf(key, context, st) });
    } catch (err) {
      if (!(err instanceof ShareError)) throw err;
      bad.push({ position, index: share.index, reason: err.message });
    }
  });
  const shares = items.map(() => null);
  const batchOk = checked.length === 0 || batchHolds(key, checked);
  for (const { position, st, e } of checked) {
    if (batchOk || equationsHold(key, st, e)) {
      shares[position] = Object.freeze({ index: st.index, c: st.c, ci: st.ci });
    } else {
      bad.push({ position, index: st.index, reason: `decryption share ${st.index}: proof does not verify` });
    }
  }
  bad.sort((x, y) => x.position - y.position);
  return { shares, bad };
}

/** λ_{0,i} = Δ·Π_{j∈S, j≠i} j/(j − i) for i in S, exact integers (§5.4). */
export function lagrangeAtZero(subset, delta) {
  if (new Set(subset).size !== subset.length) throw new ShareError('repeated trustee index among the shares');
  const out = new Map();
  for (const i of subset) {
    let num = delta;
    let den = 1n;
    for (const j of subset) {
      if (j !== i) {
        num *= BigInt(0 - j);
        den *= BigInt(i - j);
      }
    }
    if (num % den !== 0n) throw new ShareError('Lagrange coefficient is not integral');
    out.set(i, num / den);
  }
  return out;
}

/**
 * x from verified shares of one ciphertext c, using the first t of them
 * (§5.4): c′ = Π c_i^(2·λ_{0,i}) mod n² must be ≡ 1 (mod n), and
 * x = L(c′)·(4Δ²)^(−1) mod n. Throws ShareError.
 */
export function combine(key, c, shares) {
  for (const sh of shares) {
    if (sh.c !== c) throw new ShareError(`share ${sh.index} was verified for another ciphertext`, sh.index);
  }
  if (shares.length < key.t) throw new ShareError(`need ${key.t} shares, got ${shares.length}`);
  const chosen = shares.slice(0, key.t);
  const lambda = lagrangeAtZero(chosen.map((sh) => sh.index), key.delta);
  const { n, n2 } = key;
  let cPrime = 1n;
  for (const sh of chosen) {
    const lam = lambda.get(sh.index);
    const base = lam >= 0n ? sh.ci : modInverse(sh.ci, n2);
    cPrime = (cPrime * modPow(base, 2n * (lam >= 0n ? lam : -lam), n2)) % n2;
  }
  if (cPrime % n !== 1n) throw new ShareError('combined value is not 1 mod n');
  const fourDelta2 = 4n * key.delta * key.delta;
  if (gcd(fourDelta2, n) !== 1n) throw new ShareError('4Δ² is not invertible modulo n');
  return (((cPrime - 1n) / n) * modInverse(fourDelta2, n)) % n;
}
