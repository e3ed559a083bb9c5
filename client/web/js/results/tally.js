// The encrypted tally, its packing and the unpacking of the decrypted groups
// with the public checks (docs/spec.md §8.7), mirroring crypto/election/tally.py.

import { bitLength, bytesToHex, modPow } from '../crypto/bigint.js';
import { bigHex, bytes, documentOf, list, object, ReplyError, smallInt, text } from './reply.js';

export const MAX_BALLOTS = 2 ** 48 - 1;

/** A public check of §8.7.3 that the decrypted counters fail. */
export class TallyError extends Error {
  constructor(message) {
    super(message);
    this.name = 'TallyError';
  }
}

/**
 * Groups of parts in manifest order, each within ⌊(‖n‖ − 1)/b⌋ counters;
 * a part never straddles two groups (§8.7.2). Items are {question, part, offset}.
 */
export function layout(election) {
  const capacity = Math.floor((bitLength(election.key.n) - 1) / election.manifest.counterBits);
  const groups = [[]];
  let used = 0;
  election.manifest.questions.forEach((q, qi) => {
    const width = q.slotIds.length;
    q.parts.forEach((_, pi) => {
      if (used + width > capacity) {
        groups.push([]);
        used = 0;
      }
      groups[groups.length - 1].push({ question: qi, part: pi, offset: used });
      used += width;
    });
  });
  return groups;
}

/**
 * The encrypted tally of a GET /tally reply (document `encrypted-tally`) as
 * {election (bytes), ballots, ciphertexts: [[T per part] per question]},
 * checked against the manifest's questions and parts. Throws ReplyError.
 */
export function readTally(value, election, path = 'tally.tally') {
  documentOf(value, path, 'encrypted-tally', 1, ['election', 'ballots', 'questions']);
  const questions = election.manifest.questions;
  list(value.questions, `${path}.questions`, questions.length, questions.length);
  const ciphertexts = value.questions.map((qt, i) => {
    const at = `${path}.questions[${i}]`;
    object(qt, at, ['question', 'ciphertexts']);
    if (text(qt.question, `${at}.question`) !== questions[i].id) {
      throw new ReplyError(`${at}.question`, `expected question ${JSON.stringify(questions[i].id)}`);
    }
    const want = questions[i].parts.length;
    return list(qt.ciphertexts, `${at}.ciphertexts`, want, want).map((c, k) => bigHex(c, `${at}.ciphertexts[${k}]`));
  });
  return {
    election: bytes(value.election, `${path}.election`, 32),
    ballots: smallInt(value.ballots, `${path}.ballots`, 0, MAX_BALLOTS),
    ciphertexts,
  };
}

/**
 * The packed ciphertexts C_g = Π_j T_j^(B^(o_j)) mod n², one per group (§8.7.2),
 * by Horner's rule from the last part down, so a group costs about ‖n‖
 * squarings in all instead of one long power per part.
 */
export function pack(election, tally) {
  const { n2 } = election.key;
  const b = BigInt(election.manifest.counterBits);
  return layout(election).map((group) => {
    let acc = 1n;
    let above = group[group.length - 1].offset;
    for (let k = group.length - 1; k >= 0; k--) {
      const p = group[k];
      acc = (modPow(acc, 1n << (b * BigInt(above - p.offset)), n2) * tally.ciphertexts[p.question][p.part]) % n2;
      above = p.offset;
    }
    return modPow(acc, 1n << (b * BigInt(above)), n2);
  });
}

/**
 * Read the counters from the group plaintexts and apply the public checks of
 * §8.7.3: no bits above a group's last counter; every count ≤ N; confidence and
 * single-choice parts sum to N; multiple choice between min·N and max·N.
 * Returns the counts in the wire form of `tally-counts`; throws TallyError.
 */
export function unpack(election, ballots, plaintexts) {
  const groups = layout(election);
  if (plaintexts.length !== groups.length) {
    throw new TallyError(`expected ${groups.length} plaintexts, got ${plaintexts.length}`);
  }
  const b = BigInt(election.manifest.counterBits);
  const mask = (1n << b) - 1n;
  const questions = election.manifest.questions;
  const counts = questions.map((q) => q.parts.map(() => []));
  const total = BigInt(ballots);
  groups.forEach((group, g) => {
    const m = plaintexts[g];
    let used = 0;
    for (const p of group) {
      const width = questions[p.question].slotIds.length;
      const value = m >> (b * BigInt(p.offset));
      const slots = [];
      for (let s = 0; s < width; s++) slots.push((value >> (b * BigInt(s))) & mask);
      counts[p.question][p.part] = slots;
      used = p.offset + width;
    }
    if (m >> (b * BigInt(used)) !== 0n) throw new TallyError('packed plaintext has bits beyond its counters');
  });
  questions.forEach((q, qi) => {
    q.parts.forEach((partId, pi) => {
      const slots = counts[qi][pi];
      if (slots.some((x) => x > total)) throw new TallyError(`${q.id}/${partId}: a count exceeds the ballots counted`);
      if (q.kind !== 'multiple' && slots.reduce((s, x) => s + x, 0n) !== total) {
        throw new TallyError(`${q.id}/${partId}: counts do not sum to the ballots counted`);
      }
    });
    if (q.kind === 'multiple') {
      const chosen = counts[qi].reduce((s, slots) => s + slots[0], 0n);
      if (chosen < BigInt(q.minChoices) * total || chosen > BigInt(q.maxChoices) * total) {
        throw new TallyError(`${q.id}: total choices outside min..max per ballot`);
      }
    }
  });
  return {
    type: 'tally-counts',
    version: 1,
    election: bytesToHex(election.hash),
    ballots,
    questions: questions.map((q, qi) => ({
      question: q.id,
      parts: q.parts.map((part, pi) => ({ part, slots: counts[qi][pi].map(Number) })),
    })),
  };
}
