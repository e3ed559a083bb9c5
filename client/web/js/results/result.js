// From counts to the result: percentages, flags, quorum (docs/spec.md §8.8),
// mirroring crypto/election/result.py. Integer arithmetic only: a percentage
// is 100·count/D rounded half up to two decimals, and a flag is decided on the
// integers (den·count > num·D or den·count ≥ num·D), never on a percentage.
// QĐ 96-QĐ/TW: tiers are exclusive (Điều 11, "trên 1/2 đến dưới 2/3" and "từ
// 2/3 trở lên" tín nhiệm thấp), so of the thresholds of one scale (question,
// slot, denominator) a part carries only the highest it reaches; below the
// quorum the conference cannot proceed and no part carries a flag.

import { BLANK } from './election.js';
import { bytes, documentOf, list, object, ReplyError, smallInt, text } from './reply.js';
import { MAX_BALLOTS, TallyError } from './tally.js';

/** 100·count/total with two decimals, rounded half up ("0.00" when total is 0). */
export function percent(count, total) {
  const c = BigInt(count);
  const d = BigInt(total);
  if (d <= 0n) return '0.00';
  const hundredths = (20000n * c + d) / (2n * d);
  return `${hundredths / 100n}.${String(hundredths % 100n).padStart(2, '0')}`;
}

/** count compared with num/den of total, in integers (rules.py Fraction.holds). */
export function holds(comparison, fraction, count, total) {
  const lhs = BigInt(fraction.den) * BigInt(count);
  const rhs = BigInt(fraction.num) * BigInt(total);
  return comparison === 'more-than' ? lhs > rhs : lhs >= rhs;
}

/**
 * Whether threshold a is a higher tier than b of the same scale (rules.py
 * Threshold.outranks): a larger fraction, or the same value with more-than
 * over at-least (x > f implies x ≥ f).
 */
export function outranks(a, b) {
  if (a.question !== b.question || a.slot !== b.slot || a.denominator !== b.denominator) return false;
  const left = BigInt(a.fraction.num) * BigInt(b.fraction.den);
  const right = BigInt(b.fraction.num) * BigInt(a.fraction.den);
  if (left !== right) return left > right;
  return a.comparison === 'more-than' && b.comparison === 'at-least';
}

/**
 * Wire `tally-counts` checked against the manifest's questions, parts and
 * slots; returns {election (hex), ballots, questions: [[slots per part]]}.
 * Throws ReplyError.
 */
export function readCounts(value, manifest, path = 'counts') {
  documentOf(value, path, 'tally-counts', 1, ['election', 'ballots', 'questions']);
  bytes(value.election, `${path}.election`, 32);
  const qs = manifest.questions;
  list(value.questions, `${path}.questions`, qs.length, qs.length);
  const questions = value.questions.map((qc, i) => {
    const at = `${path}.questions[${i}]`;
    object(qc, at, ['question', 'parts']);
    if (text(qc.question, `${at}.question`) !== qs[i].id) {
      throw new ReplyError(`${at}.question`, `counts for another question than ${JSON.stringify(qs[i].id)}`);
    }
    list(qc.parts, `${at}.parts`, qs[i].parts.length, qs[i].parts.length);
    return qc.parts.map((pc, k) => {
      const pat = `${at}.parts[${k}]`;
      object(pc, pat, ['part', 'slots']);
      if (text(pc.part, `${pat}.part`) !== qs[i].parts[k]) {
        throw new ReplyError(`${pat}.part`, `expected part ${JSON.stringify(qs[i].parts[k])}`);
      }
      const width = qs[i].slotIds.length;
      return list(pc.slots, `${pat}.slots`, width, width).map((x, s) =>
        smallInt(x, `${pat}.slots[${s}]`, 0, MAX_BALLOTS),
      );
    });
  });
  return {
    election: value.election,
    ballots: smallInt(value.ballots, `${path}.ballots`, 0, MAX_BALLOTS),
    questions,
  };
}

/**
 * The result (document `result`, wire form) of checked counts under the
 * manifest's rules (§8.8). `present` defaults to the ballots counted. Throws
 * TallyError when there are no rules or more ballots than credentials issued.
 */
export function resultFromCounts(manifest, counts, { issued, present }) {
  const rules = manifest.rules;
  if (rules === null) throw new TallyError('the manifest has no rules to apply');
  smallInt(issued, 'issued', 0, MAX_BALLOTS);
  const returned = counts.ballots;
  if (returned > issued) throw new TallyError(`${returned} ballots counted but only ${issued} credentials issued`);
  const shownPresent = present === undefined || present === null ? returned : smallInt(present, 'present', 0, MAX_BALLOTS);
  const quorumMet = holds('at-least', rules.quorum, shownPresent, rules.summoned);
  const questions = manifest.questions.map((q, qi) => {
    const here = rules.thresholds.filter((t) => t.question === q.id);
    return {
      question: q.id,
      parts: q.parts.map((part, pi) => {
        const byName = new Map(q.slotIds.map((s, k) => [s, counts.questions[qi][pi][k]]));
        const invalid = byName.get(BLANK) ?? 0;
        const valid = returned - invalid;
        const sizes = { returned, valid, issued, summoned: rules.summoned };
        const shown = sizes[rules.denominator];
        const reached = [];
        for (const t of here) {
          if (!byName.has(t.slot)) throw new TallyError(`threshold ${t.id}: question ${q.id} has no slot ${t.slot}`);
          const total = sizes[t.denominator];
          if (total > 0 && holds(t.comparison, t.fraction, byName.get(t.slot), total)) reached.push(t);
        }
        // below the quorum the conference cannot proceed: no flag has effect
        const flags = quorumMet ? reached.filter((t) => !reached.some((u) => outranks(u, t))).map((t) => t.id) : [];
        return {
          part,
          returned,
          valid,
          invalid,
          denominator: shown,
          slots: q.slotIds.map((s) => ({ slot: s, count: byName.get(s), percent: percent(byName.get(s), shown) })),
          flags,
        };
      }),
    };
  });
  return {
    type: 'result',
    version: 1,
    election: counts.election,
    summoned: rules.summoned,
    present: shownPresent,
    issued,
    returned,
    quorum_met: quorumMet,
    questions,
  };
}
