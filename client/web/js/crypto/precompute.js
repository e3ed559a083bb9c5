// The vote-independent work of one ballot (docs/spec.md §3.2, §7.2): draw
// every coin in the order Python's encrypt_ballot draws it (per question in
// manifest order, per part in part order: r = unit(n), then k − 1 simulated
// pairs e = bits(128), z = unit(n), then w = unit(n); after the parts of a
// multiple choice the sum proof's pairs and w), list the independent units
// whose n-th powers mod n² the proofs need, and put the powers together.
// The powers are taken inline (precomputeBallot) or by a pool of Web Workers
// (workerpool.js); the coins never leave this side.

import { bigIntToHex, hexToBigInt, randomBits, randomUnit } from './bigint.js';
import { proofFromPowers, proofTerms } from './membership.js';
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

function drawProof(coins, n, k) {
  const pairs = [];
  for (let i = 0; i < k - 1; i++) {
    const e = coins.bits(CHALLENGE_BITS);
    pairs.push({ e, z: coins.unit(n) });
  }
  return { pairs, w: coins.unit(n) };
}

/**
 * Draw every coin of one ballot for `plan` from `coins`, in encrypt_ballot's
 * order; no exponentiation yet. Returns {plan, pk, coins: [drawn values in
 * order], questions: [{parts: [{r, pairs, w}], sum: {r, pairs, w} | null}]}.
 */
export function drawBallot(plan, coins = systemCoins) {
  const pk = new PaillierKey(hexToBigInt(plan.n));
  const rec = recording(coins);
  const questions = plan.questions.map((q) => {
    const parts = [];
    for (let p = 0; p < q.parts; p++) {
      const r = rec.unit(pk.n);
      parts.push({ r, ...drawProof(rec, pk.n, q.k) });
    }
    let sum = null;
    if (q.sumK) {
      const r = parts.reduce((acc, x) => (acc * x.r) % pk.n, 1n);
      sum = { r, ...drawProof(rec, pk.n, q.sumK) };
    }
    return { parts, sum };
  });
  return { plan, pk, coins: rec.drawn, questions };
}

/**
 * The terms {x, y, e} (units x·y^e mod n, PaillierKey.rnOfTerm) whose n-th
 * powers mod n² the drawn ballot needs, in a fixed order (per part r, then its
 * proofTerms; then the sum proof's proofTerms): powersOf(plan) of them,
 * independent of one another.
 */
export function termsOf(drawn) {
  const { pk } = drawn;
  return drawn.questions.flatMap(({ parts, sum }) => [
    ...parts.flatMap((part) => [{ x: part.r, y: 1n, e: 0n }, ...proofTerms(pk, part)]),
    ...(sum ? proofTerms(pk, sum) : []),
  ]);
}

/**
 * The precomputation from the drawn ballot and the n-th powers of termsOf(drawn),
 * in that order: {n, plan, coins, questions: [{parts, sum}]} as finishProof takes them.
 */
export function assemblePrecomputation(drawn, powers) {
  const { pk } = drawn;
  if (powers.length !== powersOf(drawn.plan)) throw new RangeError('wrong number of n-th powers');
  let next = 0;
  const takePowers = (count) => powers.slice(next, (next += count));
  const questions = drawn.questions.map(({ parts, sum }) => {
    const proofs = parts.map((part) => {
      const [rn, ...rest] = takePowers(part.pairs.length + 2);
      return proofFromPowers({ ...part, rn }, rest);
    });
    let sumProof = null;
    if (sum) {
      const rn = proofs.reduce((acc, x) => (acc * x.rn) % pk.n2, 1n);
      sumProof = proofFromPowers({ ...sum, rn }, takePowers(sum.pairs.length + 1));
    }
    return { parts: proofs, sum: sumProof };
  });
  return { n: drawn.plan.n, plan: drawn.plan, coins: drawn.coins, questions };
}

/**
 * Draw and compute one ballot's precomputation for `plan` from `coins` in
 * this thread; `onPower(done, total)` is called after each n-th power.
 * Returns {n, plan, coins: [drawn values in order], questions: [{parts, sum}]}.
 */
export function precomputeBallot(plan, coins = systemCoins, onPower = () => {}) {
  const drawn = drawBallot(plan, coins);
  const terms = termsOf(drawn);
  const powers = terms.map((term, i) => {
    const power = drawn.pk.rnOfTerm(term);
    onPower(i + 1, terms.length);
    return power;
  });
  return assemblePrecomputation(drawn, powers);
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
