// The vote-independent work of one ballot (docs/spec.md §3.2, §7.2): draw
// every coin in the order Python's encrypt_ballot draws it (per question in
// manifest order, per part in part order: r = unit(n), then k − 1 simulated
// pairs e = bits(128), z = unit(n), then w = unit(n); after the parts of a
// multiple choice the sum proof's pairs and w) and compute the n-th powers.
// The same function runs in the Web Worker (worker.js) and inline.

import { bigIntToHex, hexToBigInt, randomBits, randomUnit } from './bigint.js';
import { precomputeProof } from './membership.js';
import { PaillierKey } from './paillier.js';
import { CHALLENGE_BITS } from './transcript.js';

/** Coins from crypto.getRandomValues (the only source outside tests). */
export const systemCoins = Object.freeze({ unit: randomUnit, bits: randomBits });

/** The shape of one ballot, plain data that can be posted to a worker. */
export function planOf(election) {
  return {
    n: bigIntToHex(election.key.n),
    questions: election.shapes.map((s) => ({
      parts: s.parts.length,
      k: s.allowed.length,
      sumK: s.sum === null ? 0 : s.sum.length,
    })),
  };
}

/** Number of n-th powers the precomputation makes for `plan` (for progress). */
export function powersOf(plan) {
  return plan.questions.reduce((s, q) => s + q.parts * (q.k + 1) + (q.sumK ? q.sumK : 0), 0);
}

/** Coins that remember what they hand out, in order (the audit reveals them). */
export function recording(coins) {
  const drawn = [];
  return {
    drawn,
    unit(n) {
      const x = coins.unit(n);
      drawn.push(x);
      return x;
    },
    bits(k) {
      const x = coins.bits(k);
      drawn.push(x);
      return x;
    },
  };
}

function draw(coins, n, k) {
  const pairs = [];
  for (let i = 0; i < k - 1; i++) {
    const e = coins.bits(CHALLENGE_BITS);
    pairs.push({ e, z: coins.unit(n) });
  }
  return { pairs, w: coins.unit(n) };
}

/**
 * Draw and compute one ballot's precomputation for `plan` from `coins`;
 * `onPower(done, total)` is called after each n-th power.
 * Returns {n, plan, coins: [drawn values in order], questions: [{parts, sum}]}.
 */
export function precomputeBallot(plan, coins = systemCoins, onPower = () => {}) {
  const pk = new PaillierKey(hexToBigInt(plan.n));
  const rec = recording(coins);
  const total = powersOf(plan);
  let done = 0;
  const tick = () => onPower(++done, total);
  const questions = plan.questions.map((q) => {
    const parts = [];
    for (let p = 0; p < q.parts; p++) {
      const r = rec.unit(pk.n);
      parts.push(precomputeProof(pk, { r, ...draw(rec, pk.n, q.k) }, tick));
    }
    let sum = null;
    if (q.sumK) {
      const r = parts.reduce((acc, x) => (acc * x.r) % pk.n, 1n);
      const rn = parts.reduce((acc, x) => (acc * x.rn) % pk.n2, 1n);
      sum = precomputeProof(pk, { r, rn, ...draw(rec, pk.n, q.sumK) }, tick);
    }
    return { parts, sum };
  });
  return { n: plan.n, plan, coins: rec.drawn, questions };
}

/** Coins replaying revealed values in order; `check` errors name the coin. */
export function replaying(values, fail) {
  let next = 0;
  const take = () => {
    if (next >= values.length) throw fail('the audit reveals fewer coins than the encryption draws');
    return values[next++];
  };
  return {
    unit(n) {
      const x = take();
      if (!(x > 0n && x < n && coprime(x, n))) throw fail(`coin ${next - 1}: not a unit modulo n`);
      return x;
    },
    bits(k) {
      const x = take();
      if (x >> BigInt(k)) throw fail(`coin ${next - 1}: longer than ${k} bits`);
      return x;
    },
    finish() {
      if (next !== values.length) throw fail('the audit reveals more coins than the encryption draws');
    },
  };
}

function coprime(x, n) {
  let [a, b] = [x, n];
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 1n;
}
