// Checking a ballot audit (docs/spec.md §8.11), as crypto/election/audit.py:
// the selections are re-encrypted from the revealed coins, which are replayed
// in the order encryption draws them, and the answers must equal the audited
// ballot's byte for byte. The audited ballot carries a zero signature, so it
// can never be cast.

import { hexToBigInt } from './bigint.js';
import { ZERO_SIGNATURE_HEX, encryptAnswers, sameBytes, selectionOf } from './ballot.js';
import { planOf, precomputeBallot, replaying } from './precompute.js';

/** An audit does not re-encrypt to its ballot. */
export class AuditMismatch extends Error {
  constructor(message) {
    super(message);
    this.name = 'AuditMismatch';
  }
}

const fail = (message) => new AuditMismatch(message);

function isObject(x) {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Check `audit` (a wire ballot-audit document) for `election`; return the selections. */
export function checkAuditDocument(election, audit) {
  if (!isObject(audit) || audit.type !== 'ballot-audit' || audit.version !== 1) {
    throw fail('not a ballot-audit document of version 1');
  }
  const ballot = audit.ballot;
  if (!isObject(ballot) || ballot.type !== 'ballot' || ballot.version !== 1 || !Array.isArray(ballot.answers)) {
    throw fail('the audit holds no ballot');
  }
  if (ballot.election !== election.hashHex) throw fail('the audited ballot is for another election or other parameters');
  if (ballot.signature !== ZERO_SIGNATURE_HEX) throw fail('an audited ballot carries a zero signature, so it cannot be cast');
  if (typeof ballot.credential !== 'string' || !/^[0-9a-f]{64}$/.test(ballot.credential)) throw fail('the credential is not 32 bytes of hex');
  const shapes = election.shapes;
  const sel = audit.selections;
  if (!Array.isArray(sel) || sel.length !== shapes.length || sel.some((s, i) => !isObject(s) || s.question !== shapes[i].id)) {
    throw fail("the selections do not name the manifest's questions in order");
  }
  const indices = shapes.map((shape, i) => {
    const choices = sel[i].choices;
    if (!Array.isArray(choices) || choices.length !== shape.parts.length ||
        !choices.every((x) => Number.isInteger(x) && x >= 0 && x < shape.allowed.length)) {
      throw fail(`question ${shape.id}: the selection does not fit the question`);
    }
    if (shape.sum !== null) {
      const count = choices.reduce((s, x) => s + x, 0);
      if (count < shape.min || count > shape.max) throw fail(`question ${shape.id}: the selections are not a valid vote`);
    }
    return choices;
  });
  let values;
  try {
    if (!Array.isArray(audit.coins)) throw new TypeError();
    values = audit.coins.map((x) => hexToBigInt(x, 4096));
  } catch {
    throw fail('the coins are not a list of big integers');
  }
  const coins = replaying(values, fail);
  const pre = precomputeBallot(planOf(election), coins);
  coins.finish();
  const answers = encryptAnswers(election, ballot.credential, indices, pre);
  if (answers.length !== ballot.answers.length) throw fail('the audited ballot answers another number of questions');
  answers.forEach((mine, i) => {
    if (!sameBytes(mine, ballot.answers[i])) {
      throw fail(`question ${mine.question}: the ballot is not the encryption of the selections under the revealed coins`);
    }
  });
  const expected = { ...ballot, answers };
  if (!sameBytes(expected, ballot) || Object.keys(ballot).length !== 6) throw fail('the audited ballot differs from its re-encryption');
  return shapes.map((shape, i) => selectionOf(shape, indices[i]));
}
